"""A failed blocking audit in real runs: the published copy stays as it was, the run says so,
and the incident stays open (one incident, seen again) for the data-quality alert. That the
previous marts stay is checked at the stage level (tests/transforms/test_audits_in_build.py)."""

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


def test_a_failed_audit_keeps_the_published_copy_and_leaves_an_incident(
    tmp_path: Path, shared_data: Path, settings_env: Path
) -> None:
    from rotation.db import writing

    db, published = settings_env, settings_env.with_name("rotation.read.duckdb")
    replay = small_replay(tmp_path / "replay", shared_data)
    # Three ^RUT closes written behind the loader's back (the replay has no ^RUT file, so no
    # run re-fetches them): +50% on 2025-09-23, then -33% the next session.
    with writing(db) as con:
        con.execute(
            """insert into raw.prices (symbol, date, close, adj_close, adj_close_received,
                                       adjustment, source, fetched_at, run_id)
               select '^RUT', d::date, v, v, v, 'raw', 'test', now(), 'test'
               from (values ('2025-09-22', 2400.0), ('2025-09-23', 3600.0),
                            ('2025-09-24', 2410.0)) as t (d, v)"""
        )

    # A first run has no published copy to keep: it publishes the loaded data and the
    # incident, without marts (the build was rolled back), and the run says why.
    first = daily_run(as_of=SESSION, replay_dir=str(replay))
    assert first["status"] == "completed_with_failed_audits", first
    assert "daily_moves_within_bounds" in first["message"]
    assert one(published, "select count(*) from raw.prices where symbol = 'SPY'") > 200
    assert (
        one(
            published, "select count(*) from information_schema.tables where table_schema = 'marts'"
        )
        == 0
    )
    published_bytes = published.read_bytes()

    # The damage is still there on the next run: the same incident, seen again; the published
    # copy is the previous file, untouched.
    second = daily_run(as_of=SESSION, replay_dir=str(replay))
    assert second["status"] == "completed_with_failed_audits"
    assert published.read_bytes() == published_bytes
    assert one(db, "select status from ops.runs order by started_at desc limit 1") == (
        "completed_with_failed_audits"
    )
    incident = duckdb.connect(str(db), read_only=True)
    try:
        rows = incident.execute(
            """select subject, detail, first_run_id, last_run_id from ops.incidents
               where source = 'audits' and resolved_at is null"""
        ).fetchall()
    finally:
        incident.close()
    [(subject, detail, first_run, last_run)] = rows
    assert subject == "daily_moves_within_bounds"
    assert (first_run, last_run) == (first["run_id"], second["run_id"])
    assert "found 2 offending rows" in detail and "symbol=^RUT, date=2025-09-23" in detail
