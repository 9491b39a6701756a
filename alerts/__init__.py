"""Alerts: rules from configuration, crossings with hysteresis and cooldown, an outbox, channels.

The public API used by ``flows/`` and the CLI (no Prefect here):

- ``load_rules(settings.rules, settings.alerts)`` -> validated rules (the default set when none)
- ``evaluate(con, rules, as_of, run_id)`` -> new events, stored in the outbox in one transaction
- ``deliver(con, build_channels(settings.alerts, settings.secrets), run_id)`` -> DeliveryReport
- ``record_pipeline_failure(con, run_id, flow_name, message)`` for a flow's failure hook,
  ``record_pipeline_recovery(con, run_id)`` when a later run gets as far as its alerts
- ``add_silence``, ``remove_silence``, ``list_silences`` behind ``rotation alerts silence ...``
- ``send_test``, ``preview``, ``list_events``, ``backtest`` behind ``rotation alerts ...``
"""

from alerts.channels import (
    AlertmanagerChannel,
    AppriseChannel,
    Channel,
    ConsoleChannel,
    DeliveryError,
    EmailChannel,
    SlackChannel,
    build_channels,
    send_test,
)
from alerts.deliver import DeliveryReport, deliver
from alerts.events import Event
from alerts.muting import add_silence, list_silences, remove_silence
from alerts.outbox import evaluate, list_events
from alerts.pipeline_events import (
    PIPELINE_FAILURE_RULE,
    record_pipeline_failure,
    record_pipeline_recovery,
)
from alerts.refresh import refresh_alertmanager
from alerts.render import DigestContext
from alerts.review import backtest, preview
from alerts.rules import AlertsError, Rule, load_rules, routed_channels

__all__ = [
    "PIPELINE_FAILURE_RULE",
    "AlertmanagerChannel",
    "AlertsError",
    "AppriseChannel",
    "Channel",
    "ConsoleChannel",
    "DeliveryError",
    "DeliveryReport",
    "DigestContext",
    "EmailChannel",
    "Event",
    "Rule",
    "SlackChannel",
    "add_silence",
    "backtest",
    "build_channels",
    "deliver",
    "evaluate",
    "list_events",
    "list_silences",
    "load_rules",
    "preview",
    "record_pipeline_failure",
    "record_pipeline_recovery",
    "refresh_alertmanager",
    "remove_silence",
    "routed_channels",
    "send_test",
]
