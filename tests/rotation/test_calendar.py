"""NYSE sessions from exchange_calendars: holidays, early closes, the reliable range."""

from __future__ import annotations

import datetime as dt

from rotation import calendar


def test_holidays_and_weekends_are_not_sessions() -> None:
    assert calendar.is_session(dt.date(2025, 9, 26))
    assert not calendar.is_session(dt.date(2025, 9, 1))  # Labor Day (stitched ^VIX has a row)
    assert not calendar.is_session(dt.date(2025, 11, 27))  # Thanksgiving
    assert not calendar.is_session(dt.date(2025, 9, 27))  # Saturday


def test_previous_sessions_skip_closed_days() -> None:
    assert calendar.previous_sessions(dt.date(2025, 9, 2), 3) == [
        dt.date(2025, 8, 28), dt.date(2025, 8, 29), dt.date(2025, 9, 2),
    ]  # fmt: skip
    assert calendar.latest_session_on_or_before(dt.date(2025, 9, 28)) == dt.date(2025, 9, 26)


def test_early_close_is_known() -> None:
    assert calendar.session_close(dt.date(2025, 11, 28)).hour == 13  # day after Thanksgiving
    assert calendar.session_close(dt.date(2025, 11, 26)).hour == 16


def test_history_reaches_the_oldest_real_rows() -> None:
    assert calendar.sessions(dt.date(1928, 1, 3), dt.date(1928, 1, 4))
    assert dt.date(1970, 1, 2) == calendar.RELIABLE_FROM
