"""The heartbeat ping against a receiver on 127.0.0.1: one URL per outcome, never fatal."""

from __future__ import annotations

import socket

from flows.heartbeat import ping
from tests.flows.heartbeat_receiver import heartbeat_receiver


def test_each_outcome_has_its_url_and_carries_the_message() -> None:
    with heartbeat_receiver() as pings:
        assert ping(pings.url, "start", "daily-run 2025-09-26")
        assert ping(pings.url + "/", "success", "run r1: fetched 10")
        assert ping(pings.url, "fail", "daily-run failed: RunTimedOut")
    assert pings.kinds() == ["start", "success", "fail"]
    assert pings.received[2][1] == "daily-run failed: RunTimedOut"


def test_no_url_sends_nothing_and_a_dead_receiver_never_raises(caplog) -> None:
    assert ping("", "success", "x") is False
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends
    assert ping(f"http://127.0.0.1:{port}/secret-uuid", "fail", "x", timeout_s=2) is False
    assert "heartbeat fail ping" in caplog.text
    assert "secret-uuid" not in caplog.text  # the ping URL works as a password
