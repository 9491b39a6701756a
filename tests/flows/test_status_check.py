"""`rotation status --check`: the dead man's switch a cron job, systemd or a monitor runs."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from cli.status import SCHEDULED_AT, check_runs, due_session
from rotation.calendar import NEW_YORK
from rotation.db import migrate, publish_copy

REPO = Path(__file__).resolve().parents[2]
TWO_HOURS = dt.timedelta(hours=2)


def ny(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=NEW_YORK)


@pytest.mark.parametrize(
    ("now", "due"),
    [
        ("2025-09-26 20:29", "2025-09-25"),  # Friday before 18:30 + 2 h: Thursday's is due
        ("2025-09-26 20:31", "2025-09-26"),
        ("2025-09-27 12:00", "2025-09-26"),  # Saturday
        ("2025-09-29 10:00", "2025-09-26"),  # Monday morning: still Friday's
        ("2025-11-28 09:00", "2025-11-26"),  # the day after Thanksgiving, before its run
    ],
)
def test_the_session_due_follows_the_schedule_and_the_calendar(now: str, due: str) -> None:
    assert due_session(ny(now), TWO_HOURS) == dt.date.fromisoformat(due)


def test_schedule_time_is_the_deployments_cron() -> None:
    from flows.deployments import DAILY_CRON

    minute, hour, *_ = DAILY_CRON.split()
    assert dt.time(int(hour), int(minute)) == SCHEDULED_AT


def add_run(con: duckdb.DuckDBPyConnection, run_id: str, as_of: str, status: str) -> None:
    con.execute(
        "insert into ops.runs (run_id, flow, as_of, started_at, finished_at, status, message) "
        "values (?, 'daily-run', ?, now(), now(), ?, '')",
        [run_id, as_of, status],
    )


def test_a_missed_run_is_stale_and_a_failed_one_does_not_count(
    con: duckdb.DuckDBPyConnection,
) -> None:
    now = ny("2025-09-30 09:00")  # Monday 29th's run was due by 20:30 yesterday
    assert check_runs(con, now, TWO_HOURS) == (
        False,
        "STALE: no completed run recorded; the 2025-09-29 session is due",
    )
    add_run(con, "r1", "2025-09-26", "completed")
    add_run(con, "r2", "2025-09-29", "failed")
    fresh, line = check_runs(con, now, TWO_HOURS)
    assert not fresh
    assert line.startswith("STALE: last completed run (daily-run) is for 2025-09-26")
    assert "the 2025-09-29 session was due by 2025-09-29 20:30 New York" in line
    assert "(1 session(s) missing)" in line and "\n" not in line

    add_run(con, "r3", "2025-09-29", "completed_with_blocked_batches")
    fresh, line = check_runs(con, now, TWO_HOURS)
    assert fresh and line.startswith("OK: last completed run (daily-run) is for 2025-09-29")


def rotation(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        capture_output=True, text=True, timeout=60, cwd=db.parent,
        env={**os.environ, "PYTHONPATH": str(REPO), "ROTATION_STORAGE_PATH": str(db)},
    )  # fmt: skip


def test_status_check_exits_non_zero_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    published = tmp_path / "r.read.duckdb"  # the default published path beside the database
    none_yet = rotation("status", "--check", db=db)
    assert none_yet.returncode == 1 and not none_yet.stdout
    assert none_yet.stderr == f"STALE: no completed run published yet ({published})\n"

    con = duckdb.connect(str(db))
    migrate(con)
    add_run(con, "old", "2025-09-26", "completed")
    con.close()
    publish_copy(db, published)  # runs publish after they finish: the check reads the copy
    stale = rotation("status", "--check", db=db)
    assert stale.returncode == 1
    assert stale.stderr.startswith("STALE: last completed run (daily-run) is for 2025-09-26")
    assert stale.stderr.count("\n") == 1 and not stale.stdout

    con = duckdb.connect(str(db))
    add_run(con, "now", str(due_session(dt.datetime.now(dt.UTC), TWO_HOURS)), "completed")
    con.close()
    publish_copy(db, published)
    fresh = rotation("status", "--check", db=db)
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout.startswith("OK: ") and fresh.stdout.count("\n") == 1

    missing = rotation("status", "--check", db=tmp_path / "none.duckdb")
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1


def test_a_completed_run_whose_data_is_hundreds_of_sessions_old_is_stale(
    tmp_path: Path,
) -> None:
    """Completion is not freshness (issue 15): the run for the due session completed, but the
    newest price it published is from 2025."""
    db = tmp_path / "r.duckdb"
    published = tmp_path / "r.read.duckdb"
    due = due_session(dt.datetime.now(dt.UTC), TWO_HOURS)
    con = duckdb.connect(str(db))
    migrate(con)
    add_run(con, "now", str(due), "completed")
    con.execute(
        """insert into raw.prices (symbol, date, close, adj_close, adj_close_received,
               adjustment, source, fetched_at, run_id)
           values ('SPY', '2025-09-26', 1, 1, 1, 'raw', 't', now(), 't'),
                  ('AAPL', ?, 1, 1, 1, 'raw', 't', now(), 't')""",
        [due],  # a symbol that is not configured does not make the configured ones fresh
    )
    con.close()
    publish_copy(db, published)
    stale = rotation("status", "--check", db=db)
    assert stale.returncode == 1 and not stale.stdout
    assert stale.stderr.startswith(
        "STALE: the last run completed, but the newest price published is for 2025-09-26"
    )
    assert stale.stderr.count("\n") == 1

    con = duckdb.connect(str(db))
    con.execute("update raw.prices set date = ? where symbol = 'SPY'", [due])
    con.close()
    publish_copy(db, published)
    fresh = rotation("status", "--check", db=db)
    assert fresh.returncode == 0, fresh.stderr
