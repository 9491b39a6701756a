"""ops.incidents: one row per incident while it lasts, resolved when a run no longer sees it."""

from __future__ import annotations

import datetime as dt

import duckdb

from rotation import incidents
from rotation.incidents import Incident

CUT = Incident("prices", "IWM", "file_unreadable", "prices/IWM.csv line 40: expected 7 fields")
EMPTY = Incident("prices", "SPY", "no_rows", "prices/SPY.csv has a header and no rows")
DAY = dt.date(2025, 9, 26)


def test_an_incident_seen_again_is_one_row_and_not_new(con: duckdb.DuckDBPyConnection) -> None:
    assert incidents.record(con, CUT, run_id="r1", session=DAY) is True
    again = Incident(CUT.source, CUT.subject, CUT.kind, "prices/IWM.csv line 41: cut short")
    assert incidents.record(con, again, run_id="r2", session=DAY) is False
    rows = con.execute(
        "select first_run_id, last_run_id, detail, resolved_at from ops.incidents"
    ).fetchall()
    assert rows == [("r1", "r2", "prices/IWM.csv line 41: cut short", None)]


def test_a_run_that_checked_and_did_not_see_it_resolves_it(
    con: duckdb.DuckDBPyConnection,
) -> None:
    new = incidents.record_all(con, [CUT, EMPTY], run_id="r1", session=DAY)
    assert new == [CUT, EMPTY]
    incidents.record(con, EMPTY, run_id="r2", session=DAY)
    resolved = incidents.resolve_unseen(
        con, source="prices", kinds=["file_unreadable", "no_rows"], run_id="r2"
    )
    assert [(s, k) for _, s, k in resolved] == [("IWM", "file_unreadable")]
    still_open = incidents.open_incidents(con)
    assert [(i["subject"], i["session"]) for i in still_open] == [("SPY", "2025-09-26")]


def test_kinds_not_checked_and_other_sources_stay_open(con: duckdb.DuckDBPyConnection) -> None:
    incidents.record(con, CUT, run_id="r1", session=DAY)
    incidents.record(con, Incident("fred", "DFF", "no_rows", "empty"), run_id="r1", session=DAY)
    assert incidents.resolve_unseen(con, source="prices", kinds=["no_rows"], run_id="r2") == []
    assert len(incidents.open_incidents(con)) == 2


def test_the_same_damage_after_resolution_is_a_new_incident(
    con: duckdb.DuckDBPyConnection,
) -> None:
    incidents.record(con, CUT, run_id="r1", session=DAY)
    incidents.resolve_unseen(con, source="prices", kinds=["file_unreadable"], run_id="r2")
    assert incidents.record(con, CUT, run_id="r3", session=DAY) is True
    assert con.execute("select count(*) from ops.incidents").fetchone() == (2,)
