"""Fixtures shared by every test: the real data folder and a throwaway DuckDB file; and how
the tests are shared out between ``pytest-xdist`` workers (``make test`` runs ``-n 2``).

Real data lives in ``../shared/data`` beside the repository (never copied in); tests that need
it skip with the reason when it is absent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from rotation.db import migrate

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
# Test files sharing a session fixture too costly to build once per worker: run on one worker.
SHARED_FIXTURE_FILES = {  # real_build (tests/reporting/conftest.py): a real-data build
    "tests/reporting/test_report.py": "real-db",
    "tests/alerts/test_backtest_real.py": "real-db",
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist, the files with the most ``slow`` tests first: the longest work units (the
    crash tests and the daily flow, minutes each) start at once, one per worker, and the many
    short files fill in after them instead of waiting at the end. Without xdist: unchanged."""
    if not hasattr(config, "workerinput"):
        return
    slow = Counter(item.path for item in items if item.get_closest_marker("slow"))
    items.sort(key=lambda item: -slow[item.path])  # stable: the order within a file is kept


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, a dev dependency
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile`` with two changes: the files of ``SHARED_FIXTURE_FILES`` are one
    work unit, and units are handed out in the workers' collection order (slow files first,
    above), not re-sorted by their number of tests. One unit per file keeps module fixtures
    (a crash test's reference run) built once; session fixtures are still once per worker."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class FileScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return SHARED_FIXTURE_FILES.get(path, path)

    config.option.loadscopereorder = False
    return FileScheduling(config, log)


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
