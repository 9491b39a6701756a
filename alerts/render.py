"""Pure renderers: an event into text, HTML and a Slack section; a digest into messages.

Nothing here does I/O, so each format is tested on its own. Text that comes from data (a
subject, a company name, a run id) is treated as hostile: for Slack it is escaped (``&``, ``<``,
``>``, the only characters Slack decodes) and placed in ``plain_text`` fields, where ``*bold*``
and ``<!channel>`` are not interpreted; for HTML it is escaped; for e-mail headers line breaks
are folded to spaces so no header can be injected.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

from alerts.events import Event
from alerts.rules import SEVERITIES

SLACK_SECTION_CHARS = 3000
SLACK_FIELD_CHARS = 2000
SLACK_HEADER_CHARS = 150
SLACK_MAX_BLOCKS = 50
# header + context (+ a repeat notice) leave this many blocks for events in one message
SLACK_EVENTS_PER_MESSAGE = SLACK_MAX_BLOCKS - 3

_EMOJI = {"critical": ":rotating_light:", "warning": ":warning:", "info": ":information_source:"}


_TRANSITION_ORDER = {"fired": 0, "reminder": 1, "resolved": 2}


@dataclass(frozen=True)
class DigestContext:
    """Links every message of a run carries: the Prefect flow run (only with a real server)
    and the session's report (a URL when ``[alerts] report_base_url`` is set, else a path)."""

    run_url: str = ""
    report: str = ""

    def lines(self, run_id: str) -> list[str]:
        out = [f"Run: {self.run_url}" if self.run_url else f"Run: {run_id}"]
        if self.report:
            out.append(f"Report: {self.report}")
        return out


def digest_order(events: Sequence[Event]) -> list[Event]:
    """Most severe first; fired, then reminders, then resolved; newest session first; rule."""
    return sorted(
        events,
        key=lambda e: (
            -e.severity_rank,
            _TRANSITION_ORDER.get(e.transition, 3),
            -e.event_date.toordinal(),
            e.rule,
            e.subject,
        ),
    )


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def header_safe(text: str, limit: int = 200) -> str:
    """One line, no CR/LF or other control characters: safe as an e-mail header value."""
    line = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "percent":
        return f"{value * 100:.2f}%"
    if unit == "count":
        return f"{value:.0f}"
    if unit == "bp":
        return f"{value:.0f} bp"
    if unit == "pct":
        return f"{value:.1f}%"
    if unit == "pp":
        return f"{value:+.2f} pp"
    return f"{value:.4g}"


@dataclass(frozen=True)
class EventContent:
    """The facts an event is rendered from (rule metadata is trusted config; subject is data)."""

    title: str
    meaning: str
    subject: str
    event_date: dt.date
    transition: str
    severity: str
    kind: str
    value: float | None
    threshold: float | None
    direction: str
    rearm_at: float | None
    unit: str
    extra: str = ""  # free text from data (an error message), treated as hostile
    runbook_url: str = ""  # from the rule (trusted configuration)
    firing_since: dt.date | None = None


def _facts(c: EventContent) -> list[tuple[str, str]]:
    if c.transition == "resolved" and c.rearm_at is None:
        level = ""
    elif c.transition == "resolved":
        side = "less" if c.direction == "above" else "more"
        level = f"back to {format_value(c.rearm_at, c.unit)} or {side}"
    elif c.threshold is None:
        level = ""
    else:
        level = f"{c.direction} {format_value(c.threshold, c.unit)}"
    facts = [("Subject", c.subject), ("Value", format_value(c.value, c.unit))]
    if level:
        facts.append(("Threshold", level))
    facts.append(("Session", c.event_date.isoformat()))
    if c.firing_since and c.transition != "fired":
        facts.append(("Firing since", c.firing_since.isoformat()))
    if c.extra:
        facts.append(("Detail", c.extra))
    if c.runbook_url:
        facts.append(("Runbook", c.runbook_url))
    return facts


