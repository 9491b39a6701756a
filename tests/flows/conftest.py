"""One Prefect test server per session for the flow tests, and replay folders of real data.

Starting Prefect's test server costs ~15 s here, so it is started once, lazily, only when a
flow test runs. Its log and event workers are drained before it stops, or pytest hangs at
exit waiting for them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

for key, value in {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    # Flows route the stage loggers to the API; outside a flow run they need not warn.
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
}.items():
    os.environ.setdefault(key, value)


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
        APILogWorker.drain_all()
        EventsWorker.drain_all()


def make_replay(root: Path, shared_data: Path, prices_snapshot: str, **others: str) -> Path:
    """A replay folder of symlinks into ../shared/data (never a copy of the data)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "prices").symlink_to(shared_data / "prices" / prices_snapshot)
    for kind, folder in others.items():
        (root / kind).symlink_to(shared_data / folder)
    return root


@pytest.fixture
def settings_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the pipeline's database and alert log into the test's temporary folder."""
    monkeypatch.chdir(tmp_path)  # relative defaults (data/...) land here, not in the repo
    db = tmp_path / "data" / "rotation.duckdb"
    monkeypatch.setenv("ROTATION_STORAGE_PATH", str(db))
    monkeypatch.delenv("ROTATION_CONFIG", raising=False)
    return db
