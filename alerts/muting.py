"""Muting without losing: silences (with expiry) and inhibition, as Alertmanager users know them.

A muted event is still written to the outbox, marked ``suppressed`` with ``muted_by`` (why)
and, for a silence, its ``silence_id``; ``rotation alerts list`` shows it. Nothing is lost and
the reason is on the record.

- **Silence**: ``rotation alerts silence RULE[/SUBJECT] --until D --reason ...``. It mutes
  every event of the rule (and subject) whose session is on or before ``D`` and that is not
  sent yet, also one already waiting in the outbox. Past ``D`` it mutes nothing more: it
  expires by itself. Sessions, not wall-clock time, decide, like everything else here: a
  catch-up run after a weekend off treats each session as the daily run would have.
- **Inhibition**, declared on the rules: while a rule fires for a subject, the rules it
  ``inhibits`` are muted on that subject (``iwm_drawdown_20`` mutes ``iwm_drawdown_10``); a
  data-quality rule with ``inhibits_dependents`` mutes, while it fires, the rules computed
  from the stale symbol or the source that is down. It is judged against the states after the
  run's evaluation, as Alertmanager judges against the alerts firing when it notifies.
"""

from __future__ import annotations

import datetime as dt
import getpass
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import pandas as pd

from alerts.events import Event, fetch_rows
from alerts.rules import PRICE_FAMILIES, SOURCE_FAMILIES, AlertsError, Rule
from alerts.state import FIRING, RESOLVED
from rotation import sql


def _sql(name: str) -> str:
    return sql.read(f"alerts/muting/{name}.sql")


@dataclass(frozen=True)
class Silence:
    silence_id: str
    rule: str
    subject: str | None  # None: every subject
    until: dt.date
    reason: str

    def covers(self, event: Event) -> bool:
        return (
            self.rule == event.rule
            and (self.subject is None or self.subject == event.subject)
            and event.event_date <= self.until
        )

    @property
    def scope(self) -> str:
        return self.rule + (f"/{self.subject}" if self.subject else "")

    def describe(self) -> str:
        return f"silence {self.silence_id} until {self.until.isoformat()}: {self.reason}"


def parse_target(target: str) -> tuple[str, str | None]:
    """``RULE[/SUBJECT]``: rule names have no slash, subjects may (``IWM/SPY``); no subject
    or ``*`` means every subject of the rule."""
    rule, _, subject = target.strip().partition("/")
    subject = subject.strip()
    return rule, (subject if subject and subject != "*" else None)


def _silence(row: Mapping[str, Any]) -> Silence:
    """A silence from an ``alerts.silences`` row, read by column name."""
    return Silence(
        silence_id=row["silence_id"],
        rule=row["rule"],
        subject=row["subject"],
        until=row["until_date"],
        reason=row.get("reason") or "",
    )


def silences_in_place(con: duckdb.DuckDBPyConnection) -> list[Silence]:
    return [_silence(row) for row in fetch_rows(con.execute(_sql("in_place")))]


def add_silence(
    con: duckdb.DuckDBPyConnection,
    target: str,
    until: dt.date,
    reason: str,
    *,
    known_rules: Mapping[str, str],
    today: dt.date,
) -> Silence:
    """Store a silence; the rule must exist (``known_rules``: name -> the subject it watches,
    ``*`` for any), the subject must be one it watches, and ``until`` not in the past."""
    rule, subject = parse_target(target)
    if rule not in known_rules:
        raise AlertsError(f"silence: no rule {rule!r}; rules: {', '.join(sorted(known_rules))}")
    watched = known_rules[rule]
    if subject is not None and watched != "*" and subject != watched:
        # A typo would store a silence that mutes nothing while the noise goes on.
        raise AlertsError(f"silence: rule {rule!r} watches {watched!r} only, not {subject!r}")
    if until < today:
        raise AlertsError(f"silence: --until {until} is in the past (today is {today})")
    reason = " ".join(reason.split())
    if not reason:
        raise AlertsError("silence: --reason is required (say why, for whoever reads it later)")
    silence = Silence(f"s-{secrets.token_hex(4)}", rule, subject, until, reason)
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        user = ""
    con.execute(
        _sql("add"),
        {
            "silence_id": silence.silence_id,
            "rule": rule,
            "subject": subject,
            "until_date": until,
            "reason": reason,
            "created_by": user,
        },
    )
    return silence


