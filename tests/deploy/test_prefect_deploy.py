"""``prefect deploy --all`` accepts prefect.yaml against a real local Prefect server.

A real ``prefect server start`` on 127.0.0.1 (ephemeral port, its own PREFECT_HOME in the
test's temporary folder), the documented commands run as a user would, then the deployments
read back from the server, and the server's own scheduler asked when the daily run is due.
Skips, saying why, when the server does not come up within its bound; the server is always
stopped afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PREFECT = Path(sys.executable).with_name("prefect")
STARTUP_BOUND_S = 120.0  # a fresh PREFECT_HOME migrates its database first (~10-30 s here)
SCHEDULE_BOUND_S = 90.0  # the server's scheduler loop runs every 60 s

READ_BACK = """
import asyncio, json
from zoneinfo import ZoneInfo
from prefect.client.orchestration import get_client

async def main():
    out = {}
    async with get_client() as client:
        for name in ("daily-run/daily", "backfill/backfill"):
            d = await client.read_deployment_by_name(name)
            out[name] = {
                "entrypoint": d.entrypoint,
                "work_pool": d.work_pool_name,
                "pull_steps": d.pull_steps,
                "limit": d.global_concurrency_limit.limit if d.global_concurrency_limit else None,
                "collision": str(d.concurrency_options.collision_strategy.value)
                if d.concurrency_options else None,
                "schedules": [[s.schedule.cron, s.schedule.timezone, s.active]
                              for s in d.schedules],
            }
        pool = await client.read_work_pool("rotation")
        out["pool"] = {"type": pool.type, "limit": pool.concurrency_limit}
        runs = await client.read_flow_runs(limit=10)
        out["scheduled"] = sorted(
            r.expected_start_time.astimezone(ZoneInfo("America/New_York")).isoformat()
            for r in runs if r.state_name == "Scheduled"
        )
    print(json.dumps(out))

asyncio.run(main())
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[dict[str, str]]:
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "ROTATION_HOME": str(REPO),
    }
    env.pop("PREFECT_API_KEY", None)
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped as a whole below
    )
    try:
        deadline = time.monotonic() + STARTUP_BOUND_S
        while not _healthy(api):
            if server.poll() is not None or time.monotonic() > deadline:
                tail = (tmp_path / "server.log").read_text(errors="replace")[-1500:]
                pytest.skip(
                    f"prefect server did not start within {STARTUP_BOUND_S:.0f} s "
                    f"(exit code {server.poll()}): {tail}"
                )
            time.sleep(0.5)
        yield env
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=10)
        log.close()


def _prefect(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(PREFECT), *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, f"prefect {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.mark.slow
def test_prefect_deploy_all_accepts_prefect_yaml(prefect_server: dict[str, str]) -> None:
    env = prefect_server
    _prefect(env, "work-pool", "create", "rotation", "--type", "process")
    _prefect(env, "work-pool", "set-concurrency-limit", "rotation", "1")

    deployed = _prefect(env, "--no-prompt", "deploy", "--all")

    assert "daily-run/daily" in deployed.stdout and "backfill/backfill" in deployed.stdout
    deadline = time.monotonic() + SCHEDULE_BOUND_S
    while True:
        read = subprocess.run(
            [sys.executable, "-c", READ_BACK],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert read.returncode == 0, read.stderr
        state = json.loads(read.stdout.strip().splitlines()[-1])
        if state["scheduled"] or time.monotonic() > deadline:
            break
        time.sleep(3)

    daily, backfill = state["daily-run/daily"], state["backfill/backfill"]
    assert daily["entrypoint"] == "flows/daily.py:daily_run"
    assert backfill["entrypoint"] == "flows/daily.py:backfill"
    assert daily["schedules"] == [["30 18 * * 1-5", "America/New_York", True]]
    assert backfill["schedules"] == []
    for deployment in (daily, backfill):
        assert deployment["work_pool"] == "rotation"
        assert deployment["limit"] == 1 and deployment["collision"] == "ENQUEUE"
        step = deployment["pull_steps"][0]["prefect.deployments.steps.set_working_directory"]
        assert step["directory"] == str(REPO)
    assert state["pool"] == {"type": "process", "limit": 1}
    # The server's scheduler put the daily run at 18:30 New York time, on weekdays only.
    assert state["scheduled"], "no run was scheduled within the bound"
    for start in state["scheduled"]:
        when = time.strptime(start[:19], "%Y-%m-%dT%H:%M:%S")
        assert (when.tm_hour, when.tm_min) == (18, 30), start
        assert when.tm_wday < 5, start
