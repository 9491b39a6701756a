"""evaluate -> outbox -> deliver: once per crossing, nothing lost, nothing sent twice."""

from __future__ import annotations

import io
import json

import duckdb
import pytest

from alerts import (
    AlertsError,
    ConsoleChannel,
    SlackChannel,
    build_channels,
    deliver,
    evaluate,
    list_events,
    preview,
    record_pipeline_failure,
    send_test,
)
from alerts.rules import Rule
from rotation.settings import AlertsSettings, Secrets
from tests.alerts.helpers import SESSIONS, create_risk, make_rule

# IWM drawdown path: crosses -10% on session 2, stays, recovers past -5% on 5, crosses on 7
PATH = [-0.02, -0.08, -0.11, -0.15, -0.07, -0.04, -0.09, -0.12, -0.13, -0.10]


def count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"select count(*) from {table}").fetchone()[0]


def test_a_crossing_fires_once_and_a_rerun_never_duplicates(
    con: duckdb.DuckDBPyConnection, risk_rule: Rule
) -> None:
    create_risk(con, PATH)
    fired = []
    for day in SESSIONS[:2]:  # the first run warms up on nothing older: state is known
        assert evaluate(con, [risk_rule], day, f"run-{day}") == []
    for day in SESSIONS[2:]:
        new = evaluate(con, [risk_rule], day, f"run-{day}")
        again = evaluate(con, [risk_rule], day, f"rerun-{day}")  # re-running the same day
        assert again == []
        fired += [(e.event_date, e.transition, e.suppressed) for e in new]
    assert fired == [
        (SESSIONS[2], "fired", False),
        (SESSIONS[5], "resolved", True),  # recorded, not sent (notify_resolved is off)
        (SESSIONS[7], "fired", False),
    ]
    assert count(con, "alerts.events") == 3
    # a backfill over the same sessions later changes nothing either
    assert evaluate(con, [risk_rule], SESSIONS[-1], "backfill", deliverable=False) == []
    state = con.execute("select status, last_date from alerts.rule_state").fetchall()
    assert state == [("firing", SESSIONS[-1])]


def test_first_evaluation_warms_up_silently(con: duckdb.DuckDBPyConnection) -> None:
    """A level beyond the threshold for days is not news on the first run; a crossing is."""
    create_risk(con, PATH)
    assert evaluate(con, [make_rule()], SESSIONS[4], "r1") == []  # crossed on 2, quietly
    fresh = make_rule(name="iwm_drawdown_12", threshold=-0.12, hysteresis=0.0)
    # -0.13 on session 8 is below -0.12, but it already was on 7 (-0.12 is not below): fires 8
    new = evaluate(con, [fresh], SESSIONS[8], "r2")
    assert [(e.rule, e.event_date) for e in new] == [("iwm_drawdown_12", SESSIONS[8])]


def test_backfill_events_are_recorded_but_never_delivered(
    con: duckdb.DuckDBPyConnection, risk_rule: Rule
) -> None:
    create_risk(con, PATH)
    evaluate(con, [risk_rule], SESSIONS[1], "warm")
    new = evaluate(con, [risk_rule], SESSIONS[-1], "backfill", deliverable=False)
    assert len(new) == 3 and all(e.suppressed for e in new)
    out = io.StringIO()
    report = deliver(con, [ConsoleChannel(stream=out)], "daily")
    assert report.delivered == 0 and out.getvalue() == ""
    assert set(list_events(con)["delivery"]) == {"recorded only"}


def _three_events(con: duckdb.DuckDBPyConnection) -> list:
    rules = [
        make_rule(title="IWM 10% down"),
        make_rule(name="iwm_drawdown_9", threshold=-0.09, severity="info", title="IWM 9% down"),
        make_rule(
            name="iwm_drawdown_14", threshold=-0.14, severity="critical", title="IWM 14% down"
        ),
    ]
    create_risk(con, PATH)
    evaluate(con, rules, SESSIONS[1], "warm")
    return evaluate(con, rules, SESSIONS[3], "daily-1")