def remove_silence(con: duckdb.DuckDBPyConnection, silence_id: str) -> Silence:
    rows = fetch_rows(con.execute(_sql("remove"), {"silence_id": silence_id.strip()}))
    if not rows:
        raise AlertsError(f"unsilence: no silence {silence_id!r} in place (see `alerts silences`)")
    return _silence(rows[0])


def list_silences(
    con: duckdb.DuckDBPyConnection, today: dt.date, *, include_all: bool = False
) -> pd.DataFrame:
    table = con.execute(_sql("list"), {"today": today, "all_silences": include_all}).df()
    table["until_date"] = [d.date().isoformat() for d in table["until_date"]]  # not a timestamp
    return table


def _depends_on(rule: Rule, event_subject: str, dq_indicator: str, dq_subject: str) -> bool:
    """Is the event (``rule`` on ``event_subject``) computed from the data a firing
    data-quality state (``dq_indicator`` on ``dq_subject``) is about?"""
    if dq_indicator == "stale_sessions":  # a symbol: the rules on it and on its pairs
        return rule.family in PRICE_FAMILIES and dq_subject in event_subject.split("/")
    return rule.family in SOURCE_FAMILIES.get(dq_subject, ())  # a source: all it feeds


def inhibitor(
    event: Event,
    rules: Mapping[str, Rule],
    firing: Iterable[tuple[str, str]],
) -> str | None:
    """Why ``event`` is inhibited by a rule firing now, or None."""
    muted = rules.get(event.rule)
    if muted is None or event.transition == RESOLVED:
        return None
    for name, subject in sorted(firing):
        source = rules.get(name)
        if source is None or name == event.rule:
            continue
        if event.rule in source.inhibits and subject == event.subject:
            return f"inhibited by {name} firing on {subject}"
        if source.inhibits_dependents and _depends_on(
            muted, event.subject, source.indicator, subject
        ):
            what = "is stale" if source.indicator == "stale_sessions" else "is down"
            return f"inhibited: {subject} {what} ({name} firing)"
    return None


def mute(
    events: Sequence[Event],
    rules: Sequence[Rule],
    firing: Iterable[tuple[str, str]],
    silences: Sequence[Silence],
) -> list[Event]:
    """The events with the silence or inhibition that mutes each applied (pure)."""
    by_name = {r.name: r for r in rules}
    firing = list(firing)
    out = []
    for event in events:
        if event.suppressed:  # already recorded-only (a backfill, a quiet resolution)
            out.append(event)
            continue
        silence = next((s for s in silences if s.covers(event)), None)
        if silence is not None:
            out.append(
                replace(
                    event,
                    suppressed=True,
                    muted_by=silence.describe(),
                    silence_id=silence.silence_id,
                )
            )
            continue
        why = inhibitor(event, by_name, firing)
        out.append(replace(event, suppressed=True, muted_by=why) if why else event)
    return out


def firing_states(
    con: duckdb.DuckDBPyConnection, overlay: Mapping[tuple[str, str], str]
) -> set[tuple[str, str]]:
    """(rule, subject) pairs firing after an evaluation: stored states with the new ones."""
    stored = {
        (rule, subject): status for rule, subject, status in con.execute(_sql("firing")).fetchall()
    }
    stored.update(overlay)
    return {key for key, status in stored.items() if status == FIRING}


def mute_waiting(con: duckdb.DuckDBPyConnection, waiting: Sequence[Event]) -> list[Event]:
    """Apply the silences in place to events waiting in the outbox; return those muted now."""
    silences = silences_in_place(con)
    muted = []
    for event in waiting:
        silence = next((s for s in silences if s.covers(event)), None)
        if silence is None:
            continue
        con.execute(
            _sql("mute_event"),
            {
                "muted_by": silence.describe(),
                "silence_id": silence.silence_id,
                "event_id": event.event_id,
            },
        )
        muted.append(event)
    return muted
