"""Alertmanager and Apprise channels through the outbox, against real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from alerts import (
    AlertsError,
    ConsoleChannel,
    DigestContext,
    build_channels,
    deliver,
    evaluate,
    list_events,
    refresh_alertmanager,
)
from alerts.channels import AlertmanagerChannel, AppriseChannel
from rotation.settings import AlertsSettings, Secrets
from tests.alerts.helpers import SESSIONS, create_risk, make_rule

# IWM drawdown: crosses -10% on session 2, recovers past -5% on session 5
PATH = [-0.02, -0.08, -0.11, -0.15, -0.07, -0.04, -0.03, -0.02, -0.02, -0.02]
NOW = dt.datetime(2025, 1, 2, 12, 0, tzinfo=dt.UTC)


def _base(server) -> str:
    """The root URL of a stand-in (tests/alerts/helpers.py: a real HTTP server on 127.0.0.1
    that records every POST and answers from a script; here it plays Alertmanager)."""
    host, port = server.server.server_address[:2]
    return f"http://{host}:{port}"


def test_alertmanager_receives_firing_then_resolved_with_the_documented_fields(
    con: duckdb.DuckDBPyConnection, slack_stand_in, tmp_path
) -> None:
    import io

    server = slack_stand_in([500])  # the first post fails: retried within the send
    clock = iter([NOW, NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=3)])
    channel = AlertmanagerChannel(_base(server), hold_h=96, clock=lambda: next(clock))
    console = ConsoleChannel(tmp_path / "a.jsonl", stream=io.StringIO())
    rule = make_rule(  # notify_resolved is off: the resolution goes to Alertmanager only
        channels=["alertmanager", "console"],
        runbook_url="https://wiki.example/runbooks/iwm-drawdown",
    )
    context = DigestContext(
        run_url="http://127.0.0.1:4200/flow-runs/flow-run/abc", report="https://r.example/x.html"
    )
    create_risk(con, PATH)
    evaluate(con, [rule], SESSIONS[1], "warm")
    for day in SESSIONS[2:4]:  # fires on 2; still firing on 3: refreshed, not re-notified
        evaluate(con, [rule], day, f"run-{day}")
        assert deliver(con, [channel, console], f"run-{day}", context=context).ok
        refresh_alertmanager(con, [channel, console], day, f"run-{day}", context=context)
    evaluate(con, [rule], SESSIONS[5], "run-5")
    assert deliver(con, [channel, console], "run-5", context=context).ok
    assert server.paths == ["/api/v2/alerts"] * 4
    (firing,), (refreshed,), (resolved,) = server.posts[1], server.posts[2], server.posts[3]
    labels = {
        "alertname": "iwm_drawdown_10",
        "subject": "IWM",
        "severity": "warning",
        "kind": "risk",
        "service": "rotation-monitor",
    }
    assert firing["labels"] == refreshed["labels"] == resolved["labels"] == labels
    # startsAt: the close of the session it fired on (16:00 New York = 21:00 UTC in December)
    assert firing["startsAt"] == refreshed["startsAt"] == resolved["startsAt"]
    assert firing["startsAt"] == "2024-12-19T21:00:00Z"
    assert firing["endsAt"] == "2025-01-06T12:00:00Z"  # held 96 h: survives a weekend
    assert refreshed["endsAt"] == "2025-01-07T12:00:00Z"  # the next run moves it on
    assert resolved["endsAt"] == "2025-01-05T12:00:00Z"  # resolved now
    assert firing["annotations"]["summary"] == "IWM 10% below its peak"
    assert firing["annotations"]["runbook_url"] == "https://wiki.example/runbooks/iwm-drawdown"
    assert firing["annotations"]["report"] == "https://r.example/x.html"
    assert "[WARNING] IWM 10% below its peak" in firing["annotations"]["description"]
    assert firing["generatorURL"] == context.run_url
    states = con.execute(
        "select channel, count(*), bool_and(delivered_at is not null) from alerts.deliveries "
        "group by all order by all"
    ).fetchall()
    assert states == [("alertmanager", 2, True), ("console", 1, True)]  # fire; fire+resolve


def test_alertmanager_refusing_keeps_the_alert_for_the_next_run(
    con: duckdb.DuckDBPyConnection, slack_stand_in
) -> None:
    server = slack_stand_in([400])
    channel = AlertmanagerChannel("http://user:pw@" + _base(server)[7:], clock=lambda: NOW)
    rule = make_rule(channels=["alertmanager"])
    create_risk(con, PATH)
    evaluate(con, [rule], SESSIONS[1], "warm")
    evaluate(con, [rule], SESSIONS[2], "run-2")
    first = deliver(con, [channel], "run-2")
    assert not first.ok and len(server.posts) == 1  # a 4xx is not retried
    error = list_events(con)["delivery"][0]
    assert "HTTP 400" in error and "pw" not in error  # credentials never reach the record
    assert deliver(con, [channel], "run-3").delivered == 1


def test_apprise_delivers_through_a_json_webhook_and_failures_are_not_swallowed(
    con: duckdb.DuckDBPyConnection, slack_stand_in
) -> None:
    server = slack_stand_in([500])  # Apprise returns False here; the channel must raise
    url = "json://" + _base(server)[7:] + "/hooks/T0KEN"
    channels = build_channels(AlertsSettings(channels=("apprise",)), Secrets(apprise_urls=(url,)))
    assert [type(c) for c in channels] == [AppriseChannel]
    rule = make_rule(channels=["apprise"], severity="critical")
    create_risk(con, PATH)
    evaluate(con, [rule], SESSIONS[1], "warm")
    evaluate(con, [rule], SESSIONS[2], "run-2")
    first = deliver(con, channels, "run-2")
    assert not first.ok
    error = list_events(con)["delivery"][0]
    assert error.startswith("apprise: failed x1 (apprise: Failed to send JSON POST")
    assert "error=500" in error and "T0KEN" not in error
    second = deliver(con, channels, "run-3")
    assert second.ok and second.delivered == 1
    body = server.posts[-1]
    assert server.paths[-1] == "/hooks/T0KEN"
    assert body["title"] == "Rotation monitor - 1 alert: 1 critical"
    assert body["type"] == "failure"  # a critical alert is an Apprise failure notice
    assert "[CRITICAL] IWM 10% below its peak" in body["message"]


def test_bridges_need_their_settings() -> None:
    with pytest.raises(AlertsError, match="alertmanager_url unset"):
        build_channels(AlertsSettings(channels=("alertmanager",)), Secrets())
    with pytest.raises(AlertsError, match="ROTATION_APPRISE_URLS is empty"):
        build_channels(AlertsSettings(channels=("apprise",)), Secrets())
    with pytest.raises(AlertsError, match=r"URL #1 \(nosuch://...\)"):
        build_channels(
            AlertsSettings(channels=("apprise",)), Secrets(apprise_urls=("nosuch://tok",))
        )


def test_rotation_alerts_test_reaches_alertmanager_as_a_short_lived_test_alert(
    slack_stand_in,
) -> None:
    from alerts import send_test

    server = slack_stand_in()
    channel = AlertmanagerChannel(_base(server), clock=lambda: NOW)
    assert send_test([channel]) == [("alertmanager", True, "sent 1 test message(s)")]
    (alert,) = server.posts[0]
    assert alert["labels"]["alertname"] == "rotation_test"
    assert alert["endsAt"] == "2025-01-02T12:05:00Z"  # resolves itself in five minutes
