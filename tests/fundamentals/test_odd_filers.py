"""Odd filers through the parser and marts.earnings_ttm: IFRS, another currency, a fact under
an unexpected unit, an annual-only (20-F) US-GAAP filer, and a reverse split the filings alone
reveal. Small hand-made companyfacts bodies in the SEC's shape; expected values by hand."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from rotation.db import migrate
from sources.xbrl import XbrlBatch, load_facts, parse_companyfacts
from transforms import build_models

REPO = Path(__file__).resolve().parents[2]


def fact(start: str, end: str, val: float, filed: str, form: str, accn: str) -> dict[str, Any]:
    return {"start": start, "end": end, "val": val, "accn": accn, "form": form, "filed": filed}


def body(cik: int, facts: dict[str, dict[str, dict[str, list[dict[str, Any]]]]]) -> bytes:
    return json.dumps({"cik": cik, "entityName": f"CO {cik}", "facts": facts}).encode()


def build(con: duckdb.DuckDBPyConnection, tmp: Path) -> None:
    target = tmp / "sql" / "marts" / "earnings_ttm.sql"
    target.parent.mkdir(parents=True)
    target.symlink_to(REPO / "sql" / "marts" / "earnings_ttm.sql")
    build_models(con, tmp / "sql")


def load(con: duckdb.DuckDBPyConnection, data: bytes) -> None:
    parsed = parse_companyfacts(data, "hand.json")
    batch = XbrlBatch(parsed.rows, parsed.problems, [(parsed.cik, "loaded", "", 0, "")])
    load_facts(con, batch, parsed.rows, run_id="t", fetched_at=dt.datetime(2026, 1, 1))


def rows(con: duckdb.DuckDBPyConnection, cik: int) -> list[dict[str, Any]]:
    cursor = con.execute(
        "select * from marts.earnings_ttm where cik = ? order by known_from", [cik]
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


QUARTERS = [
    ("2023-01-01", "2023-03-31", "2023-05-01"),
    ("2023-04-01", "2023-06-30", "2023-08-01"),
    ("2023-07-01", "2023-09-30", "2023-11-01"),
    ("2023-10-01", "2023-12-31", "2024-02-01"),
]


def quarterly(unit_values: list[float], form: str = "10-Q") -> list[dict[str, Any]]:
    return [
        fact(s, e, v, f, form, f"a{i}")
        for i, ((s, e, f), v) in enumerate(zip(QUARTERS, unit_values, strict=True))
    ]


def test_a_fact_under_an_unexpected_unit_is_one_problem_and_the_rest_loads() -> None:
    data = body(
        7,
        {
            "us-gaap": {
                "NetIncomeLoss": {
                    "units": {
                        "USD": quarterly([1.0, 2.0, 3.0, 4.0]),
                        "shares": quarterly([5.0, 6.0, 7.0, 8.0]),
                    }
                },
                "EarningsPerShareDiluted": {"units": {"EUR/shares": quarterly([0.1] * 4)}},
            }
        },
    )
    parsed = parse_companyfacts(data, "hand.json")
    assert list(parsed.problems["reason"]) == [
        "hand.json facts.us-gaap.NetIncomeLoss.units.shares: NetIncomeLoss filed in unit "
        "'shares': expected USD or another currency"
    ]
    assert sorted(set(parsed.rows["unit"])) == ["EUR/shares", "USD"]
    assert len(parsed.rows) == 8  # 4 USD net income + 4 EUR EPS; nothing good lost


def test_another_currency_is_withheld_with_its_reason(tmp_path: Path) -> None:
    con = duckdb.connect()
    migrate(con)
    load(
        con,
        body(
            8,
            {
                "us-gaap": {
                    "NetIncomeLoss": {"units": {"EUR": quarterly([10.0, 20.0, 30.0, 40.0])}},
                    "EarningsPerShareDiluted": {"units": {"EUR/shares": quarterly([0.1] * 4)}},
                }
            },
        ),
    )
    build(con, tmp_path)
    last = rows(con, 8)[-1]
    assert last["net_income_ttm"] is None and last["eps_ttm"] is None
    assert last["net_income_withheld_reason"] == "net_income filed in EUR (form 10-Q), not USD"
    assert last["eps_withheld_reason"] == "eps filed in EUR/shares (form 10-Q), not USD"
    con.close()


def test_an_annual_only_filer_gets_its_fiscal_year_flagged(tmp_path: Path) -> None:
    years = [
        fact("2022-01-01", "2022-12-31", 100.0, "2023-04-20", "20-F", "y1"),
        fact("2022-01-01", "2022-12-31", 100.0, "2024-04-18", "20-F", "y2"),
        fact("2023-01-01", "2023-12-31", 150.0, "2024-04-18", "20-F", "y2"),
    ]
    eps = [{**f, "val": f["val"] / 100} for f in years]
    con = duckdb.connect()
    migrate(con)
    load(
        con,
        body(
            9,
            {
                "us-gaap": {
                    "NetIncomeLoss": {"units": {"USD": years}},
                    "EarningsPerShareDiluted": {"units": {"USD/shares": eps}},
                }
            },
        ),
    )
    build(con, tmp_path)
    first, second = rows(con, 9)
    assert (first["eps_ttm"], first["eps_ttm_prev"], first["annual_only"]) == (1.0, None, True)
    assert first["eps_end"] == dt.date(2022, 12, 31)
    assert (second["net_income_ttm"], second["net_income_ttm_prev"]) == (150.0, 100.0)
    assert (second["eps_ttm"], second["eps_ttm_prev"], second["annual_only"]) == (1.5, 1.0, True)
    assert not second["uses_derived_q4"] and second["eps_withheld_reason"] is None
    con.close()


def test_a_reverse_split_the_filings_reveal(tmp_path: Path) -> None:
    """1-for-10 after Q3 2023: the 10-K of 2024-02-01 reports FY and 9M 2023 on the new basis
    and restates the 2022 comparatives (x10); Q1-Q3 2023 stay as filed until restated."""
    old = [("2022-01-01", "2022-03-31"), ("2022-04-01", "2022-06-30"), ("2022-07-01", "2022-09-30")]
    eps = [fact(s, e, -0.10, "2022-11-01", "10-Q", "o") for s, e in old]
    eps += [fact("2022-01-01", "2022-12-31", -0.40, "2023-02-01", "10-K", "k22")]
    eps += [fact("2022-01-01", "2022-09-30", -0.30, "2022-11-01", "10-Q", "o")]
    eps += quarterly([-0.10, -0.10, -0.10, -9.0])[:3]
    eps += [
        fact("2023-01-01", "2023-12-31", -4.0, "2024-02-01", "10-K", "k23"),
        fact("2023-01-01", "2023-09-30", -3.0, "2024-02-01", "10-K", "k23"),
        fact("2022-01-01", "2022-12-31", -4.0, "2024-02-01", "10-K", "k23"),  # was -0.40
        fact("2022-01-01", "2022-09-30", -3.0, "2024-02-01", "10-K", "k23"),  # was -0.30
    ]
    income = [{**f, "val": f["val"] * 1e7} for f in eps if f["accn"] != "k23"]
    income += [{**f, "val": f["val"] * 1e6} for f in eps if f["accn"] == "k23"]
    con = duckdb.connect()
    migrate(con)
    load(
        con,
        body(
            10,
            {
                "us-gaap": {
                    "NetIncomeLoss": {"units": {"USD": income}},
                    "EarningsPerShareDiluted": {"units": {"USD/shares": eps}},
                }
            },
        ),
    )
    build(con, tmp_path)
    by_day = {r["known_from"]: r for r in rows(con, 10)}
    before = by_day[dt.date(2023, 11, 1)]
    assert before["eps_ttm"] == pytest.approx(-0.40)  # Q4 2022 -0.10 + Q1-Q3 2023
    on = by_day[dt.date(2024, 2, 1)]
    # Q1-Q3 2023 (-0.10 each as filed) x10 + Q4 2023 derived (-4.0 - -3.0) = -4.0
    assert on["eps_ttm"] == pytest.approx(-4.0)
    assert on["eps_ttm_prev"] == pytest.approx(-4.0)  # 2022 on the new basis
    assert on["net_income_ttm"] == pytest.approx(-4.0e6)
    con.close()


def test_an_annual_filers_year_stays_usable_for_500_days(tmp_path: Path) -> None:
    """FY2023 (to 2023-12-31, 20-F of 2024-04-18) on 2025-02-03, 400 days after its end:
    usable for an annual-only filer (a quarterly filer's would be stale after 200)."""
    years = [fact("2023-01-01", "2023-12-31", 2.0, "2024-04-18", "20-F", "y2")]
    con = duckdb.connect()
    migrate(con)
    load(con, body(11, {"us-gaap": {"EarningsPerShareDiluted": {"units": {"USD/shares": years}}}}))
    fetched = dt.datetime(2025, 1, 1)
    con.execute(
        """insert into raw.prices (symbol, date, close, adj_close, adj_close_received,
               adjustment, source, fetched_at, run_id)
           values ('IWM', '2025-02-03', 1, 1, 1, 'raw', 't', ?, 't')""",
        [fetched],
    )
    con.execute(
        """insert into raw.holdings (fund, as_of, line, ticker, name, weight_pct, price,
               is_equity, file, source, fetched_at, run_id)
           values ('IWM', '2025-02-03', 1, 'X', 'X ADR', 100, 40.0, true, 'f', 't', ?, 't')""",
        [fetched],
    )
    con.execute("insert into raw.sec_company_tickers values ('X', 11, 'X', 't', ?, 't')", [fetched])
    sql_dir = tmp_path / "sql"
    for model in (
        "staging/dashboard_sessions.sql",
        "staging/holdings_members.sql",
        "marts/earnings_ttm.sql",
        "marts/fund_valuation.sql",
    ):
        (sql_dir / model).parent.mkdir(parents=True, exist_ok=True)
        (sql_dir / model).symlink_to(REPO / "sql" / model)
    build_models(con, sql_dir)
    coverage, pe = con.execute(
        "select coverage, pe from marts.fund_valuation where session = '2025-02-03'"
    ).fetchone()
    assert (coverage, pe) == (pytest.approx(1.0), pytest.approx(20.0))  # 40 / 2.0
    con.close()
