"""Silences, reminders, inhibition, resolved notices and routing, end to end through the outbox."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import duckdb
import pytest

from alerts import (
    AlertsError,
    ConsoleChannel,
    SlackChannel,
    add_silence,
    deliver,
    evaluate,
    list_events,
    list_silences,
    load_rules,
    preview,
    record_pipeline_failure,
    record_pipeline_recovery,
    remove_silence,
)
from alerts.events import Event
from alerts.muting import mute
from rotation.runs import start_run
from rotation.settings import AlertsSettings
from tests.alerts.helpers import SESSIONS, create_risk, make_rule

# IWM drawdown: crosses -10% on session 2, stays until 4, recovers past -5% on 5, crosses on 7
PATH = [-0.02, -0.08, -0.11, -0.15, -0.07, -0.04, -0.09, -0.12, -0.13, -0.10]


def _console(tmp_path: Path) -> tuple[ConsoleChannel, Path]:
    jsonl = tmp_path / "alerts.jsonl"
    return ConsoleChannel(jsonl, stream=io.StringIO()), jsonl


def _sent(jsonl: Path) -> list[dict]:
    if not jsonl.exists():
        return []
    return [json.loads(line) for line in jsonl.read_text().splitlines()]


def _daily(con, rules, channel, days) -> None:
    for day in days:
        evaluate(con, rules, day, f"run-{day}")
        deliver(con, [channel], f"run-{day}")


def test_a_silence_mutes_up_to_its_session_then_expires_by_itself(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    create_risk(con, PATH)
    rule = make_rule(channels=["console"])
    console, jsonl = _console(tmp_path)
    evaluate(con, [rule], SESSIONS[1], "warm")
    silence = add_silence(
        con,
        "iwm_drawdown_10/IWM",
        SESSIONS[4],
        "known correction, desk informed",
        known_rules={rule.name: rule.subject},
        today=SESSIONS[1],
    )
    _daily(con, [rule], console, SESSIONS[2:])
    # the fire on session 2 is muted, the one on session 7 (after the silence) is sent
    assert [(x["event_date"], x["transition"]) for x in _sent(jsonl)] == [
        (SESSIONS[7].isoformat(), "fired")
    ]
    events = list_events(con)
    (muted,) = events.loc[events["transition"] == "fired", "delivery"].iloc[1:]  # newest first
    assert muted.startswith(f"muted (silence {silence.silence_id} until {SESSIONS[4]}")
    assert "known correction" in muted
    table = list_silences(con, SESSIONS[3])
    assert table[["silence_id", "state", "muted_events"]].values.tolist() == [
        [silence.silence_id, "active", 1]
    ]
    assert list_silences(con, SESSIONS[5]).empty  # expired: no longer listed as in place
    expired = list_silences(con, SESSIONS[5], include_all=True)
    assert expired["state"].tolist() == ["expired"]


def test_a_silence_added_later_mutes_what_waits_and_unsilence_ends_it(
    con: duckdb.DuckDBPyConnection, slack_stand_in
) -> None:
    create_risk(con, PATH)
    rule = make_rule(channels=["slack"])
    server = slack_stand_in([500])  # Slack down: the fire of session 2 waits in the outbox
    slack = SlackChannel(server.url, min_interval_s=0, max_attempts=1)
    evaluate(con, [rule], SESSIONS[1], "warm")
    evaluate(con, [rule], SESSIONS[2], "run-2")
    assert not deliver(con, [slack], "run-2").ok
    silence = add_silence(
        con,
        "iwm_drawdown_10",
        SESSIONS[9],
        "noisy",
        known_rules={rule.name: rule.subject},
        today=SESSIONS[2],
    )
    report = deliver(con, [slack], "run-3")
    assert report.muted == 1 and report.delivered == 0 and len(server.posts) == 1
    remove_silence(con, silence.silence_id)
    _daily(con, [rule], slack, SESSIONS[3:])
    fired = [b for p in server.posts[1:] for b in p["blocks"] if b["type"] == "section"]
    assert len(fired) == 1 and SESSIONS[7].isoformat() in json.dumps(fired)
    with pytest.raises(AlertsError, match="no silence"):
        remove_silence(con, silence.silence_id)
    with pytest.raises(AlertsError, match="no rule 'nope'"):
        add_silence(
            con, "nope", SESSIONS[9], "x", known_rules={rule.name: rule.subject}, today=SESSIONS[2]
        )
    with pytest.raises(AlertsError, match="watches 'IWM' only, not 'IWN'"):
        add_silence(
            con, "iwm_drawdown_10/IWN", SESSIONS[9], "x", known_rules={rule.name: "IWM"},
            today=SESSIONS[2],
        )  # fmt: skip
    with pytest.raises(AlertsError, match="in the past"):
        add_silence(
            con,
            rule.name,
            SESSIONS[0],
            "x",
            known_rules={rule.name: rule.subject},
            today=SESSIONS[2],
        )


def test_a_rule_still_firing_is_sent_again_as_a_reminder(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    create_risk(con, PATH)
    rule = make_rule(channels=["console"], repeat_sessions=2, severity="critical")
    console, jsonl = _console(tmp_path)
    evaluate(con, [rule], SESSIONS[1], "warm")
    _daily(con, [rule], console, SESSIONS[2:7])
    sent = [(x["event_date"], x["transition"]) for x in _sent(jsonl)]
    # fired on 2, still firing 2 sessions later (4): a reminder; resolved on 5 (not notified)
    assert sent == [(SESSIONS[2].isoformat(), "fired"), (SESSIONS[4].isoformat(), "reminder")]
    reminder = _sent(jsonl)[1]["text"]
    assert reminder.startswith("[REMINDER CRITICAL]")
    assert f"firing since {SESSIONS[2].isoformat()}" in reminder
    # the default: critical rules remind weekly, others never
    assert make_rule(severity="critical").repeat_sessions == 5
    assert make_rule().repeat_sessions == 0


def _event(rule: str, subject: str, transition: str = "fired") -> Event:
    return Event(
        event_id=f"{rule}-{subject}",
        rule=rule,
        subject=subject,
        event_date=SESSIONS[0],
        transition=transition,
        kind="risk",
        severity="warning",
        value=1.0,
        threshold=0.0,
        title=rule,
        channels=("console",),
    )


def test_a_stale_symbol_or_a_source_down_mutes_the_rules_computed_from_it() -> None:
    rules = load_rules([])  # the defaults declare the inhibitions
    events = [
        _event("iwm_spy_below_ma200", "IWM/SPY"),
        _event("iwm_drawdown_10", "IWM"),
        _event("hy_spread_widening", "US"),
        _event("iwm_drawdown_10", "IWM", "resolved"),
    ]
    stale_spy = mute(events, rules, {("price_data_stale", "SPY")}, [])
    assert [e.muted_by for e in stale_spy] == [
        "inhibited: SPY is stale (price_data_stale firing)",
        None,
        None,
        None,
    ]
    fred_down = mute(events, rules, {("source_down", "fred")}, [])
    assert [e.muted_by for e in fred_down] == [
        None,
        None,
        "inhibited: fred is down (source_down firing)",
        None,
    ]
    prices_down = mute(events, rules, {("source_down", "prices")}, [])
    assert [bool(e.muted_by) for e in prices_down] == [True, True, False, False]
    # a resolution is never muted; and a rule that does not fire inhibits nothing
    assert all(e.muted_by is None for e in mute(events, rules, set(), []))


def test_a_failed_run_followed_by_a_good_one_is_resolved(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    console, jsonl = _console(tmp_path)
    start_run(con, "run-bad", "daily-run", SESSIONS[3])
    failed = record_pipeline_failure(con, "run-bad", "daily-run", "FRED timed out")
    assert failed is not None
    deliver(con, [console], "run-bad")
    start_run(con, "run-good", "daily-run", SESSIONS[4])
    resolved = record_pipeline_recovery(con, "run-good")
    assert resolved is not None and not resolved.suppressed
    assert record_pipeline_recovery(con, "run-good") is None  # said once
    start_run(con, "run-next", "daily-run", SESSIONS[5])
    assert record_pipeline_recovery(con, "run-next") is None  # nothing was failing
    deliver(con, [console], "run-good")
    sent = _sent(jsonl)
    assert [(x["rule"], x["transition"]) for x in sent] == [
        ("pipeline_failed", "fired"),
        ("pipeline_failed", "resolved"),
    ]
    assert sent[1]["text"].startswith("[RESOLVED] Pipeline runs again")
    assert f"firing since {SESSIONS[3].isoformat()}" in sent[1]["text"]


def test_routes_send_each_severity_to_its_channels(
    con: duckdb.DuckDBPyConnection, slack_stand_in, tmp_path: Path
) -> None:
    settings = AlertsSettings(
        channels=("console", "slack"),
        route_critical=("console", "slack"),
        route_info=("slack",),
    )
    table = {
        "name": "dd",
        "family": "risk",
        "indicator": "drawdown",
        "subject": "IWM",
        "direction": "below",
        "hysteresis": 0.05,
        "kind": "risk",
    }
    rules = load_rules(
        [
            {**table, "name": "dd_info", "threshold": -0.09, "severity": "info"},
            {**table, "name": "dd_warning", "threshold": -0.10, "severity": "warning"},
            {**table, "name": "dd_critical", "threshold": -0.14, "severity": "critical"},
        ],
        settings,
    )
    assert {r.name: r.channels for r in rules} == {
        "dd_info": ("slack",),
        "dd_warning": ("console", "slack"),  # no route for warning: every channel
        "dd_critical": ("console", "slack"),
    }
    create_risk(con, PATH)
    evaluate(con, rules, SESSIONS[1], "warm")
    evaluate(con, rules, SESSIONS[3], "run")
    server = slack_stand_in()
    console, jsonl = _console(tmp_path)
    deliver(con, [console, SlackChannel(server.url, min_interval_s=0)], "run")
    assert sorted(x["rule"] for x in _sent(jsonl)) == ["dd_critical", "dd_warning"]
    assert len([b for b in server.posts[0]["blocks"] if b["type"] == "section"]) == 3
    # a route that leaves a rule no channel, or names an unknown one, is refused
    with pytest.raises(AlertsError, match="leave it no configured channel"):
        load_rules(
            [{**table, "threshold": -0.1, "severity": "info", "channels": ["console"]}], settings
        )
    with pytest.raises(AlertsError, match="route_risk: unknown channel 'pager'"):
        load_rules(rules[:0], dataclasses.replace(settings, route_risk=("pager",)))


def test_preview_says_what_would_be_muted_and_why(con: duckdb.DuckDBPyConnection) -> None:
    create_risk(con, PATH)
    rule = make_rule(channels=["console"])
    evaluate(con, [rule], SESSIONS[1], "warm")
    add_silence(
        con,
        rule.name,
        SESSIONS[5],
        "maintenance",
        known_rules={rule.name: rule.subject},
        today=SESSIONS[1],
    )
    text = preview(con, [rule], SESSIONS[2])
    assert "No new alerts" in text
    assert "Would be muted (1; recorded, not sent):" in text
    assert f"iwm_drawdown_10 [IWM] fired {SESSIONS[2]}: silence s-" in text
    assert "maintenance" in text
    assert f"Silences covering {SESSIONS[2]}:\n  s-" in text
    assert f"iwm_drawdown_10 until {SESSIONS[5]}: maintenance" in text


def test_an_inhibition_names_a_rule_that_exists() -> None:
    table = {
        "name": "dd20",
        "family": "risk",
        "indicator": "drawdown",
        "subject": "IWM",
        "direction": "below",
        "threshold": -0.2,
        "severity": "critical",
        "kind": "risk",
        "inhibits": ["dd10"],
    }
    with pytest.raises(AlertsError, match="inhibits unknown rule"):
        load_rules([table])
    with pytest.raises(AlertsError, match="data_quality rules only"):
        load_rules([{**table, "inhibits": [], "inhibits_dependents": True}])


def _price(con: duckdb.DuckDBPyConnection, symbol: str, day) -> None:
    con.execute(
        """insert into raw.prices (symbol, date, close, adj_close, adj_close_received,
           adjustment, source, fetched_at, run_id)
           values (?, ?, 1, 1, 1, 'raw', 'test', now(), 'r')""",
        [symbol, day],
    )


def test_a_stale_symbol_mutes_its_rules_and_its_resolution_is_sent(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """IWM's prices stop after 12-23 (its last stored session crosses -10%); SPY's keep
    coming. The run of 12-24 (after one on 12-20) finds IWM stale: the drawdown fire computed
    from IWM's last data is muted with the reason, the staleness is sent, and when IWM's
    prices arrive its resolution is sent too (data quality resolves by default)."""
    stale_rule = next(r for r in load_rules([]) if r.name == "price_data_stale")
    drawdown = make_rule(channels=["console"])
    rules = [stale_rule, drawdown]
    for day in SESSIONS:
        _price(con, "SPY", day)
    for day in SESSIONS[:5]:
        _price(con, "IWM", day)
    create_risk(con, [-0.02, -0.03, -0.04, -0.05, -0.11])  # crosses on 12-23, then no data
    console, jsonl = _console(tmp_path)
    evaluate(con, rules, SESSIONS[3], "run-1220")
    new = evaluate(con, rules, SESSIONS[5], "run-1224")
    assert sorted((e.rule, e.subject, e.muted_by) for e in new) == [
        ("iwm_drawdown_10", "IWM", "inhibited: IWM is stale (price_data_stale firing)"),
        ("price_data_stale", "IWM", None),
    ]
    deliver(con, [console], "run-1224")
    for day in SESSIONS[5:7]:
        _price(con, "IWM", day)
    evaluate(con, rules, SESSIONS[6], "run-1226")
    deliver(con, [console], "run-1226")
    sent = [(x["rule"], x["subject"], x["transition"], x["event_date"]) for x in _sent(jsonl)]
    assert sent == [
        ("price_data_stale", "IWM", "fired", SESSIONS[5].isoformat()),
        ("price_data_stale", "IWM", "resolved", SESSIONS[6].isoformat()),
    ]


def test_runbook_report_and_run_links_reach_every_format() -> None:
    from alerts import DigestContext
    from alerts.outbox import make_event
    from alerts.render import console_text, email_message, slack_messages
    from alerts.state import Transition

    runbook = "https://wiki.example/runbooks/iwm?a=1&b=2"
    rule = make_rule(runbook_url=runbook)
    event = make_event(rule, Transition("IWM", SESSIONS[2], -0.11, "fired"), "r1", deliverable=True)
    context = DigestContext(run_url="http://prefect:4200/flow-runs/flow-run/r1", report="/d/r.html")
    assert f"runbook {runbook}" in console_text([event], SESSIONS[2], "r1", context=context)
    assert "Run: http://prefect:4200/flow-runs/flow-run/r1 - Report: /d/r.html" in console_text(
        [event], SESSIONS[2], "r1", context=context
    )
    ((_, payload),) = slack_messages([event], SESSIONS[2], "r1", context=context)
    section = next(b for b in payload["blocks"] if b["type"] == "section")
    assert "<https://wiki.example/runbooks/iwm?a=1&amp;b=2|Runbook>" in section["text"]["text"]
    footer = payload["blocks"][-1]["elements"][0]["text"]
    assert (
        "<http://prefect:4200/flow-runs/flow-run/r1|r1>" in footer and "report /d/r.html" in footer
    )
    mail = email_message(
        [event],
        SESSIONS[2],
        "r1",
        sender="a@b.example",
        recipients=["c@d.example"],
        context=context,
    )
    html = mail.get_body(("html",)).get_content()
    assert "wiki.example/runbooks/iwm?a=1&amp;b=2" in html and "Report: /d/r.html" in html
    with pytest.raises(AlertsError, match="runbook_url must be an http"):
        make_rule(runbook_url="javascript:alert(1)")
    with pytest.raises(AlertsError, match="leave failed-run alerts no configured channel"):
        load_rules([], AlertsSettings(channels=("console",), route_critical=("slack",)))
