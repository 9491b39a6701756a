"""The missed-run automation is accepted by Prefect's open-source server (the session's test
server of tests/flows/conftest.py: no second one is started)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

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


def test_serve_installs_it_when_a_block_is_configured(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from prefect.automations import Automation
    from prefect.blocks.notifications import SlackWebhook

    from flows.automation import NAME
    from flows.serve import _install_missed_run_automation

    SlackWebhook(url="http://127.0.0.1:9/hooks/y").save("rotation-serve", overwrite=True)
    monkeypatch.setenv("ROTATION_HEARTBEAT_PREFECT_NOTIFY_BLOCK", "slack-webhook/rotation-serve")
    _install_missed_run_automation(None)
    stored = Automation.read(name=NAME)
    block: Any = SlackWebhook.load("rotation-serve")
    assert stored.actions[0].block_document_id == block._block_document_id  # type: ignore[union-attr]

    monkeypatch.setenv("ROTATION_HEARTBEAT_PREFECT_NOTIFY_BLOCK", "slack-webhook/no-such-block")
    # Prefect's first setup_logging in this process (however early or late it comes in test
    # order) replaces the root logger's handlers, caplog's with them: listen on the logger.
    serve_log = logging.getLogger("flows.serve")
    serve_log.addHandler(caplog.handler)
    try:
        _install_missed_run_automation(None)  # one line, serving goes on
    finally:
        serve_log.removeHandler(caplog.handler)
    assert "missed-run automation not installed (block 'slack-webhook/no-such" in caplog.text