def _label(c: EventContent) -> str:
    if c.transition == "resolved":
        return "RESOLVED"
    if c.transition == "reminder":
        return f"REMINDER {c.severity.upper()}"
    return c.severity.upper()


def render_text(c: EventContent) -> str:
    facts = "; ".join(f"{k.lower()} {v}" for k, v in _facts(c))
    lines = [f"[{_label(c)}] {c.title} ({c.kind.replace('_', ' ')}): {facts}"]
    if c.meaning:
        lines.append(f"    {c.meaning}")
    return "\n".join(lines)


def render_html(c: EventContent) -> str:
    rows = "".join(
        f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in _facts(c)
    )
    meaning = f"<p>{html.escape(c.meaning)}</p>" if c.meaning else ""
    return (
        f"<div class='event {html.escape(c.severity)}'>"
        f"<h3>[{html.escape(_label(c))}] {html.escape(c.title)}</h3>{meaning}"
        f"<table>{rows}</table></div>"
    )


def render_slack_block(c: EventContent) -> dict[str, Any]:
    emoji = ":white_check_mark:" if c.transition == "resolved" else _EMOJI.get(c.severity, "")
    text = f"{emoji} *{slack_escape(c.title)}* ({_label(c).lower()})"
    if c.meaning:
        text += "\n" + slack_escape(c.meaning)
    if c.runbook_url:  # configuration, not data; escaped all the same
        text += f"\n<{slack_escape(c.runbook_url).replace('|', '%7C')}|Runbook>"
    fields = [
        {
            "type": "plain_text",
            "text": _clip(slack_escape(f"{k}: {v}"), SLACK_FIELD_CHARS),
            "emoji": False,
        }
        for k, v in _facts(c)
    ]
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": _clip(text, SLACK_SECTION_CHARS)},
        "fields": fields[:10],
    }


def summary(events: Sequence[Event]) -> str:
    """'3 alerts: 1 critical, 2 warning' (reminders and resolved events counted apart)."""
    fired = [e for e in events if e.transition == "fired"]
    counts = Counter(e.severity for e in fired)
    parts = [f"{counts[s]} {s}" for s in reversed(SEVERITIES) if counts[s]]
    reminders = sum(e.transition == "reminder" for e in events)
    if reminders:
        parts.append(f"{reminders} reminder{'s' if reminders > 1 else ''}")
    resolved = sum(e.transition == "resolved" for e in events)
    if resolved:
        parts.append(f"{resolved} resolved")
    noun = "alert" if len(events) == 1 else "alerts"
    return f"{len(events)} {noun}: {', '.join(parts)}"


def slack_messages(
    events: Sequence[Event],
    as_of: dt.date,
    run_id: str,
    *,
    repeat_ids: frozenset[str] = frozenset(),
    test: bool = False,
    context: DigestContext | None = None,
) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    """The digest as Slack webhook payloads, chunked under 50 blocks; (event ids, payload)."""
    ordered = digest_order(events)
    chunks = [
        ordered[i : i + SLACK_EVENTS_PER_MESSAGE]
        for i in range(0, len(ordered), SLACK_EVENTS_PER_MESSAGE)
    ] or [[]]
    headline = ("TEST - " if test else "") + "Rotation monitor - " + summary(ordered)
    out = []
    for number, chunk in enumerate(chunks, start=1):
        part = f" (part {number}/{len(chunks)})" if len(chunks) > 1 else ""
        title = _clip(headline, SLACK_HEADER_CHARS - len(part)) + part
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": slack_escape(title)}}
        ]
        blocks += [e.slack_block for e in chunk]
        repeats = sum(e.event_id in repeat_ids for e in chunk)
        if repeats:
            notice = (
                f"Possible repeat: an earlier send of {repeats} of these alerts was "
                "interrupted before it was recorded."
            )
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": notice}})
        blocks.append({"type": "context", "elements": [_slack_context(as_of, run_id, context)]})
        payload = {"text": slack_escape(title), "blocks": blocks}
        out.append((tuple(e.event_id for e in chunk), payload))
    return out


