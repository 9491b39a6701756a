"""marts.fund_valuation and marts.valuation_gap on small hand-made tables, worked out by hand.

IWM holds A (50 %, price 10), B (30 %, price 20) and C (20 %, price 5, no filings); IVV holds D
(100 %, price 50). Trailing EPS from eight calendar quarters (2023: prev year, 2024: now):
A 0.8 → 1.0, B -1.0 → -2.0, D 2.0 → 2.5. So on 2025-03-03, with weights .5/.3/.2:

- IWM coverage 0.8 (C has no earnings); E/P: A 0.1, B -0.1.
  pe = 0.8 / (0.5*0.1 + 0.3*-0.1) = 0.8 / 0.02 = 40; pe_ex_losses = 0.5 / 0.05 = 10;
  loss share 1 of 2 by count, 0.3/0.8 = 0.375 by weight;
  growth = (0.05 - 0.03) / (0.5*0.08 + 0.3*-0.05) - 1 = 0.02 / 0.025 - 1 = -0.2;
  median growth over members with positive previous EPS: A only, 1.0/0.8 - 1 = 0.25.
- IVV: pe = 1 / 0.05 = 20, growth = 0.05/0.04 - 1 = 0.25.
- IWM/IVV discount = 40/20 - 1 = 1.0, growth gap = -0.2 - 0.25 = -0.45.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from transforms import build_models

REPO = Path(__file__).resolve().parents[2]
MODELS = (
    "staging/dashboard_sessions.sql",
    "staging/holdings_members.sql",
    "marts/earnings_ttm.sql",
    "marts/fund_valuation.sql",
    "marts/valuation_gap.sql",
    "marts/latest_valuation.sql",
)
QUARTERS = [
    ("2023-01-01", "2023-03-31"), ("2023-04-01", "2023-06-30"),
    ("2023-07-01", "2023-09-30"), ("2023-10-01", "2023-12-31"),
    ("2024-01-01", "2024-03-31"), ("2024-04-01", "2024-06-30"),
    ("2024-07-01", "2024-09-30"), ("2024-10-01", "2024-12-31"),
]  # fmt: skip
EPS = {1: (0.2, 0.25), 2: (-0.25, -0.5), 4: (0.5, 0.625)}  # cik: (2023 quarter, 2024 quarter)


def _setup(con: duckdb.DuckDBPyConnection, tmp: Path) -> None:
    fetched = dt.datetime(2025, 1, 1)
    con.executemany(
        """insert into raw.prices (symbol, date, close, adj_close, adj_close_received,
               adjustment, source, fetched_at, run_id)
           values ('IWM', ?, 1, 1, 1, 'raw', 't', ?, 't')""",
        [(d, fetched) for d in ("2025-01-02", "2025-03-03", "2025-09-02")],
    )
    con.executemany(
        """insert into raw.holdings (fund, as_of, line, ticker, name, weight_pct, price,
               is_equity, file, source, fetched_at, run_id)
           values (?, '2025-01-02', ?, ?, ?, ?, ?, ?, 'f', 't', ?, 't')""",
        [
            ("IWM", 11, "A", "A INC", 49.5, 10.0, True, fetched),
            ("IWM", 12, "B", "B INC", 29.7, 20.0, True, fetched),
            ("IWM", 13, "C", "C INC", 19.8, 5.0, True, fetched),
            ("IWM", 14, "XTSLA", "CASH FUND", 1.0, 1.0, False, fetched),  # not a member
            ("IVV", 11, "D", "D INC", 99.0, 50.0, True, fetched),
        ],
    )
    con.executemany(
        "insert into raw.sec_company_tickers values (?, ?, ?, 't', ?, 't')",
        [(t, c, t, fetched) for t, c in (("A", 1), ("B", 2), ("C", 3), ("D", 4))],
    )
    rows = []
    for cik, (eps_2023, eps_2024) in EPS.items():
        for i, (start, end) in enumerate(QUARTERS):
            filed = dt.date.fromisoformat(end) + dt.timedelta(days=40)
            rows.append(
                (cik, start, end, eps_2023 if i < 4 else eps_2024, f"{cik}-{i}", filed, fetched)
            )
    con.executemany(
        """insert into raw.xbrl_facts (cik, metric, priority, taxonomy, concept, unit,
               period_start, period_end, is_instant, value, accession, form, filed, file,
               source, first_fetched_at, fetched_at, run_id)
           values (?, 'eps', 1, 'us-gaap', 'EarningsPerShareDiluted', 'USD/shares', ?, ?,
                   false, ?, ?, '10-Q', ?, 'f', 't', ?, ?, 't')""",
        [(*r, r[-1]) for r in rows],
    )
    sql_dir = tmp / "sql"
    for model in MODELS:
        (sql_dir / model).parent.mkdir(parents=True, exist_ok=True)
        (sql_dir / model).symlink_to(REPO / "sql" / model)
    build_models(con, sql_dir)


def _row(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> dict:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return dict(zip(names, cursor.fetchone(), strict=True))


def test_valuation_figures_by_hand(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    _setup(con, tmp_path)
    iwm = _row(
        con,
        "select * from marts.fund_valuation where fund = ? and session = ?",
        ["IWM", "2025-03-03"],
    )
    assert iwm["members"] == 3 and iwm["members_with_earnings"] == 2
    assert iwm["holdings_as_of"] == dt.date(2025, 1, 2)
    assert iwm["coverage"] == pytest.approx(0.8)
    assert iwm["pe"] == pytest.approx(40.0)
    assert iwm["pe_ex_losses"] == pytest.approx(10.0)
    assert iwm["loss_share_count"] == pytest.approx(0.5)
    assert iwm["loss_share_weight"] == pytest.approx(0.375)
    assert iwm["earnings_growth"] == pytest.approx(-0.2)
    assert iwm["median_earnings_growth"] == pytest.approx(0.25)
    gap = _row(
        con,
        "select * from marts.valuation_gap where pair = ? and session = ?",
        ["IWM/IVV", "2025-03-03"],
    )
    assert (gap["small_pe"], gap["large_pe"]) == (pytest.approx(40.0), pytest.approx(20.0))
    assert gap["discount"] == pytest.approx(1.0)
    assert gap["growth_gap"] == pytest.approx(-0.45)
    latest = _row(con, "select * from marts.latest_valuation where fund = ?", ["IWM"])
    assert latest["session"] == dt.date(2025, 9, 2)  # the last session, stale: withheld
    assert latest["pe"] is None and latest["coverage"] == 0
    con.execute("delete from raw.prices where date = '2025-09-02'")
    build_models(con, tmp_path / "sql")
    latest = _row(con, "select * from marts.latest_valuation where fund = ?", ["IWM"])
    assert latest["session"] == dt.date(2025, 3, 3)
    assert latest["discount_vs_ivv"] == pytest.approx(1.0)
    assert latest["growth_gap_vs_ivv"] == pytest.approx(-0.45)
    # before the snapshot there are no members; on the snapshot day the 2024 Q4 is not
    # filed yet (filed 2025-02-09): A's TTM is 0.2 + 3 * 0.25 = 0.95
    assert con.execute(
        "select count(*) from marts.fund_valuation where session < '2025-01-02'"
    ).fetchone() == (0,)
    early = _row(
        con,
        "select pe_ex_losses from marts.fund_valuation where fund = ? and session = ?",
        ["IWM", "2025-01-02"],
    )
    assert early["pe_ex_losses"] == pytest.approx(10.0 / 0.95)


def test_stale_or_thin_coverage_is_withheld(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    _setup(con, tmp_path)
    # 2025-09-02: the last quarter ended 2024-12-31, more than 200 days earlier
    late = _row(
        con,
        "select * from marts.fund_valuation where fund = ? and session = ?",
        ["IVV", "2025-09-02"],
    )
    assert late["coverage"] == 0 and late["pe"] is None and late["earnings_growth"] is None
    con.execute("update ops.valuation_settings set coverage_floor = 0.9")
    build_models(con, tmp_path / "sql")
    iwm = _row(
        con,
        "select * from marts.fund_valuation where fund = ? and session = ?",
        ["IWM", "2025-03-03"],
    )
    assert iwm["coverage"] == pytest.approx(0.8)  # shown, but the figures are withheld
    assert iwm["pe"] is None and iwm["loss_share_weight"] is None
    gap = _row(
        con,
        "select * from marts.valuation_gap where pair = ? and session = ?",
        ["IWM/IVV", "2025-03-03"],
    )
    assert gap["discount"] is None and gap["large_pe"] == pytest.approx(20.0)


def test_status_shows_the_latest_valuation(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    from rich.console import Console

    from cli.status import collect_status, render_status

    _setup(con, tmp_path)
    con.execute("delete from raw.prices where date = '2025-09-02'")
    build_models(con, tmp_path / "sql")
    status = collect_status(con, dt.date(2025, 3, 3))
    iwm = next(v for v in status["valuation"] if v["fund"] == "IWM")
    assert iwm["pe"] == pytest.approx(40.0) and iwm["discount_vs_ivv"] == pytest.approx(1.0)
    console = Console(record=True, width=160)
    render_status(status, console)
    text = console.export_text()
    assert "Valuation from constituents" in text
    assert "IWM" in text and "40.0" in text and "+100%" in text and "80%" in text
