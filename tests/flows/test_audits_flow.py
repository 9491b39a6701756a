"""A failed blocking audit in a real run: the marts and the published copy stay as they were,
the run says so, and the incident is open for the data-quality alert."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from flows.daily import daily_run

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_server")]
SESSION = dt.date(2025, 9, 26)
SNAPSHOT = "prices/yahoo-csv-2025-09-26"


def small_replay(root: Path, shared_data: Path) -> Path:
    """SPY and IWM from 2024-09-03 on, cut from the real snapshot into the test's temporary
    folder: a real year of bars, validated and built in a fraction of the full history's time."""
    (root / "prices").mkdir(parents=True)
    for symbol in ("SPY", "IWM"):
        lines = (shared_data / SNAPSHOT / f"{symbol}.csv").read_text().splitlines()
        kept = [line for line in lines[1:] if line[:10] >= "2024-09-03"]
        (root / "prices" / f"{symbol}.csv").write_text("\n".join([lines[0], *kept]) + "\n")
    return root


def one(db: Path, sql: str) -> object:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(sql).fetchone()
        return row[0] if row else None
    finally:
        con.close()


def test_a_failed_audit_keeps_the_marts_and_the_published_copy(
    tmp_path: Path, shared_data: Path, settings_env: Path
) -> None:
    replay = small_replay(tmp_path / "replay", shared_data)
    assert daily_run(as_of=SESSION, replay_dir=str(replay))["status"] == "completed"
    db, published = settings_env, settings_env.with_name("rotation.read.duckdb")
    published_bytes = published.read_bytes()
    rows_before = one(db, "select count(*) from marts.returns")

    # Three ^RUT closes written behind the loader's back (the replay has no ^RUT file, so no
    # run re-fetches them): +50% on 2025-09-23, then -33% the next session.
    con = duckdb.connect(str(db))
    con.execute(
        """insert into raw.prices (symbol, date, close, adj_close, adj_close_received,
                                   adjustment, source, fetched_at, run_id)
           select '^RUT', d::date, v, v, v, 'raw', 'test', now(), 'test'
           from (values ('2025-09-22', 2400.0), ('2025-09-23', 3600.0),
                        ('2025-09-24', 2410.0)) as t (d, v)"""
    )
    con.close()

    summary = daily_run(as_of=SESSION, replay_dir=str(replay))
    assert summary["status"] == "completed_with_failed_audits"
    assert "daily_moves_within_bounds" in summary["message"]
    assert one(db, "select status from ops.runs order by started_at desc limit 1") == (
        "completed_with_failed_audits"
    )
    # the marts are the previous build's, the published copy is the previous file
    assert one(db, "select count(*) from marts.returns where symbol = '^RUT'") == 0
    assert one(db, "select count(*) from marts.returns") == rows_before
    assert published.read_bytes() == published_bytes
    detail = one(
        db,
        """select detail from ops.incidents where source = 'audits'
           and subject = 'daily_moves_within_bounds' and resolved_at is null""",
    )
    assert "found 2 offending rows" in str(detail) and "symbol=^RUT, date=2025-09-23" in str(detail)