def _slack_context(as_of: dt.date, run_id: str, context: DigestContext | None) -> dict[str, Any]:
    text = f"As of session {as_of.isoformat()} · run "
    if context and context.run_url:
        text += f"<{slack_escape(context.run_url)}|{slack_escape(run_id)}>"
    else:
        text += slack_escape(run_id)
    if context and context.report:
        report = slack_escape(context.report)
        text += f" · <{report}|report>" if "://" in report else f" · report {report}"
    return {"type": "mrkdwn", "text": text}


def email_subject(events: Sequence[Event], as_of: dt.date, *, test: bool = False) -> str:
    prefix = "[rotation TEST]" if test else "[rotation]"
    return header_safe(f"{prefix} {summary(events)} (session {as_of.isoformat()})")


def email_message(
    events: Sequence[Event],
    as_of: dt.date,
    run_id: str,
    *,
    sender: str,
    recipients: Sequence[str],
    repeat_ids: frozenset[str] = frozenset(),
    test: bool = False,
    chart_png: bytes | None = None,
    context: DigestContext | None = None,
) -> EmailMessage:
    """The digest as one multipart/alternative message (plain text and HTML).

    ``chart_png``, when given, is embedded in the HTML part as an inline image (``cid:``), so
    the reader sees the rotation's state without opening anything else.
    """
    ordered = digest_order(events)
    repeats = sum(e.event_id in repeat_ids for e in ordered)
    notice = (
        f"Possible repeat: an earlier send of {repeats} of these alerts was interrupted "
        "before it was recorded."
        if repeats
        else ""
    )
    footer = " - ".join(
        [f"As of session {as_of.isoformat()}", *(context or DigestContext()).lines(run_id)]
    )
    text = "\n\n".join(
        [summary(ordered), *([notice] if notice else []), *(e.body_text for e in ordered), footer]
    )
    body = "".join(e.body_html for e in ordered)
    chart = (
        '<p><img src="cid:headline-chart" alt="headline chart: the IWM/SPY ratio and its '
        'averages" style="max-width:100%"></p>'
        if chart_png
        else ""
    )
    html_doc = (
        "<html><body>"
        f"<h2>{html.escape(summary(ordered))}</h2>"
        + (f"<p><em>{html.escape(notice)}</em></p>" if notice else "")
        + chart
        + body
        + f"<p style='color:#666'>{html.escape(footer)}</p></body></html>"
    )
    msg = EmailMessage()
    msg["Subject"] = email_subject(ordered, as_of, test=test)
    msg["From"] = header_safe(sender)
    msg["To"] = ", ".join(header_safe(r) for r in recipients)
    msg["Date"] = formatdate(localtime=False)
    digest_key = hashlib.sha256("|".join(sorted(e.event_id for e in ordered)).encode())
    domain = header_safe(parseaddr(sender)[1].rpartition("@")[2]) or "rotation.local"
    # The same set of events always gets the same Message-ID, so a re-send after a crash is
    # recognisable as a repeat by mail systems that de-duplicate.
    msg["Message-ID"] = f"<{digest_key.hexdigest()[:32]}.rotation@{domain}>"
    msg["X-Rotation-Run"] = header_safe(run_id)
    msg.set_content(text)
    msg.add_alternative(html_doc, subtype="html")
    if chart_png:
        html_part = msg.get_body(("html",))
        assert isinstance(html_part, EmailMessage)  # the alternative just added
        html_part.add_related(chart_png, maintype="image", subtype="png", cid="<headline-chart>")
    return msg


def console_text(
    events: Sequence[Event],
    as_of: dt.date,
    run_id: str,
    *,
    test: bool = False,
    context: DigestContext | None = None,
) -> str:
    ordered = digest_order(events)
    head = ("TEST - " if test else "") + f"Rotation monitor - {summary(ordered)}"
    footer = " - ".join([f"As of session {as_of}", *(context or DigestContext()).lines(run_id)])
    lines = [head, *(e.body_text for e in ordered), footer]
    return "\n".join(lines)
