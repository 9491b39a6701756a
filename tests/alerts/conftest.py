"""Fixtures of the alert tests (helpers live in tests/alerts/helpers.py)."""

from __future__ import annotations

import pytest

from alerts.rules import Rule
from tests.alerts.helpers import make_rule


@pytest.fixture
def risk_rule() -> Rule:
    return make_rule()


@pytest.fixture
def slack_stand_in():
    from tests.alerts.helpers import SlackStandIn

    servers: list[SlackStandIn] = []

    def start(answers=(), default=200) -> SlackStandIn:
        server = SlackStandIn(answers, default)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
