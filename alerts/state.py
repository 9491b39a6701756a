"""The crossing state machine, one session at a time: pure, so it is tested on hand-made series.

Per rule and subject the state is ``armed`` or ``firing``. While armed, the sessions on which
the value is beyond the threshold are counted; when ``min_sessions`` of them follow each other
and the cooldown since the last fire has passed, the rule fires (``armed -> firing``). It stays
firing, silently, until the value gets back to the armed side of the hysteresis band, which
resolves it (``firing -> armed``). With ``repeat_sessions`` a rule that is still firing is said
again every that many sessions (a ``reminder``), as Alertmanager's repeat interval does. So a
level that stays beyond the threshold for months is one alert (and its reminders), and a value
hovering around the threshold does not ring on every wiggle.

The SQL of the rule decides ``breached`` and ``cleared`` per session; this module only
sequences them, because a crossing depends on the path, which a SELECT cannot carry from one
day's run to the next but a stored state can.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace

ARMED = "armed"
FIRING = "firing"
FIRED = "fired"
RESOLVED = "resolved"
REMINDER = "reminder"  # still firing after ``repeat_sessions`` more sessions: said again


@dataclass(frozen=True)
class Observation:
    """One candidate row of a rule query: the value on one session and what it means."""

    subject: str
    date: dt.date
    value: float
    breached: bool
    cleared: bool
    detail: str = ""  # one line the event shows (a grouped source's damage by kind), or ""


@dataclass(frozen=True)
class RuleState:
    status: str = ARMED
    breach_streak: int = 0
    sessions_since_fire: int | None = None  # None: never fired
    last_fired_date: dt.date | None = None
    last_date: dt.date | None = None  # the last session consumed
    last_value: float | None = None


@dataclass(frozen=True)
class Transition:
    subject: str
    date: dt.date
    value: float
    transition: str  # fired | resolved | reminder
    firing_since: dt.date | None = None  # the session the rule fired (reminder, resolved)
    detail: str = ""  # the observation's detail on that session


def step(
    state: RuleState,
    obs: Observation,
    *,
    min_sessions: int,
    cooldown_sessions: int,
    repeat_sessions: int = 0,
) -> tuple[RuleState, str | None]:
    """Consume one session; return the new state and ``fired``, ``resolved``, ``reminder``
    or None."""
    since = None if state.sessions_since_fire is None else state.sessions_since_fire + 1
    moved = replace(state, sessions_since_fire=since, last_date=obs.date, last_value=obs.value)
    if state.status == FIRING:
        if obs.cleared:
            return replace(moved, status=ARMED, breach_streak=0), RESOLVED
        still = replace(moved, breach_streak=moved.breach_streak + int(obs.breached))
        # sessions_since_fire counts every session consumed since the fire, so no extra
        # state is needed: a reminder falls on each multiple of repeat_sessions.
        if repeat_sessions and since and since % repeat_sessions == 0:
            return still, REMINDER
        return still, None
    streak = state.breach_streak + 1 if obs.breached else 0
    cooled = since is None or since >= cooldown_sessions
    if obs.breached and streak >= min_sessions and cooled:
        return (
            replace(
                moved,
                status=FIRING,
                breach_streak=streak,
                sessions_since_fire=0,
                last_fired_date=obs.date,
            ),
            FIRED,
        )
    return replace(moved, breach_streak=streak), None


def run(
    state: RuleState,
    observations: Iterable[Observation],
    *,
    min_sessions: int,
    cooldown_sessions: int,
    repeat_sessions: int = 0,
) -> tuple[RuleState, list[Transition]]:
    """Consume sessions in date order; sessions on or before ``state.last_date`` are skipped.

    Skipping what was already consumed is what makes re-running a day a no-op.
    """
    transitions = []
    for obs in sorted(observations, key=lambda o: o.date):
        if state.last_date is not None and obs.date <= state.last_date:
            continue
        since = state.last_fired_date
        state, what = step(
            state,
            obs,
            min_sessions=min_sessions,
            cooldown_sessions=cooldown_sessions,
            repeat_sessions=repeat_sessions,
        )
        if what is not None:
            started = obs.date if what == FIRED else since
            transitions.append(
                Transition(obs.subject, obs.date, obs.value, what, started, obs.detail)
            )
    return state, transitions
