"""The transforms' expected failures: a malformed SQL file, a model that fails, a bad audit.

Kept apart from the runner and the audits so both can raise them without importing each
other; the CLI reports a ``ModelError`` (and so an ``AuditError``) as one line, no traceback.
"""

from __future__ import annotations


class ModelError(RuntimeError):
    """A model file is malformed, or the models' references cannot be ordered."""


class AuditError(ModelError):
    """An audit file is malformed, reads a model that does not exist, or lacks a value."""
