"""Notifiers: console (+ JSON lines), Slack, SMTP e-mail, Alertmanager, Apprise.

One module per channel (``alerts/channels/<name>.py``: the channel class and ``build``, its
factory from ``[alerts]`` settings and secrets); ``CHANNELS`` below maps each name of
``[alerts] channels`` to its factory. What every channel is (``messages`` then ``send``,
``DeliveryError``, secret redaction) is in ``alerts/channels/base.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, TextIO

from alerts.channels import alertmanager, apprise, console, email, slack
from alerts.channels.alertmanager import AlertmanagerChannel
from alerts.channels.apprise import AppriseChannel
from alerts.channels.base import Channel, DeliveryError, Message, redact
from alerts.channels.console import ConsoleChannel
from alerts.channels.email import EmailChannel
from alerts.channels.probe import send_test, test_event
from alerts.channels.slack import SlackChannel
from alerts.rules import AlertsError
from rotation.settings import AlertsSettings, Secrets


class ChannelFactory(Protocol):
    """A channel from the settings; raises AlertsError naming a missing setting or secret."""

    def __call__(
        self, alerts: AlertsSettings, secrets: Secrets, *, stream: TextIO | None = None
    ) -> Channel: ...


# name in ``[alerts] channels`` -> its factory
CHANNELS: Mapping[str, ChannelFactory] = {
    "console": console.build,
    "slack": slack.build,
    "email": email.build,
    "alertmanager": alertmanager.build,
    "apprise": apprise.build,
}

__all__ = [
    "CHANNELS",
    "AlertmanagerChannel",
    "AppriseChannel",
    "Channel",
    "ConsoleChannel",
    "DeliveryError",
    "EmailChannel",
    "Message",
    "SlackChannel",
    "build_channels",
    "redact",
    "send_test",
    "test_event",
]


def build_channels(
    alerts: AlertsSettings, secrets: Secrets, *, stream: TextIO | None = None
) -> list[Channel]:
    """The configured channels; console when none is configured.

    A channel that is listed but lacks its settings or secret is an error naming what is
    missing, rather than alerts that silently go nowhere.
    """
    channels: list[Channel] = []
    for name in dict.fromkeys(alerts.channels or ("console",)):
        factory = CHANNELS.get(name)
        if factory is None:
            raise AlertsError(
                f"[alerts] channels: unknown channel {name!r} ({', '.join(CHANNELS)})"
            )
        channels.append(factory(alerts, secrets, stream=stream))
    return channels
