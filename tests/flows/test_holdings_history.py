"""Membership history: the month-end backfill against a loopback iShares stand-in, no Prefect.

The stand-in (``tests/ishares_standin.py``) serves the real files of ``../shared/data/holdings``
under their dates. Here one month of IVV answers an HTML page and one month of IWM fails with
HTTP 503 on every attempt of the first backfill. The undated no-preamble IWM file is judged
directly: a file without a date is no month's snapshot.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest

from pipeline.holdings_history import load_history
from rotation.db import writing
from rotation.settings import HoldingsSettings, Settings
from rotation.sql import read as read_sql
from sources import holdings, xbrl
from sources.http import HttpClient
from tests.ishares_standin import NO_HOLDINGS, Stand, fund_urls, ishares_standin
from transforms import build_models

START, END = dt.date(2025, 4, 1), dt.date(2026, 7, 31)


@pytest.fixture
def stand(shared_data: Path) -> Iterator[Stand]:
    with ishares_standin(shared_data / "holdings") as state:
        yield state


def _client(stand: Stand, funds: tuple[str, ...]) -> holdings.DatedHoldingsLiveClient:
    urls = fund_urls(stand, funds)
    http = HttpClient(
        user_agent="rotation tests", max_requests_per_s=200.0, backoff_s=0.01, max_attempts=3
    )
    return holdings.DatedHoldingsLiveClient(urls, http=http)


def _settings(funds: tuple[str, ...]) -> Settings:
    return dataclasses.replace(
        Settings(), holdings=dataclasses.replace(HoldingsSettings(), funds=funds)
    )


def _history(db_path: Path, stand: Stand, tmp_path: Path, run_id: str) -> object:
    funds = ("IWM", "IWB", "IVV")
    return load_history(
        str(db_path),
        _settings(funds),
        _client(stand, funds),
        START,
        END,
        cache_dir=tmp_path / "cache",
        today=dt.date(2026, 8, 1),
        run_id=run_id,
    )


def test_month_ends_are_last_weekdays() -> None:
    days = holdings.month_ends(dt.date(2025, 4, 1), dt.date(2025, 9, 15))
    assert days == [
        dt.date(2025, 4, 30),
        dt.date(2025, 5, 30),  # the 31st is a Saturday
        dt.date(2025, 6, 30),
        dt.date(2025, 7, 31),
        dt.date(2025, 8, 29),  # the 30th and 31st are a weekend
    ]
    url = "https://x/a.ajax?fileType=csv&asOfDate=20200101&dataType=fund"
    assert holdings.dated_url(url, dt.date(2025, 5, 30)) == (
        "https://x/a.ajax?fileType=csv&dataType=fund&asOfDate=20250530"
    )


def test_an_answer_that_is_not_that_months_snapshot_says_why(shared_data: Path) -> None:
    folder = shared_data / "holdings"

    def judge(name: str, asked: dt.date) -> holdings.DatedJudgement:
        item = holdings.HoldingsFile("IWM", name, (folder / name).read_bytes(), None)
        return holdings.judge_dated(item, asked)

    ok = judge("IWM.2025-11-05.csv", dt.date(2025, 11, 28))
    assert ok.status == "loaded" and ok.snapshot is not None
    assert ok.snapshot.as_of == dt.date(2025, 11, 5)
    # the parameter ignored: today's file for a past month-end is not that month's snapshot
    ignored = judge("IWM.2026-05-05.csv", dt.date(2025, 11, 28))
    assert ignored == holdings.DatedJudgement(
        "not_holdings",
        "IWM.2026-05-05.csv: holdings as of 2026-05-05, asked for 2025-11-28 (not that month)",
    )
    undated = judge("IWM.undated-c2024-10.no-preamble.csv", dt.date(2024, 10, 31))
    assert undated.reason == "IWM.undated-c2024-10.no-preamble.csv: no as-of date in the file"
    empty = holdings.judge_dated(
        holdings.HoldingsFile("IWM", "x.csv", NO_HOLDINGS, None), dt.date(2020, 1, 31)
    )
    assert empty.status == "no_holdings" and "as-of date '-'" in empty.reason


def test_the_backfill_loads_month_end_snapshots_resumes_and_records_why(
    stand: Stand, db_path: Path, tmp_path: Path
) -> None:
    stand.html.add(("IVV", "20260331"))
    stand.fail[("IWM", "20250930")] = 3  # every attempt of the first backfill fails
    report = _history(db_path, stand, tmp_path, "h1")
    assert len(stand.requests) == 3 * 16 + 2  # 16 month-ends a fund; two retries of the 503
    assert not report.blocked
    with duckdb.connect(str(db_path), read_only=True) as con:
        loaded = con.execute(
            """select fund, month_end, as_of from ops.holdings_history
               where status = 'loaded' order by fund, month_end"""
        ).fetchall()
        assert [(f, str(m), str(a)) for f, m, a in loaded] == [
            ("IVV", "2026-06-30", "2026-06-19"),
            ("IWB", "2026-04-30", "2026-04-13"),  # the spreadsheet-resaved file
            ("IWB", "2026-07-31", "2026-07-17"),
            ("IWM", "2025-05-30", "2025-05-13"),
            ("IWM", "2025-11-28", "2025-11-05"),
            ("IWM", "2026-01-30", "2026-01-21"),
            ("IWM", "2026-04-30", "2026-04-23"),  # the newest of April's two files
            ("IWM", "2026-05-29", "2026-05-05"),
        ]
        snapshots = con.execute(
            "select fund, count(*) from raw.holdings_snapshots group by fund order by fund"
        ).fetchall()
        assert snapshots == [("IVV", 1), ("IWB", 2), ("IWM", 5)]
        statuses = dict(
            con.execute(
                "select status, count(*) from ops.holdings_history group by status"
            ).fetchall()
        )
        assert statuses == {"loaded": 8, "no_holdings": 38, "not_holdings": 1, "failed": 1}
        html, failed = (
            con.execute(
                "select reason from ops.holdings_history where fund = ? and month_end = ?",
                [fund, day],
            ).fetchone()[0]
            for fund, day in (("IVV", "2026-03-31"), ("IWM", "2025-09-30"))
        )
        assert html == "IVV.asOfDate=20260331.csv: an HTML page, not a CSV file"
        assert failed.startswith("IWM 2025-09-30: no answer, asked again next backfill")
    assert sum("no answer" in m for m in report.messages) == 1

    # resumed: only the failed month is asked again (it answers now); nothing else
    stand.requests.clear()
    again = _history(db_path, stand, tmp_path, "h2")
    assert [urlsplit(r).query.rsplit("=", 1)[1] for r in stand.requests] == ["20250930"]
    assert again.loaded == 0 and "1 no_holdings" in again.messages[-1]
    # every answer's bytes are cached: the same months from the cache, no request at all
    stand.requests.clear()
    with writing(str(db_path)) as con:
        con.execute("delete from ops.holdings_history where fund = 'IWB'")
    cached = _history(db_path, stand, tmp_path, "h3")
    assert stand.requests == [] and "2 loaded" in cached.messages[-1]
    assert len(list((tmp_path / "cache").glob("*.csv"))) == 48


def test_valuation_on_a_date_uses_that_dates_members(
    stand: Stand, db_path: Path, tmp_path: Path, shared_data: Path
) -> None:
    funds = ("IWM",)
    load_history(
        str(db_path),
        _settings(funds),
        _client(stand, funds),
        START,
        END,
        cache_dir=tmp_path / "cache",
        today=dt.date(2026, 8, 1),
        run_id="h",
    )
    sessions = [dt.date(2025, 3, 31), dt.date(2025, 4, 30), dt.date(2025, 6, 30)]
    sessions += [dt.date(2025, 12, 31), dt.date(2026, 5, 29)]
    body = (shared_data / "edgar" / "company_tickers.json").read_bytes()
    with writing(str(db_path)) as con:
        xbrl.load_company_tickers(
            con,
            xbrl.parse_company_tickers(body, "company_tickers.json"),
            source="t",
            run_id="t",
            fetched_at=dt.datetime.now(dt.UTC),
        )
        for day in sessions:
            con.execute(
                """insert into raw.prices (symbol, date, close, adj_close, adj_close_received,
                       adjustment, source, fetched_at, run_id)
                   values ('IWM', ?, 1, 1, 1, 'raw', 't', now(), 't')""",
                [day],
            )
        con.execute("update ops.valuation_history set history_start = '2025-01-01'")
        build_models(con)
        rows = con.execute(
            """select session, holdings_as_of, stand_in, members from marts.fund_valuation
               where fund = 'IWM' order by session"""
        ).fetchall()
        members = dict(
            con.execute(
                "select as_of, count(*) from staging.holdings_members group by as_of"
            ).fetchall()
        )
        # the XBRL backfill asks for every company that was ever a member, not the survivors
        ever = len(con.execute(read_sql("load/xbrl_backfill_queue.sql"), [list(funds)]).fetchall())
        survivors = con.execute(
            """select count(distinct t.cik) from raw.holdings as h
               inner join raw.sec_company_tickers as t on h.ticker = t.ticker
               where h.is_equity and h.as_of = '2026-05-05'"""
        ).fetchone()[0]
    day = {d: dt.date.fromisoformat(s) for d, s in (("may", "2025-05-13"), ("nov", "2025-11-05"))}
    assert [(s, a, st) for s, a, st, _ in rows] == [
        (dt.date(2025, 3, 31), day["may"], True),  # before the first month-end: stand-in
        (dt.date(2025, 4, 30), day["may"], True),
        (dt.date(2025, 6, 30), day["may"], False),  # each session: its latest snapshot
        (dt.date(2025, 12, 31), day["nov"], False),
        (dt.date(2026, 5, 29), dt.date(2026, 5, 5), False),
    ]
    assert [m for *_, m in rows] == [
        members[day["may"]],
        members[day["may"]],
        members[day["may"]],
        members[day["nov"]],
        members[dt.date(2026, 5, 5)],
    ]
    assert members[day["may"]] != members[day["nov"]]
    assert ever > survivors + 100


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_server")
def test_the_backfill_flow_loads_the_history_from_a_replay_folder(
    tmp_path: Path, shared_data: Path, settings_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replay twin in the backfill flow: IWM's recorded snapshots of 2025-05, 2025-11 and
    2026-01 answer their month-ends (11 of them to 2026-03-10, the end: March's is after it);
    the 30 fund months without a recording are asked again next time."""
    from flows.daily import backfill
    from tests.flows.conftest import make_replay

    replay = make_replay(
        tmp_path / "replay", shared_data, "yfinance-2026-03-10", holdings="holdings"
    )
    monkeypatch.setenv("ROTATION_HOLDINGS_HISTORY_START", "2025-04-01")
    summary = backfill(start=dt.date(2025, 1, 2), end=dt.date(2026, 3, 10), replay_dir=str(replay))
    assert summary["status"] == "completed", summary
    history = next(s for s in summary["sources"] if s["source"] == "holdings-history")
    assert history["messages"][-1] == "33 fund month-ends asked: 30 failed, 3 loaded"
    with duckdb.connect(str(settings_env), read_only=True) as con:
        loaded = con.execute(
            """select month_end, as_of, file from ops.holdings_history
               where status = 'loaded' order by month_end"""
        ).fetchall()
        valuation = con.execute(
            """select holdings_as_of, bool_or(stand_in) from marts.fund_valuation
               where fund = 'IWM' and session >= '2025-05-13' group by 1 order by 1"""
        ).fetchall()
    assert [(str(m), str(a), f) for m, a, f in loaded] == [
        ("2025-05-30", "2025-05-13", "IWM.2025-05-13.csv"),
        ("2025-11-28", "2025-11-05", "IWM.2025-11-05.csv"),
        ("2026-01-30", "2026-01-21", "IWM.2026-01-21.csv"),
    ]
    assert [(str(a), s) for a, s in valuation] == [
        ("2025-05-13", False),
        ("2025-11-05", False),
        ("2026-01-21", False),
    ]
