"""The fundamentals stages end to end on a replay folder of the real files, no Prefect.

The folder links the last three IWM snapshots, both IWB snapshots (the spreadsheet-resaved one under
its dated name), the SEC ticker table and Snowflake's company facts: Snowflake is an IWB
member and the only one with recorded facts; they end in 2025, so on the session (July 2026)
they are stale and IWB's valuation is withheld.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import duckdb
import pytest

from pipeline.clients import Clients
from pipeline.registry import load_fundamentals
from rotation.db import writing
from rotation.settings import Settings, XbrlSettings
from transforms import build_models

AS_OF = dt.date(2026, 7, 17)


@pytest.fixture
def replay(tmp_path: Path, shared_data: Path) -> Path:
    root = tmp_path / "replay"
    (root / "holdings").mkdir(parents=True)
    (root / "xbrl").mkdir()
    for path in (shared_data / "holdings").glob("IWM.2026-0[45]-*.csv"):  # the last three
        (root / "holdings" / path.name).symlink_to(path)
    (root / "holdings" / "IWB.2026-07-17.csv").symlink_to(
        shared_data / "holdings" / "IWB.2026-07-17.csv"
    )
    (root / "holdings" / "IWB.2026-04-13.csv").symlink_to(
        shared_data / "holdings" / "IWB.2026-04-13.excel-resaved.csv"
    )
    (root / "xbrl" / "company_tickers.json").symlink_to(
        shared_data / "edgar" / "company_tickers.json"
    )
    name = "companyfacts.CIK0001640147.json"
    (root / "xbrl" / name).symlink_to(shared_data / "fundamentals" / name)
    return root


def test_tickers_holdings_and_facts_load_and_feed_the_marts(replay: Path, db_path: Path) -> None:
    settings = dataclasses.replace(
        Settings(), xbrl=dataclasses.replace(XbrlSettings(), max_companies_per_run=5000)
    )
    tickers, holdings, xbrl, fund_pe, _ = load_fundamentals(
        str(db_path), settings, Clients.replay(replay), AS_OF, run_id="run-1"
    )
    assert fund_pe.skipped and "no fund_pe/ sub-folder" in fund_pe.messages[0]
    assert tickers.loaded == 9610
    # three IWM snapshots as in tests/quality/test_holdings_suite.py, both IWB whole
    assert not holdings.blocked and holdings.loaded == 1934 + 1929 + 1922 + 1009 + 1029
    assert any("IVV skipped" in m for m in holdings.messages)  # no IVV file in this folder
    assert xbrl.loaded == 253 and not xbrl.blocked
    assert "no_xbrl" in xbrl.messages[-1] and "'loaded': 1" in xbrl.messages[-1]

    with writing(str(db_path)) as con:
        snapshots = con.execute(
            "select fund, count(*) from raw.holdings_snapshots group by fund order by fund"
        ).fetchall()
        assert snapshots == [("IWB", 2), ("IWM", 3)]
        # the spreadsheet-resaved file's class shares map to the vendor's form
        brk = con.execute(
            """select ticker_raw, ticker from raw.holdings
               where fund = 'IWB' and as_of = '2026-04-13' and ticker_raw like 'BRK%B'"""
        ).fetchall()
        assert brk == [("BRKB", "BRK-B")]
        con.execute(
            """insert into raw.prices (symbol, date, close, adj_close, adj_close_received,
                   adjustment, source, fetched_at, run_id)
               values ('IWB', ?, 1, 1, 1, 'raw', 't', now(), 't')""",
            [AS_OF],
        )
        build_models(con)
        snow = con.execute(
            """select e.eps_end, e.eps_ttm from marts.earnings_ttm as e
               where e.cik = 1640147 and e.known_from <= ?
               order by e.known_from desc limit 1""",
            [AS_OF],
        ).fetchone()
        assert snow == (dt.date(2025, 4, 30), pytest.approx(-4.2))
        iwb = con.execute(
            """select members, coverage, pe from marts.fund_valuation
               where fund = 'IWB' and session = ?""",
            [AS_OF],
        ).fetchone()
        # The recorded facts end with the quarter of 2025-04-30, more than 200 days before
        # the session: Snowflake is stale, so nothing is covered and P/E is withheld.
        assert iwb[0] > 1000 and iwb[1] == 0 and iwb[2] is None

    again = load_fundamentals(str(db_path), settings, Clients.replay(replay), AS_OF, run_id="run-2")
    assert again[1].fetched == 0 and again[1].loaded == 0  # replayed snapshots not redone
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute("select count(*) from raw.xbrl_facts").fetchone() == (253,)


def test_a_replay_without_the_folders_skips_with_reasons(tmp_path: Path, db_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    reports = load_fundamentals(
        str(db_path), Settings(), Clients.replay(tmp_path / "empty"), AS_OF, run_id="r"
    )
    assert [r.skipped for r in reports] == [True, True, True, True, True]
    assert "no holdings/ sub-folder" in reports[1].messages[0]


def test_no_facts_for_anyone_records_the_fetches_but_no_validation(
    tmp_path: Path, shared_data: Path, db_path: Path
) -> None:
    """A day on which every company due has no XBRL data is not a failed batch: the fetches
    are recorded (so they are not asked again at once), no validation row reads as "the
    source delivered nothing good" to the source-health alert."""
    root = tmp_path / "replay"
    (root / "holdings").mkdir(parents=True)
    (root / "xbrl").mkdir()
    (root / "holdings" / "IVV.2026-06-19.csv").symlink_to(
        shared_data / "holdings" / "IVV.2026-06-19.csv"
    )
    (root / "xbrl" / "company_tickers.json").symlink_to(
        shared_data / "edgar" / "company_tickers.json"
    )
    settings = dataclasses.replace(
        Settings(), xbrl=dataclasses.replace(XbrlSettings(), max_companies_per_run=20)
    )
    _, holdings, xbrl, *_ = load_fundamentals(
        str(db_path), settings, Clients.replay(root), dt.date(2026, 6, 19), run_id="r"
    )
    assert holdings.loaded == 508 and not xbrl.skipped
    assert xbrl.messages[-1] == "20 companies due: {'no_xbrl': 20}"
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute("select count(*) from raw.xbrl_fetches").fetchone() == (20,)
        sources = con.execute("select distinct source from ops.validation_runs").fetchall()
        assert sources == [("holdings",)]


