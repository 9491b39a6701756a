"""Slack against a real HTTP server on 127.0.0.1: 200, 429 + Retry-After, 500, no answer."""

from __future__ import annotations

import datetime as dt
import json
import socket
import time

import pytest

from alerts.channels import DeliveryError, SlackChannel
from alerts.outbox import make_event
from alerts.render import SLACK_MAX_BLOCKS, SLACK_SECTION_CHARS
from alerts.state import Transition
from tests.alerts.helpers import make_rule

DAY = dt.date(2025, 4, 4)


def events(n: int = 2, subject: str = "IWM", **rule_overrides):
    rule = make_rule(**rule_overrides)
    return [
        make_event(rule, Transition(f"{subject}{i}" if n > 1 else subject, DAY, -0.21, "fired"),
                   "run-1", deliverable=True)
        for i in range(n)
    ]  # fmt: skip


def send_all(channel: SlackChannel, evs) -> list:
    return [channel.send(m) for m in channel.messages(evs, DAY, "run-1")]


def test_a_digest_arrives_as_block_kit(slack_stand_in) -> None:
    server = slack_stand_in()
    send_all(SlackChannel(server.url, min_interval_s=0), events(2))
    (payload,) = server.posts
    kinds = [b["type"] for b in payload["blocks"]]
    assert kinds == ["header", "section", "section", "context"]
    assert payload["blocks"][0]["text"]["text"].startswith("Rotation monitor - 2 alerts")
    fields = [f["text"] for f in payload["blocks"][1]["fields"]]
    assert fields == ["Subject: IWM0", "Value: -21.00%", "Threshold: below -10.00%",
                      "Session: 2025-04-04"]  # fmt: skip
    assert "2025-04-04" in payload["blocks"][-1]["elements"][0]["text"]
    assert server.paths == ["/services/T000SECRET/B000SECRET/xoxSECRETtoken"]


def test_429_waits_for_retry_after_then_sends(slack_stand_in) -> None:
    server = slack_stand_in([(429, {"Retry-After": "1"}), 200])
    send_all(SlackChannel(server.url, min_interval_s=0), events(1))
    assert len(server.posts) == 2 and server.posts[0] == server.posts[1]
    assert server.times[1] - server.times[0] >= 0.95


def test_429_with_a_long_retry_after_fails_without_waiting(slack_stand_in) -> None:
    server = slack_stand_in([(429, {"Retry-After": "3600"})])
    started = time.monotonic()
    with pytest.raises(DeliveryError, match="rate limited"):
        send_all(SlackChannel(server.url, min_interval_s=0), events(1))
    assert time.monotonic() - started < 5


def test_500_is_retried_then_reported_without_the_secret(slack_stand_in) -> None:
    server = slack_stand_in([500, 200])
    send_all(SlackChannel(server.url, min_interval_s=0), events(1))
    assert len(server.posts) == 2
    down = slack_stand_in(default=500)
    with pytest.raises(DeliveryError) as err:
        send_all(SlackChannel(down.url, min_interval_s=0, max_attempts=2), events(1))
    assert len(down.posts) == 2
    assert "HTTP 500" in str(err.value) and "SECRET" not in str(err.value)


def test_a_4xx_is_not_retried(slack_stand_in) -> None:
    server = slack_stand_in([400])
    with pytest.raises(DeliveryError, match="HTTP 400"):
        send_all(SlackChannel(server.url, min_interval_s=0), events(1))
    assert len(server.posts) == 1


def test_no_answer_times_out_with_a_clear_message(slack_stand_in) -> None:
    server = slack_stand_in(default="hang")
    started = time.monotonic()
    with pytest.raises(DeliveryError) as err:
        send_all(SlackChannel(server.url, min_interval_s=0, timeout_s=0.5), events(1))
    assert time.monotonic() - started < 3
    assert "no answer within 0.5s" in str(err.value) and "SECRET" not in str(err.value)
    assert len(server.posts) == 1  # not retried: Slack may have accepted it


def test_unreachable_webhook_error_hides_the_url() -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/services/T1/B2/xoxSECRET"
    channel = SlackChannel(url, min_interval_s=0, timeout_s=1)
    with pytest.raises(DeliveryError) as err:
        send_all(channel, events(1))
    assert "SECRET" not in str(err.value) and "cannot reach" in str(err.value)
    assert "SECRET" not in repr(channel)


def test_large_digests_are_chunked_under_50_blocks_at_the_rate_limit(slack_stand_in) -> None:
    server = slack_stand_in()
    channel = SlackChannel(server.url, min_interval_s=0.3)
    send_all(channel, events(120))
    assert len(server.posts) == 3
    assert all(len(p["blocks"]) <= SLACK_MAX_BLOCKS for p in server.posts)
    sections = sum(b["type"] == "section" for p in server.posts for b in p["blocks"])
    assert sections == 120
    assert "(part 3/3)" in server.posts[2]["blocks"][0]["text"]["text"]
    gaps = [b - a for a, b in zip(server.times, server.times[1:], strict=False)]
    assert min(gaps) >= 0.28


def test_long_text_is_clipped_to_the_section_limit(slack_stand_in) -> None:
    server = slack_stand_in()
    send_all(SlackChannel(server.url, min_interval_s=0), events(1, meaning="x" * 5000))
    section = server.posts[0]["blocks"][1]
    assert len(section["text"]["text"]) <= SLACK_SECTION_CHARS


def test_hostile_text_from_data_is_escaped_and_never_formatted(slack_stand_in) -> None:
    server = slack_stand_in()
    hostile = "<!channel> *bold* & <https://evil.example|click>"
    send_all(SlackChannel(server.url, min_interval_s=0), events(1, subject=hostile))
    raw = json.dumps(server.posts[0])
    assert "<!channel>" not in raw and "<https://" not in raw
    section = server.posts[0]["blocks"][1]
    subject_field = section["fields"][0]
    assert subject_field == {
        "type": "plain_text",  # plain text: *bold* is shown as typed, not formatted
        "text": "Subject: &lt;!channel&gt; *bold* &amp; &lt;https://evil.example|click&gt;",
        "emoji": False,
    }
    assert "bold" not in section["text"]["text"]  # data never enters the mrkdwn text
