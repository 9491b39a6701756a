"""The daily run at index scale, replayed: seconds per stage for one new session and for a
catch-up of many (issue 18 item 4).

The real ``rotation run`` (in this process, ephemeral Prefect, as ``make run`` does) on the
replay of ``tests/flows/test_index_scale.py``: the real IWM holdings of 2025-05-13 (1,930
members), the members' real bars from Stooq's bulk file (the Stooq replay twin), the funds'
real Yahoo CSVs. Three runs, each on its own copy of one seeded database:

1. **seed**: the run for 2025-05-13 on an empty database (every member's 300 sessions of
   history, the full build);
2. **one session**: the seeded database, run for 2025-05-14 (the daily case);
3. **catch-up**: the seeded database, run for 2025-06-10, the last session of the member bars
   (19 sessions behind: the machine was off for four weeks).

Every Prefect task of the daily flow (``flows.daily``) is timed around its function, so the
stages are the pipeline's own work; "pipeline work" is their sum, "wall" adds Prefect's start
and the run's bookkeeping. Needs ``../shared/data`` beside the repository.

Run: ``.venv/bin/python benchmarks/daily_index_scale.py [--skip-catch-up]``
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import functools
import io
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared" / "data"

for key, value in {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_LEVEL": "ERROR",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}.items():
    os.environ.setdefault(key, value)

from prefect import Task  # noqa: E402

import flows.daily  # noqa: E402
from cli.main import main as cli_main  # noqa: E402
from tests.flows.test_index_scale import PAIRS, SYMBOLS, build_replay  # noqa: E402

SEED, NEXT, CATCH_UP = "2025-05-13", "2025-05-14", "2025-06-10"
SECONDS: collections.Counter[str] = collections.Counter()


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            SECONDS[name] += time.perf_counter() - started

    return wrapper


def time_the_tasks() -> None:
    """Wrap the function of every task of the daily flow (``with_options`` copies keep it)."""
    for value in vars(flows.daily).values():
        if isinstance(value, Task):
            value.fn = _timed(value.name, value.fn)


@contextlib.contextmanager
def quiet() -> Iterator[io.StringIO]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        yield out


def run(replay: Path, db: Path, session: str) -> tuple[float, dict[str, float], str]:
    os.environ["ROTATION_STORAGE_PATH"] = str(db)
    os.environ["ROTATION_ALERTS_CONSOLE_JSONL_PATH"] = str(db.parent / "alerts.jsonl")
    SECONDS.clear()
    started = time.perf_counter()
    with quiet() as out:
        code = cli_main(["run", "--replay", str(replay), "--date", session])
    wall = time.perf_counter() - started
    if code:
        raise SystemExit(f"run for {session} failed ({code}):\n{out.getvalue()[-2000:]}")
    summary = next((ln for ln in out.getvalue().splitlines() if ln.startswith("run ")), "")
    return wall, dict(SECONDS), summary


def show(label: str, wall: float, stages: dict[str, float], summary: str) -> None:
    work = sum(stages.values())
    print(f"\n{label}: wall {wall:.1f} s, pipeline work {work:.1f} s")
    for name, seconds in sorted(stages.items(), key=lambda kv: -kv[1]):
        if seconds >= 0.05:
            print(f"  {name:<28} {seconds:7.1f} s")
    print(f"  ({summary[:160]}…)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--skip-catch-up", action="store_true")
    args = parser.parse_args()
    if not (SHARED / "member-prices").is_dir():
        raise SystemExit(f"the member bars are absent: {SHARED / 'member-prices'}")
    for key in [k for k in os.environ if k.startswith("ROTATION_")]:
        del os.environ[key]
    os.environ.update(
        ROTATION_PRICES_SYMBOLS=",".join(SYMBOLS),
        ROTATION_PRICES_PAIRS=",".join(PAIRS),
        ROTATION_HOLDINGS_FUNDS="IWM",
    )
    time_the_tasks()
    with tempfile.TemporaryDirectory(prefix="index-scale-") as tmp:
        root = Path(tmp)
        os.chdir(root)
        replay = build_replay(root / "replay", SHARED)
        seed = root / "seed" / "rotation.duckdb"
        seed.parent.mkdir()
        show(f"seed: run for {SEED} on an empty database", *run(replay, seed, SEED))
        cases = [("one new session", NEXT)]
        if not args.skip_catch_up:
            cases.append(("catch-up of 19 sessions", CATCH_UP))
        for label, session in cases:
            db = root / session / "rotation.duckdb"
            db.parent.mkdir()
            shutil.copy(seed, db)
            if seed.with_suffix(".duckdb.wal").exists():
                shutil.copy(seed.with_suffix(".duckdb.wal"), db.with_suffix(".duckdb.wal"))
            show(f"{label}: run for {session} after {SEED}", *run(replay, db, session))


if __name__ == "__main__":
    main()
