"""Fixtures shared by every test: the real data folder and a throwaway DuckDB file.

Real data lives in ``../shared/data`` beside the repository (never copied in); tests that need
it skip with the reason when it is absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from rotation.db import migrate

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``, or skip: the real recorded data is not part of the repository."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (it sits beside the repo)")
    return SHARED_DATA


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with every migration applied."""
    connection = duckdb.connect()
    migrate(connection)
    yield connection
    connection.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A database file path in pytest's temporary folder, never in the working tree."""
    return tmp_path / "rotation.duckdb"
