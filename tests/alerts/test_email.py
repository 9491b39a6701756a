"""E-mail against a real SMTP server (aiosmtpd) on 127.0.0.1, reading back what arrived."""

from __future__ import annotations

import datetime as dt
import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller

from alerts.channels import DeliveryError, EmailChannel
from alerts.outbox import make_event
from alerts.state import Transition
from tests.alerts.helpers import make_rule

DAY = dt.date(2025, 4, 4)


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def two_events(subject: str = "IWM"):
    critical = make_rule(name="iwm_drawdown_20", severity="critical", threshold=-0.2,
                         title="IWM 20% below its peak")  # fmt: skip
    return [
        make_event(make_rule(), Transition(subject, DAY, -0.12, "fired"), "r", deliverable=True),
        make_event(critical, Transition(subject, DAY, -0.21, "fired"), "r", deliverable=True),
    ]


def channel(controller, **kw) -> EmailChannel:
    args = {
        "sender": "Rotation <alerts@monitor.example>",
        "recipients": ("pm@fund.example", "risk@fund.example"),
        "security": "plain",
        "timeout_s": 5,
        **kw,
    }
    return EmailChannel(controller.hostname, controller.port, **args)


def received(inbox: Inbox, i: int = 0) -> email.message.EmailMessage:
    return email.message_from_bytes(inbox.envelopes[i].content, policy=policy.default)


def test_a_digest_arrives_as_multipart_text_and_html_to_every_recipient(smtp_server) -> None:
    controller, inbox = smtp_server
    ch = channel(controller)
    for m in ch.messages(two_events(), DAY, "run-7"):
        assert ch.send(m) is None
    (envelope,) = inbox.envelopes
    assert envelope.rcpt_tos == ["pm@fund.example", "risk@fund.example"]
    msg = received(inbox)
    assert msg["Subject"] == "[rotation] 2 alerts: 1 critical, 1 warning (session 2025-04-04)"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    # most severe first in both parts
    assert text.index("IWM 20% below its peak") < text.index("IWM 10% below its peak")
    assert html.index("IWM 20% below its peak") < html.index("IWM 10% below its peak")
    assert "-21.00%" in text and "<table>" in html
    assert msg["To"] == "pm@fund.example, risk@fund.example"
    assert msg["Message-ID"].endswith("@monitor.example>")


def test_hostile_text_cannot_inject_headers_or_html(smtp_server) -> None:
    controller, inbox = smtp_server
    ch = channel(controller)
    evs = two_events(subject="<script>alert(1)</script> & co")
    for m in ch.messages(evs, DAY, "run\r\nBcc: thief@evil.example"):
        ch.send(m)
    assert inbox.envelopes[0].rcpt_tos == ["pm@fund.example", "risk@fund.example"]
    msg = received(inbox)
    assert msg["Bcc"] is None
    assert msg["X-Rotation-Run"] == "run Bcc: thief@evil.example"
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html


def test_starttls_is_required_on_587_style_security(smtp_server) -> None:
    controller, inbox = smtp_server
    ch = channel(controller, security="starttls", user="u", password="hunter2-secret")
    with pytest.raises(DeliveryError, match="does not offer STARTTLS; refusing"):
        ch.send(ch.messages(two_events(), DAY, "r")[0])
    assert inbox.envelopes == []


def test_login_failure_never_shows_the_password(smtp_server) -> None:
    controller, _ = smtp_server
    ch = channel(controller, user="u", password="hunter2-secret")
    with pytest.raises(DeliveryError) as err:
        ch.send(ch.messages(two_events(), DAY, "r")[0])
    assert "hunter2" not in str(err.value)
    assert f"127.0.0.1:{controller.port}" in str(err.value)


def test_an_unreachable_server_is_a_delivery_error() -> None:
    ch = EmailChannel("127.0.0.1", free_port(), sender="a@b.example", recipients=("c@d.example",),
                      security="plain", timeout_s=2)  # fmt: skip
    with pytest.raises(DeliveryError, match="ConnectionRefusedError"):
        ch.send(ch.messages(two_events(), DAY, "r")[0])


def test_port_picks_the_security_mode() -> None:
    kw = {"sender": "a@b.example", "recipients": ("c@d.example",)}
    assert EmailChannel("h", 465, **kw).security == "ssl"
    assert EmailChannel("h", 587, **kw).security == "starttls"
    assert EmailChannel("h", 25, **kw).security == "plain"


def test_the_headline_chart_is_embedded_inline(smtp_server) -> None:
    controller, inbox = smtp_server
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # the bytes are passed through untouched
    asked: list[dt.date] = []

    def chart(as_of: dt.date) -> bytes:
        asked.append(as_of)
        return png

    ch = channel(controller, chart=chart)
    for m in ch.messages(two_events(), DAY, "run-8"):
        ch.send(m)
    msg = received(inbox)
    assert asked == [DAY]
    html_part = msg.get_body(("related", "html"))
    assert html_part is not None
    assert 'src="cid:headline-chart"' in msg.get_body(("html",)).get_content()
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0]["Content-ID"] == "<headline-chart>"
    assert images[0].get_content() == png
    assert msg.get_body(("plain",)) is not None  # text readers still get the digest
