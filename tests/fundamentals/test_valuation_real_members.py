"""marts.fund_valuation and marts.valuation_coverage with the real IVV (2026-06-19) and IWB
(2026-07-17) snapshots, the real SEC ticker table of 2025-12-14 and the real companyfacts of
Apple, Alphabet (GOOGL and GOOG), Marvell, Snowflake and TSMC.

Five companies are ~13-14 % of either fund's weight: below the 0.6 coverage floor, so the
published figures stay withheld; with the floor at 0 the partial figures show, and they equal
a computation over the CSV files with pandas (weights renormalised over the equity lines,
the file's price) and each member's trailing EPS as known on the session (proven against an
independent oracle in test_earnings_real_filings.py).
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from rotation.db import migrate
from sources.holdings import load_snapshot, parse_holdings
from sources.xbrl import (
    XbrlBatch,
    load_company_tickers,
    load_facts,
    parse_company_tickers,
    parse_companyfacts,
)
from transforms import build_models

REPO = Path(__file__).resolve().parents[2]
CIKS = (320193, 1652044, 1835632, 1640147, 1046179)
SNAPSHOTS = {"IVV": "IVV.2026-06-19.csv", "IWB": "IWB.2026-07-17.csv"}
MODELS = (
    "staging/dashboard_sessions.sql",
    "staging/holdings_members.sql",
    "marts/earnings_ttm.sql",
    "marts/fund_valuation.sql",
    "marts/valuation_gap.sql",
    "marts/latest_valuation.sql",
    "marts/valuation_coverage.sql",
)
FETCHED = dt.datetime(2026, 7, 20)


def _build(con: duckdb.DuckDBPyConnection) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for model in MODELS:
            target = Path(tmp) / "sql" / model
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(REPO / "sql" / model)
        build_models(con, Path(tmp) / "sql")


@pytest.fixture(scope="module")
def members(shared_data: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    migrate(con)
    tickers = shared_data / "edgar" / "company_tickers.2025-12-14.json"
    table = parse_company_tickers(tickers.read_bytes(), tickers.name)
    load_company_tickers(con, table, source="test", run_id="t", fetched_at=FETCHED)
    for fund, name in SNAPSHOTS.items():
        parsed = parse_holdings((shared_data / "holdings" / name).read_bytes(), name, fund=fund)
        load_snapshot(con, parsed, parsed.rows, source="test", run_id="t", fetched_at=FETCHED)
        con.execute(
            """insert into raw.prices (symbol, date, close, adj_close, adj_close_received,
                   adjustment, source, fetched_at, run_id)
               values ('IWM', ?, 1, 1, 1, 'raw', 't', ?, 't')""",
            [parsed.as_of, FETCHED],
        )
    for cik in CIKS:
        name = f"companyfacts.CIK{cik:010d}.json"
        facts = parse_companyfacts((shared_data / "fundamentals" / name).read_bytes(), name)
        batch = XbrlBatch(facts.rows, facts.problems, [(cik, "loaded", facts.entity_name, 0, "")])
        load_facts(con, batch, facts.rows, run_id="t", fetched_at=FETCHED)
    _build(con)
    yield con
    con.close()


def csv_members(shared: Path, name: str) -> pd.DataFrame:
    """Equity lines of the file with weights renormalised to 1, read with pandas alone."""
    lines = (shared / "holdings" / name).read_text(encoding="utf-8-sig").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Ticker,"))
    frame = pd.read_csv(io.StringIO("\n".join(lines[start:])), thousands=",", dtype=str)
    frame = frame[frame["Asset Class"] == "Equity"].copy()
    frame["w"] = frame["Weight (%)"].str.replace(",", "").astype(float)
    frame["price"] = frame["Price"].str.replace(",", "").astype(float)
    frame["w"] = frame["w"] / frame["w"].sum()
    return frame.set_index("Ticker")


def eps_known(con: duckdb.DuckDBPyConnection, cik: int, day: dt.date) -> tuple:
    return con.execute(
        """select eps_ttm, eps_end from marts.earnings_ttm
           where cik = ? and known_from <= ? and (known_until is null or ? < known_until)""",
        [cik, day, day],
    ).fetchone()


# Usable on the snapshot's day. In IWB (2026-07-17) Apple is stale: its file was recorded
# 2026-03-25, so its last quarter (to 2025-12-27) ended 202 days before, past the 200 limit.
EXPECTED_MEMBERS = {
    "IVV": {"AAPL": 320193, "GOOGL": 1652044, "GOOG": 1652044, "MRVL": 1835632},
    "IWB": {"GOOGL": 1652044, "GOOG": 1652044, "MRVL": 1835632},
}


@pytest.mark.parametrize("fund", ["IVV", "IWB"])
def test_partial_figures_of_real_members_equal_the_files(
    members, shared_data: Path, fund: str
) -> None:
    session = dt.date.fromisoformat(SNAPSHOTS[fund][4:14])
    frame = csv_members(shared_data, SNAPSHOTS[fund])
    weight = price_weighted = 0.0
    for ticker, cik in EXPECTED_MEMBERS[fund].items():
        eps, end = eps_known(members, cik, session)
        assert eps is not None and (session - end).days <= 200, ticker
        w, price = frame.loc[ticker, "w"], frame.loc[ticker, "price"]
        weight += w
        price_weighted += w * eps / price
    published = members.execute(
        "select coverage, pe from marts.fund_valuation where fund = ? and session = ?",
        [fund, session],
    ).fetchone()
    assert published[0] == pytest.approx(weight, rel=1e-9)
    assert 0.03 < weight < 0.6 and published[1] is None  # below the floor: withheld
    members.execute("update ops.valuation_settings set coverage_floor = 0")
    try:
        _build(members)
        partial = members.execute(
            """select coverage, pe, pe_ex_losses, members_with_earnings
               from marts.fund_valuation where fund = ? and session = ?""",
            [fund, session],
        ).fetchone()
    finally:
        members.execute("update ops.valuation_settings set coverage_floor = 0.6")
        _build(members)
    assert partial[0] == pytest.approx(weight, rel=1e-9)
    assert partial[1] == pytest.approx(weight / price_weighted, rel=1e-9)
    assert partial[2] == partial[1]  # all are profitable
    assert partial[3] == len(EXPECTED_MEMBERS[fund])
    assert 20 < partial[1] < 45  # Apple, Alphabet and Marvell in 2026: a plausible multiple


def test_coverage_says_why_the_rest_is_out(members) -> None:
    rows = members.execute(
        """select fund, status, members, weight, reason from marts.valuation_coverage
           order by fund, status"""
    ).fetchall()
    by = {(f, s): (n, w, r) for f, s, n, w, r in rows}
    # the latest session of both is 2026-07-17 (IVV on its 2026-06-19 snapshot). Snowflake's
    # file ends with its 10-Q of 2025-05-30 (quarter to 2025-04-30) and Apple's with its
    # quarter to 2025-12-27: both stale that day
    assert by[("IVV", "usable")][0] == 3 and by[("IWB", "usable")][0] == 3
    assert by[("IVV", "stale")][0] == 1 and by[("IWB", "stale")][0] == 2
    # every other member has a CIK but no companyfacts loaded in this test
    assert by[("IVV", "no filings")][0] > 490
    assert (
        sum(n for (f, _), (n, _, _) in by.items() if f == "IVV")
        == members.execute(
            "select members from marts.fund_valuation where fund = 'IVV' and session = '2026-07-17'"
        ).fetchone()[0]
    )
    assert sum(w for (f, _), (_, w, _) in by.items() if f == "IWB") == pytest.approx(1.0)


def test_status_shows_coverage_and_withheld_reasons(members) -> None:
    from rich.console import Console

    from cli.status_valuation import collect_valuation_context, render_valuation_context

    context = collect_valuation_context(members, dt.date(2026, 7, 17))
    statuses = {(r["fund"], r["status"]) for r in context["valuation_coverage"]}
    assert {("IVV", "usable"), ("IWB", "stale"), ("IWB", "no filings")} <= statuses
    console = Console(record=True, width=160)
    render_valuation_context(context, console)
    text = console.export_text()
    assert "Valuation coverage: members by earnings status" in text
    assert "IWB" in text and "stale" in text and "no filings" in text


def test_the_run_logs_coverage_per_fund(members) -> None:
    from pipeline.fundamentals import valuation_coverage_lines

    lines = valuation_coverage_lines(members)
    assert lines[0].startswith("IVV on 2026-07-17: usable 3 (6.5%); no filings 496 (85.2%)")
    assert "stale 1 (6.8%)" in lines[0] and "no CIK 4 (1.6%)" in lines[0]
    assert lines[1].startswith("IWB on 2026-07-17: usable 3 (5.6%);")
    assert valuation_coverage_lines(duckdb.connect()) == []  # nothing built yet
