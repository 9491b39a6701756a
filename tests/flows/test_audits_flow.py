"""A failed audit in real runs that pins its damage on one symbol: that symbol's marts stay as
the previous build left them, every other symbol's are built and published, the run says so,
and the incident stays open for the data-quality alert. That a failed audit without a subject
(a broken key) still rolls the whole build back is checked at the stage level
(tests/transforms/test_audits_in_build.py)."""

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


def insert_index(db: Path, shared_data: Path, symbol: str, shift_from: str | None = None) -> None:
    """The real closes of ``symbol`` from 2024-09-03 on, written behind the loader's back (the
    replay has no file of it, so no run re-fetches them). With ``shift_from``, every close from
    that day on is 1.4 times the real one: a level shift a later download "confirmed" and the
    loader stored (issue 15)."""
    from rotation.db import writing

    path = shared_data / SNAPSHOT / f"{symbol}.csv"
    with writing(db) as con:
        con.execute("delete from raw.prices where symbol = ?", [symbol])
        con.execute(
            f"""insert into raw.prices (symbol, date, close, adj_close, adj_close_received,
                                        adjustment, source, fetched_at, run_id)
                select $symbol, "Date", c, c, c, 'raw', 'test', now(), 'test'
                from (select "Date", "Close" * case when "Date" >= cast($shift as date)
                                                   then 1.4 else 1.0 end as c
                      from read_csv('{path}') where "Date" >= date '2024-09-03')""",
            {"symbol": symbol, "shift": shift_from or "9999-12-31"},
        )


def test_a_shift_in_one_symbol_holds_its_marts_and_publishes_the_rest(
    tmp_path: Path, shared_data: Path, settings_env: Path
) -> None:
    db, published = settings_env, settings_env.with_name("rotation.read.duckdb")
    replay = small_replay(tmp_path / "replay", shared_data)
    insert_index(db, shared_data, "^GSPC")
    first = daily_run(as_of=SESSION, replay_dir=str(replay))
    assert first["status"] == "completed", first
    gspc_before = one(published, "select max(value) from marts.returns where symbol = '^GSPC'")
    assert 6000 < gspc_before < 7000  # the real closes

    # ^GSPC's closes from 2025-09-22 on are 1.4 times the real ones: +40% in a day for an
    # index (limit 25%). Its marts stay as the first run built them, SPY's and IWM's are new,
    # the copy is published, and the run says so.
    insert_index(db, shared_data, "^GSPC", shift_from="2025-09-22")
    second = daily_run(as_of=SESSION, replay_dir=str(replay))
    assert second["status"] == "completed", second
    assert "held 1 symbol(s) at their previous marts" in second["message"]
    assert "daily_moves_within_bounds" in second["message"] and "^GSPC" in second["message"]
    held = "audits daily_moves_within_bounds: symbol ^GSPC held at the previous marts"
    assert held in second["damage"] and held not in first["damage"]
    assert one(published, "select max(value) from marts.returns where symbol = '^GSPC'") == (
        gspc_before
    )
    # the second run published (its incident is in the copy), with every other symbol's marts
    # (2025-09-26's bars are intraday and quarantined: 09-25 is the last complete session)
    assert one(published, "select count(*) from ops.incidents where source = 'audits'") == 1
    last = dt.date(2025, 9, 25)
    assert one(published, "select max(date) from marts.returns where symbol = 'SPY'") == last
    assert one(published, "select max(date) from marts.returns where symbol = 'IWM'") == last
    assert one(published, "select max(date) from marts.relative_strength") == last
    assert one(db, "select status from ops.runs order by started_at desc limit 1") == "completed"
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            """select subject, detail, first_run_id, last_run_id from ops.incidents
               where source = 'audits' and resolved_at is null"""
        ).fetchall()
    finally:
        con.close()
    [(subject, detail, first_run, _)] = rows
    assert (subject, first_run) == ("daily_moves_within_bounds", second["run_id"])
    assert "symbol=^GSPC, date=2025-09-22" in detail
    assert detail.endswith("symbol ^GSPC held at the previous marts, the rest of the build kept")
