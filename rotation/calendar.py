"""NYSE sessions from an exchange calendar (``exchange_calendars``' XNYS), never a holiday list.

Measured against 95 years of real ^GSPC history: XNYS matches the vendor's sessions exactly
from 1970 on, but before that it lacks many holidays (it calls 1953-01-01 a session). So
session checks and gap reports apply from ``RELIABLE_FROM``; older rows are loaded unchecked.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import exchange_calendars as xcals
import pandas as pd

NEW_YORK = ZoneInfo("America/New_York")
RELIABLE_FROM = dt.date(1970, 1, 2)
_CALENDAR_START = "1927-01-03"  # oldest row in the real data (^GSPC) is 1927-12-30


@lru_cache(maxsize=1)
def _xnys() -> xcals.ExchangeCalendar:
    # The default window is only the last 20 years; ask for all the history we may hold.
    return xcals.get_calendar("XNYS", start=_CALENDAR_START)


def last_calendar_date() -> dt.date:
    return _xnys().last_session.date()


def is_session(day: dt.date) -> bool:
    return bool(_xnys().is_session(pd.Timestamp(day)))


def sessions(start: dt.date, end: dt.date) -> list[dt.date]:
    """Sessions in ``[start, end]`` (inclusive)."""
    if end < start:
        return []
    cal = _xnys()
    first = max(pd.Timestamp(start), cal.first_session)
    last = min(pd.Timestamp(end), cal.last_session)
    if last < first:
        return []
    return [ts.date() for ts in cal.sessions_in_range(first, last)]


def session_index(start: dt.date, end: dt.date) -> pd.DatetimeIndex:
    """The same sessions as a ``DatetimeIndex`` (midnight, tz-naive) for vectorised checks."""
    return pd.DatetimeIndex([pd.Timestamp(d) for d in sessions(start, end)])


def previous_sessions(day: dt.date, count: int) -> list[dt.date]:
    """The ``count`` sessions ending at ``day`` (``day`` included when it is a session)."""
    if count <= 0:
        return []
    span = dt.timedelta(days=count * 2 + 10)  # weekends and holidays: twice is plenty
    found = sessions(day - span, day)
    while len(found) < count and day - span > dt.date(1927, 1, 3):
        span *= 2
        found = sessions(day - span, day)
    return found[-count:]


def latest_session_on_or_before(day: dt.date) -> dt.date:
    found = previous_sessions(day, 1)
    if not found:
        raise ValueError(f"no NYSE session on or before {day}")
    return found[0]


def session_close(day: dt.date) -> dt.datetime:
    """When the session of ``day`` closes, in New York time (early closes included)."""
    close = _xnys().session_close(pd.Timestamp(day))
    return close.tz_convert(NEW_YORK).to_pydatetime()


def today_in_new_york(now: dt.datetime | None = None) -> dt.date:
    now = now or dt.datetime.now(dt.UTC)
    return now.astimezone(NEW_YORK).date()
