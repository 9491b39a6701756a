"""Time limits: a stage that never returns ends the run within its limit, recorded as failed,
alerted, the heartbeat told; a source that never answers fails alone and the run goes on.

The hung-stage runs are real processes (the watchdog ends its process, as it must) against the
session's Prefect test server. A stage is made to hang by replacing its task in the process
before the flow starts: the fault injected is the hang itself, everything around it is real.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import duckdb
import pytest

from tests.flows.conftest import make_replay
from tests.flows.heartbeat_receiver import heartbeat_receiver

pytestmark = [pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
LIMIT_S, GRACE_S = 6, 3

HUNG_RUN = """
import datetime as dt, sys, threading, time
from prefect import task
from prefect.cache_policies import NO_CACHE
import flows.daily as daily

def never_returns(*args, **kwargs):
    if sys.argv[2] == "sleeps":
        time.sleep(3600)  # a blocking wait: the run limit interrupts it
    while True:  # deaf: no exception reaches it, as in a stuck C call
        try:
            threading.Event().wait()
        except BaseException:
            pass

daily.validate_and_load_prices = task(name="validate-and-load-prices",
                                      cache_policy=NO_CACHE)(never_returns)
daily.daily_run(as_of=dt.date(2026, 3, 10), replay_dir=sys.argv[1])
"""


@pytest.fixture(scope="module")
def api_url(prefect_server: None) -> str:
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())


def hung_run(mode: str, tmp_path: Path, shared_data: Path, api_url: str, heartbeat_url: str):
    replay = make_replay(tmp_path / "replay", shared_data, "yfinance-2026-03-10")
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "PREFECT_API_URL": api_url,
        "ROTATION_STORAGE_PATH": str(tmp_path / "data" / "r.duckdb"),
        "ROTATION_LIMITS_DAILY_RUN_TIMEOUT_S": str(LIMIT_S),
        "ROTATION_LIMITS_GRACE_S": str(GRACE_S),
        "ROTATION_HEARTBEAT_URL": heartbeat_url,
    }
    return subprocess.run(
        [sys.executable, "-c", HUNG_RUN, str(replay), mode],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=180,
    )  # fmt: skip


def read(db: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def prefect_state(run_id: str) -> str:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        state = client.read_flow_run(uuid.UUID(run_id)).state
    assert state is not None
    return str(state.type.value)


@pytest.mark.parametrize(
    ("mode", "ended_by"),
    [
        ("sleeps", "the run limit"),  # interrupted: the normal failure path, exit 1
        ("deaf", "the watchdog"),  # nothing interrupts it: the watchdog ends the process
    ],
)
def test_a_stage_that_never_returns_ends_the_run_recorded_and_alerted(
    mode: str, ended_by: str, tmp_path: Path, shared_data: Path, api_url: str
) -> None:
    with heartbeat_receiver() as pings:
        result = hung_run(mode, tmp_path, shared_data, api_url, pings.url)
        ended = time.monotonic()
    output = result.stdout + result.stderr
    assert pings.kinds() == ["start", "fail"], output
    took = ended - pings.arrived[0]
    if ended_by == "the watchdog":
        assert result.returncode == 124, output
        assert LIMIT_S + GRACE_S <= took < LIMIT_S + GRACE_S + 15, output
    else:
        assert result.returncode == 1, output
        assert LIMIT_S <= took < LIMIT_S + 15, output
    assert "exceeded its time limit" in pings.received[1][1]

    db = tmp_path / "data" / "r.duckdb"
    ((run_id, status, message),) = read(db, "select run_id, status, message from ops.runs")
    assert status == "failed" and "exceeded its time limit" in str(message)
    events = read(db, "select kind, severity from alerts.events")
    assert events == [("pipeline_health", "critical")]
    delivered = read(db, "select count(*) from alerts.deliveries where delivered_at is not null")
    assert delivered == [(1,)]
    assert "exceeded its time limit" in (tmp_path / "data" / "alerts.jsonl").read_text()
    assert prefect_state(str(run_id)) == "FAILED", output  # a queued run is not held behind it


def test_a_source_that_never_answers_fails_alone(
    tmp_path: Path, shared_data: Path, settings_env: Path, monkeypatch: pytest.MonkeyPatch,
    prefect_server: None,
) -> None:  # fmt: skip
    from prefect import task
    from prefect.cache_policies import NO_CACHE

    import flows.daily as daily

    stuck = threading.Event()

    def fred_never_answers(*args: object) -> None:
        stuck.wait()  # released at the end of the test

    monkeypatch.setattr(
        daily, "fetch_fred", task(name="fetch-fred", cache_policy=NO_CACHE)(fred_never_answers)
    )
    monkeypatch.setenv("ROTATION_LIMITS_SOURCE_TIMEOUT_S", "2")
    replay = make_replay(tmp_path / "replay", shared_data, "yfinance-2026-03-10", fred="fred")
    with heartbeat_receiver() as pings:
        monkeypatch.setenv("ROTATION_HEARTBEAT_URL", pings.url)
        try:
            summary = daily.daily_run(as_of=dt.date(2026, 3, 10), replay_dir=str(replay))
        finally:
            stuck.set()
    assert summary["status"] == "completed", summary
    fred = next(s for s in summary["sources"] if s["source"] == "fred")
    assert fred["skipped"] and "did not answer within 2 s" in fred["messages"][0]
    prices = next(s for s in summary["sources"] if s["source"] == "prices")
    assert prices["loaded"] > 0  # the others went on
    # (the replay has only SPY and IWM: the other symbols' no-data incidents are not this test's)
    incidents = read(
        settings_env, "select source, kind, detail from ops.incidents where source = 'fred'"
    )
    assert [(s, k) for s, k, _ in incidents] == [("fred", "timeout")]
    assert "source_timeout_s" in str(incidents[0][2])
    assert pings.kinds() == ["start", "success"]
    # The stages' own log lines reach the run's logs in Prefect (the UI shows them).
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all()
    run = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[uuid.UUID(summary["run_id"])]))
    with get_client(sync_client=True) as client:
        logs = {(log.name, log.message) for log in client.read_logs(log_filter=run)}
    assert any(name == "flows.limits" and "fred fetch did not finish" in m for name, m in logs)
    assert any(name == "pipeline.stages" and m.startswith("fred skipped") for name, m in logs)

    # The report is linked from the run's page.
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    on_run = ArtifactFilter(
        flow_run_id=ArtifactFilterFlowRunId(any_=[uuid.UUID(summary["run_id"])])
    )
    with get_client(sync_client=True) as client:
        artifacts = {a.key: a for a in client.read_artifacts(artifact_filter=on_run)}
    link = artifacts["rotation-report"]
    assert str(link.data).startswith("[report-2026-03-10.html](file://")
    assert (settings_env.parent / "reports" / "report-2026-03-10.html").exists()
