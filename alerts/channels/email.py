"""The e-mail channel: the digest as one multipart message over SMTP ("[alerts] smtp_*"),
never in clear text to a server that should speak TLS."""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from collections.abc import Callable, Sequence
from typing import TextIO

from alerts.channels.base import Channel, DeliveryError, Message, redact
from alerts.events import Event
from alerts.render import DigestContext, email_message
from alerts.rules import AlertsError
from rotation.settings import AlertsSettings, Secrets


class EmailChannel(Channel):
    """SMTP: implicit TLS on 465, STARTTLS on 587 (required), plain elsewhere (local relay)."""

    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        recipients: Sequence[str],
        user: str = "",
        password: str = "",
        security: str = "auto",
        timeout_s: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
        chart: Callable[[dt.date], bytes | None] | None = None,
    ):
        """``chart(as_of)`` returns the headline chart PNG to embed (the composition root
        passes ``reporting.headline_chart_png`` bound to a connection), or None."""
        if security == "auto":
            security = {465: "ssl", 587: "starttls"}.get(port, "plain")
        if security not in ("ssl", "starttls", "plain"):
            raise AlertsError(
                f"[alerts] smtp_security {security!r}: use auto, ssl, starttls, plain"
            )
        self.host, self.port, self.security = host, port, security
        self.sender = sender
        self.recipients = tuple(recipients)
        self.user = user
        self._password = password
        self.timeout_s = timeout_s
        self._ssl_context = ssl_context
        self.chart = chart

    def messages(
        self,
        events: Sequence[Event],
        as_of: dt.date,
        run_id: str,
        *,
        repeat_ids: frozenset[str] = frozenset(),
        test: bool = False,
        context: DigestContext | None = None,
    ) -> list[Message]:
        msg = email_message(
            events,
            as_of,
            run_id,
            sender=self.sender,
            recipients=self.recipients,
            repeat_ids=repeat_ids,
            test=test,
            chart_png=self.chart(as_of) if self.chart is not None else None,
            context=context,
        )
        return [Message(tuple(e.event_id for e in events), msg, "e-mail digest")]

    def send(self, message: Message) -> str | None:
        where = f"e-mail via {self.host}:{self.port} ({self.security})"
        context = self._ssl_context or ssl.create_default_context()
        try:
            smtp: smtplib.SMTP
            if self.security == "ssl":
                smtp = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout_s, context=context
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
            with smtp:
                smtp.ehlo()
                if self.security == "starttls":
                    if not smtp.has_extn("starttls"):
                        raise DeliveryError(
                            f"{where}: the server does not offer STARTTLS; refusing to send "
                            "in clear (set smtp_security = 'plain' for a local relay)"
                        )
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if self.user:
                    smtp.login(self.user, self._password)
                refused = smtp.send_message(
                    message.payload, from_addr=self.sender, to_addrs=list(self.recipients)
                )
        except DeliveryError:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            detail = redact(" ".join(str(exc).split()), [self._password])
            raise DeliveryError(f"{where}: {type(exc).__name__}: {detail}"[:500]) from None
        if refused:  # accepted for the others: re-sending would duplicate their copies
            return "refused recipient(s): " + ", ".join(sorted(refused))
        return None


def build(alerts: AlertsSettings, secrets: Secrets, *, stream: TextIO | None = None) -> Channel:
    missing = [
        key
        for key, value in (
            ("smtp_host", alerts.smtp_host),
            ("smtp_from", alerts.smtp_from),
            ("smtp_to", alerts.smtp_to),
        )
        if not value
    ]
    if missing:
        raise AlertsError(f"[alerts] channels lists email but {', '.join(missing)} unset")
    if alerts.smtp_user and not secrets.smtp_password:
        raise AlertsError(
            "[alerts] smtp_user is set but ROTATION_SMTP_PASSWORD is not in the environment"
        )
    return EmailChannel(
        alerts.smtp_host,
        alerts.smtp_port,
        sender=alerts.smtp_from,
        recipients=alerts.smtp_to,
        user=alerts.smtp_user,
        password=secrets.smtp_password,
        security=alerts.smtp_security,
        timeout_s=alerts.smtp_timeout_s,
    )
