"""The one way to load SQL: every statement of the project is a file under ``sql/``.

Code names a file by its path relative to ``sql/`` (``read("load/upsert_prices.sql")``) and
never builds a path to the folder itself, so the SQL is found the same way in a checkout and
in an installed wheel. The wheel carries ``sql/`` as package data at ``rotation/sql_files``
(``[tool.hatch.build.targets.wheel.force-include]`` in pyproject.toml); a checkout (and the
editable install, which runs the checkout's ``rotation/``) has no such folder and uses the
``sql/`` beside the packages. Files are read once per process: SQL is part of the code, and
a statement edited while a run is going should not change that run halfway.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGED = Path(__file__).resolve().parent / "sql_files"
_CHECKOUT = Path(__file__).resolve().parent.parent / "sql"

#: The ``sql/`` folder in use: the wheel's copy when installed, else the checkout's.
ROOT: Path = _PACKAGED if _PACKAGED.is_dir() else _CHECKOUT
SQL_DIR = ROOT  # the name alerts/ uses


def path(relative_path: str) -> Path:
    """The file ``sql/<relative_path>``; a path that would leave ``sql/`` is refused."""
    relative = Path(relative_path)
    if relative.is_absolute() or ".." in relative.parts:
        raise ValueError(f"SQL paths are relative to sql/ and stay inside it: {relative_path!r}")
    return ROOT / relative


@cache
def read(relative_path: str) -> str:
    """The text of ``sql/<relative_path>`` (e.g. ``"load/upsert_prices.sql"``), cached."""
    found = path(relative_path)
    if not found.is_file():
        raise FileNotFoundError(f"no SQL file {relative_path!r} under {ROOT}")
    return found.read_text()
