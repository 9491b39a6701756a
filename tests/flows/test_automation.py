"""The missed-run automation is accepted by Prefect's open-source server (the session's test
server of tests/flows/conftest.py: no second one is started)."""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_server")]


def test_install_creates_one_proactive_automation_and_replaces_it() -> None:
    from prefect.automations import Automation
    from prefect.blocks.notifications import SlackWebhook

    from flows.automation import NAME, install

    SlackWebhook(url="http://127.0.0.1:9/hooks/x").save("rotation-ops", overwrite=True)
    first = install("slack-webhook/rotation-ops")
    again = install("slack-webhook/rotation-ops", dt.timedelta(hours=80))

    stored = Automation.read(name=NAME)
    assert stored.id == again.id != first.id  # replaced, not duplicated
    trigger = stored.trigger
    assert trigger.posture == "Proactive"  # type: ignore[union-attr]
    assert trigger.expect == {"prefect.flow-run.Completed"}  # type: ignore[union-attr]
    assert trigger.within == dt.timedelta(hours=80)  # type: ignore[union-attr]
    related = trigger.match_related  # type: ignore[union-attr]
    assert related["prefect.resource.name"] in ("daily", ["daily"])  # type: ignore[index,call-overload]
    assert stored.actions[0].type == "send-notification"