def test_a_channel_down_for_a_run_gets_every_event_once_when_back(
    con: duckdb.DuckDBPyConnection, slack_stand_in, tmp_path
) -> None:
    new = _three_events(con)
    assert len(new) == 3
    server = slack_stand_in([500])  # down for the first run, up afterwards
    slack = SlackChannel(server.url, min_interval_s=0, max_attempts=1)
    console = ConsoleChannel(tmp_path / "alerts.jsonl", stream=io.StringIO())

    first = deliver(con, [console, slack], "daily-1")
    assert not first.ok
    assert [(c.channel, c.delivered, c.failed) for c in first.channels] == [
        ("console", 3, 0),
        ("slack", 0, 3),
    ]
    assert "HTTP 500" in list_events(con)["delivery"][0]

    second = deliver(con, [console, slack], "daily-2")
    assert second.ok and [(c.channel, c.delivered) for c in second.channels] == [
        ("console", 0),
        ("slack", 3),
    ]
    assert deliver(con, [console, slack], "daily-3").delivered == 0  # nothing left
    # Slack: one failed post then one digest with the three events, most severe first
    assert len(server.posts) == 2
    titles = [b["text"]["text"] for b in server.posts[1]["blocks"] if b["type"] == "section"]
    assert [t.split("*")[1] for t in titles] == ["IWM 14% down", "IWM 10% down", "IWM 9% down"]
    assert [t.split("\n")[0].split("(")[-1] for t in titles] == ["critical)", "warning)", "info)"]
    # console + JSON lines: each event exactly once
    lines = [json.loads(x) for x in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert sorted(x["event_id"] for x in lines) == sorted(e.event_id for e in new)
    attempts = con.execute(
        "select channel, attempts, delivered_at is not null from alerts.deliveries "
        "group by all order by all"
    ).fetchall()
    assert attempts == [("console", 1, True), ("slack", 2, True)]


class SimulatedCrash(BaseException):
    """The process dies (kill -9 stand-in) right after the channel accepted the message."""


class CrashAfterSend(SlackChannel):
    def send(self, message):
        super().send(message)
        raise SimulatedCrash


def test_a_crash_after_sending_causes_one_flagged_repeat_never_a_loss(
    con: duckdb.DuckDBPyConnection, slack_stand_in
) -> None:
    """The chosen trade: at-least-once. The event is re-sent, marked as a possible repeat."""
    _three_events(con)
    server = slack_stand_in()
    with pytest.raises(SimulatedCrash):
        deliver(con, [CrashAfterSend(server.url, min_interval_s=0)], "daily-1")
    assert len(server.posts) == 1  # Slack has it ...
    rows = con.execute("select in_flight, delivered_at from alerts.deliveries").fetchall()
    assert rows == [(True, None)] * 3  # ... the database knows it may have gone out
    assert set(list_events(con)["delivery"]) == {
        "console: pending; email: pending; slack: interrupted (will re-send)"
    }

    report = deliver(con, [SlackChannel(server.url, min_interval_s=0)], "daily-2")
    assert report.channels[0].delivered == 3 and report.channels[0].repeats == 3
    assert len(server.posts) == 2  # the one duplicate the crash can cause
    notice = json.dumps(server.posts[1])
    assert "Possible repeat" in notice and "Possible repeat" not in json.dumps(server.posts[0])
    assert deliver(con, [SlackChannel(server.url, min_interval_s=0)], "daily-3").delivered == 0
    assert len(server.posts) == 2


def test_secrets_never_reach_the_database_or_reprs(
    con: duckdb.DuckDBPyConnection, slack_stand_in
) -> None:
    _three_events(con)
    server = slack_stand_in(default=403)
    secrets = Secrets(slack_webhook_url=server.url, smtp_password="hunter2-secret")
    settings = AlertsSettings(channels=("slack",), slack_min_interval_s=0)
    channels = build_channels(settings, secrets)
    report = deliver(con, channels, "daily-1")
    assert not report.ok
    dumped = " ".join(
        str(row)
        for table in ("alerts.events", "alerts.deliveries", "alerts.rule_state")
        for row in con.execute(f"select * from {table}").fetchall()
    )
    assert "HTTP 403" in dumped
    for text in (dumped, str(report), repr(channels), repr(secrets)):
        assert "SECRET" not in text and "hunter2" not in text


def test_pipeline_failure_hook_stores_one_event_per_run(con: duckdb.DuckDBPyConnection) -> None:
    first = record_pipeline_failure(con, "run-9", "daily", "boom\n<!channel> *x*")
    assert first is not None and first.kind == "pipeline_health"
    assert record_pipeline_failure(con, "run-9", "daily", "boom again") is None
    out = io.StringIO()
    assert deliver(con, [ConsoleChannel(stream=out)], "hook").delivered == 1
    assert (
        "Pipeline run failed" in out.getvalue() and "run run-9: boom <!channel>" in out.getvalue()
    )
    block = json.dumps(first.slack_block)
    assert "<!channel>" not in block and "&lt;!channel&gt;" in block


def test_events_waiting_for_an_unconfigured_channel_are_reported(
    con: duckdb.DuckDBPyConnection,
) -> None:
    _three_events(con)
    report = deliver(con, [ConsoleChannel(stream=io.StringIO())], "daily")
    assert report.waiting_unconfigured == {"email": 3, "slack": 3}
    assert "slack: 3 event(s) waiting" in str(report)


def test_preview_renders_and_writes_nothing(con: duckdb.DuckDBPyConnection) -> None:
    rules = [make_rule()]
    create_risk(con, PATH)
    evaluate(con, rules, SESSIONS[1], "warm")
    before = [count(con, t) for t in ("alerts.events", "alerts.rule_state")]
    text = preview(con, rules, SESSIONS[2])
    assert "Rotation monitor - 1 alert: 1 warning" in text and "-11.00%" in text
    assert [count(con, t) for t in ("alerts.events", "alerts.rule_state")] == before
    assert "No new alerts" in preview(con, rules, SESSIONS[1])


def test_build_channels_and_send_test(slack_stand_in) -> None:
    out = io.StringIO()
    (console,) = build_channels(AlertsSettings(channels=(), console_jsonl_path=""), Secrets(),
                                stream=out)  # fmt: skip
    assert console.name == "console"
    with pytest.raises(AlertsError, match="ROTATION_SLACK_WEBHOOK_URL is not set"):
        build_channels(AlertsSettings(channels=("slack",)), Secrets())
    with pytest.raises(AlertsError, match="smtp_host, smtp_from, smtp_to unset"):
        build_channels(AlertsSettings(channels=("email",)), Secrets())
    down = slack_stand_in(default=404)
    slack = SlackChannel(down.url, min_interval_s=0)
    results = send_test([console, slack])
    assert results[0][:2] == ("console", True) and "TEST" in out.getvalue()
    assert results[1][:2] == ("slack", False) and "HTTP 404" in results[1][2]
    assert "TEST" in down.posts[0]["blocks"][0]["text"]["text"]
