"""Unattended operation with real processes: kill -9 at several points, readers during a run.

Each run is a real ``rotation run`` process against the session's Prefect test server (its
URL passed in the environment), as the scheduler would start it.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.flows.conftest import make_replay

pytestmark = [pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
AS_OF = "2025-09-26"


@pytest.fixture(scope="module")
def api_url(prefect_server: None) -> str:
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    assert url, "the Prefect test harness did not set an API URL"
    return str(url)


def start_run(db: Path, replay: Path, api_url: str, cwd: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "PREFECT_API_URL": api_url,
        "ROTATION_STORAGE_PATH": str(db),
        "PREFECT_LOGGING_LEVEL": "INFO",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "run", "--replay", str(replay), "--date", AS_OF],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=cwd,
    )  # fmt: skip


def run_to_end(db: Path, replay: Path, api_url: str, cwd: Path) -> str:
    process = start_run(db, replay, api_url, cwd)
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output
    return output


def kill_when(process: subprocess.Popen[str], marker: str, timeout: float = 180) -> str:
    """Read the run's log until ``marker`` appears, then kill -9 it; return what it printed."""
    assert process.stdout is not None
    seen = []
    deadline = time.monotonic() + timeout
    for line in process.stdout:
        seen.append(line)
        if marker in line:
            process.kill()
            break
        assert time.monotonic() < deadline, f"{marker!r} never appeared:\n{''.join(seen)}"
    process.wait()
    return "".join(seen)


def table(db: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    return make_replay(
        tmp_path_factory.mktemp("replay") / "r", shared_data, "yahoo-csv-2025-09-26",
        fred="fred",
    )  # fmt: skip


COMPARED = {
    "raw.prices": "select symbol, date, close, adj_close, volume from raw.prices order by all",
    "raw.fred_observations": "select series_id, date, value from raw.fred_observations "
    "order by all",
    "marts.relative_strength": "select * from marts.relative_strength order by all",
    "alerts.events": "select rule, subject, event_date, transition from alerts.events order by all",
}


@pytest.mark.parametrize(
    "marker",
    [
        "prices: fetching",  # before anything is loaded
        "Task run 'validate-and-load-prices",  # the price batch is being written
        "Task run 'fetch-fred",  # prices committed, FRED not yet
        "Task run 'build-models",  # every batch committed, marts being built
        "Task run 'evaluate-and-deliver-alerts",  # marts built, alerts being evaluated
    ],
)
def test_a_killed_run_leaves_whole_batches_and_the_next_run_completes(
    marker: str, tmp_path: Path, replay: Path, api_url: str, reference: Path
) -> None:
    db = tmp_path / "r.duckdb"
    killed = start_run(db, replay, api_url, tmp_path)
    kill_when(killed, marker)
    assert killed.returncode == -9

    if db.exists():
        # Never half a batch: the prices either all loaded or none did, and a quarantine row
        # exists only together with its validation record.
        rows = table(db, "select count(*) as n from raw.prices")["n"][0]
        assert rows in (0, table(reference, "select count(*) as n from raw.prices")["n"][0])
        quarantined = table(db, "select count(*) as n from ops.quarantine where source = 'prices'")
        validated = table(
            db, "select count(*) as n from ops.validation_runs where source = 'prices'"
        )
        assert (quarantined["n"][0] > 0) == (validated["n"][0] > 0)

    # The next run needs no manual step: no stale lock, the dead run marked interrupted.
    output = run_to_end(db, replay, api_url, tmp_path)
    assert "Finished in state Completed()" in output
    runs = table(db, "select status from ops.runs order by started_at")
    assert runs["status"].iloc[-1] == "completed"
    assert "running" not in set(runs["status"])
    for name, sql in COMPARED.items():
        pd.testing.assert_frame_equal(table(db, sql), table(reference, sql), obj=name)


READER = """
import sys, time, duckdb
path, stop = sys.argv[1], sys.argv[2]
import os
results, errors = [], []
while not os.path.exists(stop):
    if os.path.exists(path):
        try:
            con = duckdb.connect(path, read_only=True)
            count = lambda sql: con.execute(sql).fetchone()[0]
            running = count("select count(*) from ops.runs where status = 'running'")
            runs = count("select count(*) from ops.runs where status = 'completed'")
            prices = count("select count(*) from raw.prices")
            con.close()
            results.append((running, runs, prices))
        except Exception as exc:
            errors.append(repr(exc))
    time.sleep(0.05)
print(repr((results, errors)))
"""


@dataclass
class Reads:
    """What a reader process saw: (running, completed, prices) per read, and its errors."""

    results: list[tuple[int, int, int]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@contextmanager
def reader_of(published: Path, stop: Path) -> Iterator[Reads]:
    """A process reading ``published`` in a loop for as long as the block runs."""
    reads = Reads()
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published), str(stop)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        yield reads
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    reads.results, reads.errors = ast.literal_eval(out)  # a literal of plain values


@pytest.fixture(scope="module")
def watched_reference(
    tmp_path_factory: pytest.TempPathFactory, replay: Path, api_url: str
) -> tuple[Path, Reads]:
    """The database one uninterrupted run produces, and what a reader of its published copy
    saw during that run (the first run of the readers test: a run costs ~15-60 s)."""
    folder = tmp_path_factory.mktemp("reference")
    db = folder / "r.duckdb"
    with reader_of(db.with_name("r.read.duckdb"), folder / "stop") as reads:
        run_to_end(db, replay, api_url, folder)
    return db, reads


@pytest.fixture(scope="module")
def reference(watched_reference: tuple[Path, Reads]) -> Path:
    return watched_reference[0]


def test_readers_never_block_the_writer_nor_see_half_a_run(
    tmp_path: Path, replay: Path, api_url: str, watched_reference: tuple[Path, Reads]
) -> None:
    # The first run (full history) is the reference run, read while it ran; the second run
    # continues from a copy of its files, read by a second reader.
    reference, first = watched_reference
    db = tmp_path / "r.duckdb"
    for name in ("r.duckdb", "r.duckdb.wal", "r.read.duckdb"):
        if (reference.parent / name).exists():
            shutil.copy2(reference.parent / name, tmp_path / name)
    with reader_of(tmp_path / "r.read.duckdb", tmp_path / "stop") as second:
        run_to_end(db, replay, api_url, tmp_path)  # a second run while the reader keeps reading
    results, errors = first.results + second.results, first.errors + second.errors
    assert not errors, errors[:3]
    assert len(results) > 20, "the reader hardly ran"
    full = table(reference, "select count(*) as n from raw.prices")["n"][0]
    for running, completed, prices in results:
        assert running == 0  # the published copy only ever holds finished runs
        assert completed in (1, 2) and prices == full
