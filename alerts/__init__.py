"""Alerts: rules from configuration, crossings with hysteresis and cooldown, an outbox, channels.

The public API used by ``flows/`` and the CLI (no Prefect here):

- ``load_rules(settings.rules, settings.alerts)`` -> validated rules (the default set when none)
- ``evaluate(con, rules, as_of, run_id)`` -> new events, stored in the outbox in one transaction
- ``deliver(con, build_channels(settings.alerts, settings.secrets), run_id)`` -> DeliveryReport
- ``record_pipeline_failure(con, run_id, flow_name, message)`` for a flow's failure hook
- ``send_test``, ``preview``, ``list_events``, ``backtest`` behind ``rotation alerts ...``
"""

from alerts.channels import (
    Channel,
    ConsoleChannel,
    DeliveryError,
    EmailChannel,
    SlackChannel,
    build_channels,
    send_test,
)
from alerts.deliver import DeliveryReport, deliver
from alerts.outbox import evaluate, list_events, record_pipeline_failure
from alerts.render import Event
from alerts.review import backtest, preview
from alerts.rules import AlertsError, Rule, load_rules

__all__ = [
    "AlertsError",
    "Channel",
    "ConsoleChannel",
    "DeliveryError",
    "DeliveryReport",
    "EmailChannel",
    "Event",
    "Rule",
    "SlackChannel",
    "backtest",
    "build_channels",
    "deliver",
    "evaluate",
    "list_events",
    "load_rules",
    "preview",
    "record_pipeline_failure",
    "send_test",
]
