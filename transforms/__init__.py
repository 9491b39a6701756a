"""Transforms: build the SQL models under ``sql/`` (staging views, marts tables) in order, then
audit them (``sql/audits``) before the build is kept."""

from transforms.audits import AuditResult, AuditRun, audit_parameters, discover_audits
from transforms.breadth_settings import sync_breadth_settings
from transforms.errors import AuditError, ModelError
from transforms.pairs import sync_pairs
from transforms.runner import (
    LAYERS,
    BuildReport,
    Model,
    ModelBuildError,
    ModelResult,
    build_models,
    discover_models,
    project_audits,
)

__all__ = [
    "LAYERS",
    "AuditError",
    "AuditResult",
    "AuditRun",
    "BuildReport",
    "Model",
    "ModelBuildError",
    "ModelError",
    "ModelResult",
    "audit_parameters",
    "build_models",
    "discover_audits",
    "discover_models",
    "project_audits",
    "sync_breadth_settings",
    "sync_pairs",
]
