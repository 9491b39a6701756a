"""Every SQL statement lives in a file under ``sql/``; this is the one way code reads one.

Statements are files so they are linted (sqlfluff), reviewed and read as SQL, not as Python
strings. ``read`` caches: a statement is read once per process, however often it runs.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


@cache
def read(relative_path: str) -> str:
    """The text of ``sql/<relative_path>`` (e.g. ``"alerts/events/insert.sql"``)."""
    path = SQL_DIR / relative_path
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file {relative_path!r} under {SQL_DIR}")
    return path.read_text()
