"""A run killed with SIGKILL leaves no temporary Prefect server behind (one real process).

In ephemeral mode Prefect's server is a child ``uvicorn`` process that Prefect stops from an
``atexit`` hook, which a killed process never runs: it stayed behind every time (~230 MB and a
port each). ``flows.reaper`` ends it with the run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.flows.conftest import make_replay

pytestmark = [pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


def processes_with(marker: str) -> dict[int, str]:
    """pid -> command line of every process whose environment holds ``marker``."""
    found = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            environ = Path(f"/proc/{name}/environ").read_bytes().split(b"\0")
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if marker.encode() in environ:
            found[int(name)] = cmdline.decode(errors="replace")
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_a_killed_run_takes_its_temporary_prefect_server_with_it(
    tmp_path: Path, shared_data: Path
) -> None:
    replay = make_replay(tmp_path / "replay", shared_data, "yfinance-2026-03-10")
    db = tmp_path / "data" / "r.duckdb"
    marker = f"ROTATION_STORAGE_PATH={db}"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}  # ephemeral mode
    env.update({"PYTHONPATH": str(REPO), "ROTATION_STORAGE_PATH": str(db),
                "PREFECT_LOGGING_LEVEL": "INFO"})  # fmt: skip
    run = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "run", "--replay", str(replay), "--date", "2026-03-10"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        seen = []
        assert run.stdout is not None
        for line in run.stdout:
            seen.append(line)
            if "Beginning flow run" in line:
                break
        else:
            pytest.fail("the run ended before its flow began:\n" + "".join(seen))
        servers = {p for p, cmd in processes_with(marker).items() if "uvicorn" in cmd}
        assert servers, "no temporary Prefect server found:\n" + "".join(seen)

        run.kill()
        run.wait()
        deadline = time.monotonic() + 20
        while processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert processes_with(marker) == {}  # the server and the reaper are gone
    finally:
        run.kill()
        for pid in processes_with(marker):
            os.kill(pid, signal.SIGKILL)
