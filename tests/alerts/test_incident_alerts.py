"""The data-quality rule on ops.incidents fires once per incident; catch-up runs stay quiet.

Runs are simulated the way the flow writes them: an ops.runs row per session, incidents
recorded by ``rotation.incidents`` for that run, then ``alerts.evaluate`` for the session.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from alerts import evaluate, load_rules
from rotation import incidents
from rotation.incidents import Incident
from rotation.runs import start_run
from tests.alerts.helpers import SESSIONS

BAD_FILE = Incident("prices", "IWM", "file_unreadable", "prices/IWM.csv: an HTML page, not CSV")
NO_SERIES = Incident("fred", "ICSA", "no_data", "replay file fred/ICSA.csv is missing")


def _rule(name: str):
    return [r for r in load_rules([]) if r.name == name]


def _run(
    con: duckdb.DuckDBPyConnection,
    day: dt.date,
    seen: list[Incident],
    checked: dict[str, list[str]],
) -> list[str]:
    """One daily run on ``day``: record what it saw, resolve what it checked, evaluate."""
    run_id = f"run-{day}"
    start_run(con, run_id, "daily-run", day)
    incidents.record_all(con, seen, run_id=run_id, session=day)
    for source, kinds in checked.items():
        incidents.resolve_unseen(con, source=source, kinds=kinds, run_id=run_id)
    events = evaluate(con, _rule("data_incident"), day, run_id)
    return [f"{e.transition} {e.subject}" for e in events]


def test_one_alert_per_incident_naming_file_and_reason(con: duckdb.DuckDBPyConnection) -> None:
    checked = {"prices": ["file_unreadable"], "fred": ["no_data"]}
    assert _run(con, SESSIONS[0], [], checked) == []
    first = _run(con, SESSIONS[1], [BAD_FILE], checked)
    assert first == ["fired prices IWM: prices/IWM.csv: an HTML page, not CSV"]
    # the same damage seen again (even with a new detail) is the same incident: silent
    again = Incident("prices", "IWM", "file_unreadable", "prices/IWM.csv line 3: changed")
    assert _run(con, SESSIONS[2], [again], checked) == []
    # a second incident while the first is open fires on its own
    assert _run(con, SESSIONS[3], [again, NO_SERIES], checked) == [
        "fired fred ICSA: replay file fred/ICSA.csv is missing"
    ]
    # repaired: a resolved event, recorded only (notify_resolved is off)
    resolved = _run(con, SESSIONS[4], [NO_SERIES], checked)
    assert resolved == ["resolved prices IWM: " + BAD_FILE.detail]
    assert [i["subject"] for i in incidents.open_incidents(con)] == ["ICSA"]
    # the same file broken again later is a new incident and alerts again
    assert _run(con, SESSIONS[5], [BAD_FILE, NO_SERIES], checked) == [
        "fired prices IWM: " + BAD_FILE.detail
    ]
    delivered = con.execute(
        "select count(*) from alerts.events where transition = 'fired' and not suppressed"
    ).fetchone()
    assert delivered == (3,)


def test_rerunning_a_session_does_not_fire_twice(con: duckdb.DuckDBPyConnection) -> None:
    assert _run(con, SESSIONS[0], [BAD_FILE], {}) != []
    day = SESSIONS[0]
    incidents.record(con, BAD_FILE, run_id="again", session=day)
    assert evaluate(con, _rule("data_incident"), day, "again") == []


def _validation(con: duckdb.DuckDBPyConnection, day: dt.date, source: str, passed: int) -> None:
    run_id = f"run-{day}"
    start_run(con, run_id, "daily-run", day)
    con.execute(
        """insert into ops.validation_runs (run_id, source, suite, rows_in, rows_passed,
           rows_quarantined, batch_ok, message) values (?, ?, 'suite', 10, ?, 0, true, 'm')""",
        [run_id, source, passed],
    )


def test_catch_up_after_the_machine_was_off_raises_no_source_down(
    con: duckdb.DuckDBPyConnection,
) -> None:
    rule = _rule("source_down")
    for source in ("prices", "fred"):
        _validation(con, SESSIONS[0], source, 10)
    assert evaluate(con, rule, SESSIONS[0], f"run-{SESSIONS[0]}") == []
    # off for six sessions; the run on SESSIONS[7] catches up and every source delivers
    for source in ("prices", "fred"):
        _validation(con, SESSIONS[7], source, 10)
    assert evaluate(con, rule, SESSIONS[7], f"run-{SESSIONS[7]}") == []


def test_a_source_really_down_still_alerts_on_the_run_that_sees_it(
    con: duckdb.DuckDBPyConnection,
) -> None:
    rule = _rule("source_down")
    for source in ("prices", "fred"):
        _validation(con, SESSIONS[0], source, 10)
    evaluate(con, rule, SESSIONS[0], f"run-{SESSIONS[0]}")
    _validation(con, SESSIONS[7], "prices", 10)  # FRED delivered nothing good since SESSIONS[0]
    events = evaluate(con, rule, SESSIONS[7], f"run-{SESSIONS[7]}")
    assert [(e.subject, e.event_date, e.value, e.suppressed) for e in events] == [
        ("fred", SESSIONS[7], 7.0, False)
    ]


def _member_damage(n: int, kind: str = "rows_quarantined") -> list[Incident]:
    return [
        Incident("member_prices", f"M{i:04d}", kind, f"1 row(s) quarantined: M{i:04d} bad close")
        for i in range(n)
    ]


def test_member_damage_is_one_alert_per_source_whatever_the_number_of_members(
    con: duckdb.DuckDBPyConnection, tmp_path
) -> None:
    """150 damaged members, then 140 whole again, then all: at most one event per run."""
    import io
    import json

    from alerts import deliver
    from alerts.channels.console import ConsoleChannel

    jsonl = tmp_path / "alerts.jsonl"
    console = ConsoleChannel(jsonl, stream=io.StringIO())
    kinds = {"member_prices": ["rows_quarantined", "level_shift"]}
    quarantined = _member_damage(150)
    shifts = [Incident("member_prices", "S1", "level_shift", "held a level shift of -90%")]
    per_run: list[list[dict]] = []

    def run_and_deliver(day: dt.date, seen: list[Incident]) -> list[str]:
        before = jsonl.read_text().splitlines() if jsonl.exists() else []
        subjects = _run(con, day, seen, kinds)
        deliver(con, [console], f"run-{day}")
        after = jsonl.read_text().splitlines() if jsonl.exists() else []
        per_run.append([json.loads(line) for line in after[len(before) :]])
        return subjects

    assert run_and_deliver(SESSIONS[0], []) == []
    fired = run_and_deliver(SESSIONS[1], quarantined + shifts)
    assert fired == ["fired member_prices: damage to members or companies"]
    [event] = per_run[-1]
    assert event["value"] == 151.0
    assert (
        "150 members with quarantined rows, 1 held shift; see `rotation status`" in (event["text"])
    )
    assert len(incidents.open_incidents(con)) == 151  # the detail stays per member
    # 140 members whole again, the shift still held: nothing to say
    assert run_and_deliver(SESSIONS[2], quarantined[140:] + shifts) == []
    assert per_run[-1] == []
    # the rest whole: one resolution for the source
    assert run_and_deliver(SESSIONS[3], []) == [
        "resolved member_prices: damage to members or companies"
    ]
    assert [e["transition"] for e in per_run[-1]] == ["resolved"]
    assert max(len(events) for events in per_run) <= 3
    # a configured symbol's damage is still its own alert beside the members' one
    assert run_and_deliver(SESSIONS[4], [BAD_FILE, *_member_damage(3)]) == [
        "fired member_prices: damage to members or companies",
        "fired prices IWM: " + BAD_FILE.detail,
    ]