def test_the_backfill_fetches_every_snapshots_members_once_and_resumes(
    replay: Path, db_path: Path
) -> None:
    from pipeline.fundamentals import backfill_xbrl, load_holdings, load_sec_tickers, load_xbrl

    settings = dataclasses.replace(
        Settings(), xbrl=dataclasses.replace(XbrlSettings(), max_companies_per_run=20)
    )
    clients = Clients.replay(replay)
    load_sec_tickers(str(db_path), settings, clients, run_id="r")
    load_holdings(str(db_path), settings, clients, AS_OF, run_id="r")
    daily = load_xbrl(str(db_path), settings, clients, AS_OF, run_id="r")  # 20 of them
    with duckdb.connect(str(db_path), read_only=True) as con:
        wanted = con.execute(
            """select count(distinct t.cik) from raw.holdings as h
               inner join raw.sec_company_tickers as t on h.ticker = t.ticker
               where h.is_equity"""
        ).fetchone()[0]
    assert wanted > 2000 and "20 companies due" in daily.messages[-1]
    report = backfill_xbrl(str(db_path), settings, clients, AS_OF, run_id="b", batch_size=500)
    assert not report.blocked and report.loaded == 253  # Snowflake: the one recorded body
    with duckdb.connect(str(db_path), read_only=True) as con:
        fetched = con.execute("select count(*) from raw.xbrl_fetches").fetchone()[0]
    assert fetched == wanted  # every member of every snapshot, the daily run's 20 not twice
    batches = [m for m in report.messages if "companies due" in m]
    assert len(batches) == -(-(wanted - 20) // 500)
    again = backfill_xbrl(str(db_path), settings, clients, AS_OF, run_id="b2")
    assert again.skipped and "has been fetched" in again.messages[0]


def test_every_fundamentals_source_loads_builds_alerts_and_reports(
    tmp_path: Path, shared_data: Path, db_path: Path
) -> None:
    """IWB's snapshot, the ticker table and Snowflake's facts, QQQ's two quoteSummary
    recordings and Shiller's workbook, through the stages, the full build, the cross-check,
    every default rule and the report: everything of this slice, without Prefect."""
    from alerts import evaluate, load_rules
    from pipeline.fundamentals import cross_check_fund_pe
    from reporting import build_report
    from rotation.settings import ValuationSettings

    root = tmp_path / "replay"
    for kind in ("holdings", "xbrl", "fund_pe", "shiller"):
        (root / kind).mkdir(parents=True)
    (root / "holdings" / "IWB.2026-07-17.csv").symlink_to(
        shared_data / "holdings" / "IWB.2026-07-17.csv"
    )
    (root / "xbrl" / "company_tickers.json").symlink_to(
        shared_data / "edgar" / "company_tickers.json"
    )
    for kind, name in (
        ("xbrl", "companyfacts.CIK0001640147.json"),
        ("fund_pe", "yahoo-quotesummary.QQQ.2021-02-05.json"),
        ("fund_pe", "yahoo-quotesummary.QQQ.2025-02-24.json"),
        ("shiller", "shiller-ie_data.2026-05.xls"),
    ):
        (root / kind / name).symlink_to(shared_data / "fundamentals" / name)
    settings = dataclasses.replace(
        Settings(),
        xbrl=dataclasses.replace(XbrlSettings(), max_companies_per_run=5000),
        valuation=dataclasses.replace(ValuationSettings(), fund_pe_funds=("QQQ",)),
    )
    reports = load_fundamentals(str(db_path), settings, Clients.replay(root), AS_OF, run_id="r")
    assert [r.source for r in reports] == ["sec_tickers", "holdings", "xbrl", "fund_pe", "shiller"]
    assert not any(r.blocked or r.skipped for r in reports)
    assert reports[3].loaded == 2 and reports[4].loaded == 1865
    with writing(str(db_path)) as con:
        con.execute(
            """insert into raw.prices (symbol, date, close, adj_close, adj_close_received,
                   adjustment, source, fetched_at, run_id)
               values ('IWB', ?, 1, 1, 1, 'raw', 't', now(), 't')""",
            [AS_OF],
        )
        build_models(con)
    assert cross_check_fund_pe(str(db_path), AS_OF, run_id="r") == []  # no built QQQ P/E
    with writing(str(db_path)) as con:
        evaluate(con, load_rules([]), AS_OF, "r", deliverable=False)
        skipped = con.execute(
            "select count(*) from marts.fund_pe_cross_check where built_pe is null"
        ).fetchone()
        assert skipped == (2,)
    with duckdb.connect(str(db_path), read_only=True) as con:
        report = build_report(con, AS_OF)
    *funds, long_run = report.chart("valuation").panels
    assert long_run.drawn and "CAPE 39.6" in long_run.title  # May 2026: 98.7th percentile
    assert "withheld" in funds[0].note  # Snowflake's facts are stale on the session
