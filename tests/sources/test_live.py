"""The live clients against the real services: opt-in, never part of the default run.

    .venv/bin/python -m pytest -m live tests/sources/test_live.py

They need the internet (nothing here reaches it) and, for EDGAR, a declared User-Agent in
ROTATION_EDGAR_USER_AGENT. Each checks that the service still answers in the shape the shared
parser reads: the day a vendor changes its format, this is the test that says so.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest

from rotation import calendar

pytestmark = pytest.mark.live


def test_yahoo_delivers_recent_sessions() -> None:
    from sources.yahoo import YahooPriceSource

    end = calendar.latest_session_on_or_before(dt.date.today() - dt.timedelta(days=1))
    start = calendar.previous_sessions(end, 5)[0]
    batch = YahooPriceSource(timeout_s=60).fetch(["SPY", "IWM", "^RUT"], start, end)
    assert batch.missing_symbols == ()
    assert set(batch.frame["symbol"]) == {"SPY", "IWM", "^RUT"}
    assert (batch.frame["adjustment"] == "raw").all()


def test_fred_series_parse() -> None:
    from sources import fred

    batch = fred.fetch(fred.FredLiveClient(), ["BAMLH0A0HYM2", "ICSA"])
    assert batch.series_ok == ["BAMLH0A0HYM2", "ICSA"], batch.messages
    assert len(batch.frame) > 1000


def test_nasdaq_calendar_parses() -> None:
    from sources import nasdaq

    months = nasdaq.months_ending(dt.date.today(), 1)
    batch = nasdaq.fetch(nasdaq.NasdaqLiveClient(), months)
    assert batch.available, batch.messages


def test_edgar_daily_index_parses() -> None:
    from sources import edgar

    agent = os.environ.get("ROTATION_EDGAR_USER_AGENT")
    if not agent:
        pytest.skip("set ROTATION_EDGAR_USER_AGENT (a name and a contact e-mail) to call the SEC")
    day = calendar.latest_session_on_or_before(dt.date.today() - dt.timedelta(days=3))
    batch = edgar.fetch(edgar.EdgarLiveClient(user_agent=agent), days=[day])
    assert batch.complete and len(batch.frame) > 100, batch.messages
