"""Macro models (staging.macro_latest, marts.macro_daily) and the line-up marts.daily_dashboard.

Built with the project's runner from a folder holding only the models under test (plus, for the
dashboard, stand-in price marts with the agreed column names). Expected values by hand.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from transforms.runner import build_models

REPO = Path(__file__).resolve().parents[2]
MACRO_MODELS = {
    "staging": ["dashboard_sessions", "fred_release_lags", "macro_latest"],
    "marts": ["macro_daily"],
}
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def build(con, tmp_path: Path, models: dict[str, list[str]], extra: dict[str, str] | None = None):
    sql_dir = tmp_path / "sql"
    for layer, names in models.items():
        (sql_dir / layer).mkdir(parents=True, exist_ok=True)
        for name in names:
            (sql_dir / layer / f"{name}.sql").symlink_to(REPO / "sql" / layer / f"{name}.sql")
    for relative, text in (extra or {}).items():
        (sql_dir / relative).write_text(text)
    build_models(con, sql_dir)


def add_sessions(con, dates) -> None:
    con.executemany(
        "insert into raw.prices (symbol, date, close, adj_close, adj_close_received, adjustment,"
        " source, fetched_at, run_id) values ('IWM', ?, 1, 1, 1, 'raw', 'test', now(), 't')",
        [[d] for d in dates],
    )


def observe(con, series: str, rows, fetched_at: dt.datetime = T0) -> None:
    con.executemany(
        "insert into raw.fred_observations values (?, ?, ?, 'test', ?, 't')",
        [[series, d, v, fetched_at] for d, v in rows],
    )


def macro(con, day: dt.date) -> dict:
    cursor = con.execute("select * from marts.macro_daily where date = ?", [day])
    names = [c[0] for c in cursor.description]
    return dict(zip(names, cursor.fetchone(), strict=True))


def test_as_of_release_date_revisions_and_missing(con, tmp_path: Path) -> None:
    d = dt.date
    add_sessions(con, [d(2024, 1, 4), d(2024, 1, 5), d(2024, 2, 7), d(2024, 2, 8), d(2024, 3, 15)])
    observe(con, "BAMLH0A0HYM2", [
        (d(2024, 1, 3), 3.50), (d(2024, 1, 4), 3.60), (d(2024, 2, 14), 3.20),
        (d(2024, 2, 15), None), (d(2024, 3, 14), 3.90),
    ])  # fmt: skip
    observe(con, "BAMLH0A0HYM2", [(d(2024, 1, 4), 3.65)], T0 + dt.timedelta(days=2))  # revised
    observe(con, "UNRATE", [(d(2023, 12, 1), 3.7), (d(2024, 1, 1), 3.9)])
    observe(con, "T10Y2Y", [(d(2024, 1, 4), -0.4)])
    observe(con, "DGS10", [(d(2024, 3, 13), 4.3)])
    observe(con, "DGS2", [(d(2024, 3, 13), 4.6)])
    build(con, tmp_path, MACRO_MODELS)

    # 2024-01-04: the 01-04 value is public only on 01-05 (one-day lag) -> 01-03's 3.50
    assert macro(con, d(2024, 1, 4))["hy_spread_bp"] == pytest.approx(350)
    # 2024-01-05: the revised 3.65 (the latest fetch), not the first 3.60
    row = macro(con, d(2024, 1, 5))
    assert row["hy_spread_bp"] == pytest.approx(365)
    assert row["hy_spread_date"] == d(2024, 1, 4)
    assert row["curve_10y2y"] == pytest.approx(-0.4)
    # UNRATE dated 2024-01-01 is public after 38 days (2024-02-08), so 2024-02-07 sees Dec's
    assert macro(con, d(2024, 2, 7))["unemployment_rate"] == pytest.approx(3.7)
    assert macro(con, d(2024, 2, 8))["unemployment_rate"] == pytest.approx(3.9)
    # 2024-03-15: latest 3.90 (03-14); 02-15 was missing ('.') so a month ago (as of 02-15)
    # is 02-14's 3.20 -> +70 bp; three months ago (as of 2023-12-15) nothing -> NULL
    row = macro(con, d(2024, 3, 15))
    assert row["hy_spread_bp"] == pytest.approx(390)
    assert row["hy_spread_chg_1m_bp"] == pytest.approx(70)
    assert row["hy_spread_chg_3m_bp"] is None
    # no T10Y2Y newer than January: still the last known T10Y2Y value (coalesce prefers it)
    assert row["curve_10y2y"] == pytest.approx(-0.4)
    assert row["yield_10y"] == pytest.approx(4.3) and row["yield_2y"] == pytest.approx(4.6)


def test_claims_and_fed_cuts(con, tmp_path: Path) -> None:
    d = dt.date
    session = d(2024, 12, 31)
    add_sessions(con, [session])
    # 56 Saturdays of claims ending 2024-12-21 (public 5 days later, 12-26): 200k, except the
    # last four at 240k -> 4-week average 240k; lowest 4-week average in 52 weeks 200k -> +20 %
    saturdays = [d(2024, 12, 21) - dt.timedelta(weeks=w) for w in range(55, -1, -1)]
    values = [200_000.0] * 52 + [240_000.0] * 4
    observe(con, "ICSA", list(zip(saturdays, values, strict=True)))
    # Fed funds: 5.33 through 2024-09-18, 4.83 from 09-19 (-0.50), 4.58 from 11-08,
    # 4.33 from 12-19; a -0.05 wobble on 2024-03-01 is not a cut
    days = [d(2023, 12, 1) + dt.timedelta(days=i) for i in range(397)]

    def dff(day: dt.date) -> float:
        if day >= d(2024, 12, 19):
            return 4.33
        if day >= d(2024, 11, 8):
            return 4.58
        if day >= d(2024, 9, 19):
            return 4.83
        return 5.28 if day == d(2024, 3, 1) else 5.33

    observe(con, "DFF", [(day, dff(day)) for day in days])
    observe(con, "NFCI", [(d(2024, 12, 20), -0.52)])
    build(con, tmp_path, MACRO_MODELS)
    row = macro(con, session)
    assert row["claims_4wk"] == pytest.approx(240_000)
    assert row["claims_4wk_low_52wk"] == pytest.approx(200_000)
    assert row["claims_4wk_vs_low_pct"] == pytest.approx(20.0)
    assert row["fed_funds"] == pytest.approx(4.33)
    # as of 2024-09-30 (public by then: 09-29's 4.83) -> -0.50; 2024-06-30: 5.33 -> -1.00
    assert row["fed_funds_chg_3m"] == pytest.approx(4.33 - 4.83)
    assert row["fed_funds_chg_6m"] == pytest.approx(4.33 - 5.33)
    assert row["fed_cuts_12m"] == 3  # the wobble and its recovery are not cuts
    assert row["nfci"] == pytest.approx(-0.52)


PRICE_STANDINS = {
    "marts/relative_strength.sql": "select * from main.rs_fixture",
    "marts/returns.sql": "select * from main.returns_fixture",
    "marts/risk.sql": "select * from main.risk_fixture",
    "marts/pair_risk.sql": "select * from main.pair_risk_fixture",
}


def test_dashboard_one_row_per_session_never_from_the_future(con, tmp_path: Path) -> None:
    d = dt.date
    sessions = [d(2024, 6, 27), d(2024, 6, 28), d(2024, 7, 1)]
    add_sessions(con, sessions)
    con.execute(
        """create table main.rs_fixture as select * from (values
           ('IWM/SPY', 'IWM', 'SPY', 'total_return', date '2024-06-28', 0.40, 0.41, 0.42,
            -0.02, -0.05, 0.01, 0.02, -0.10, 3),
           ('^RUT/^GSPC', '^RUT', '^GSPC', 'price_index', date '2024-06-28', 0.37, 0.38, 0.39,
            -0.03, -0.06, 0.0, 0.01, -0.12, -1))
           t(pair, small, large, kind, date, ratio, ratio_ma50, ratio_ma200, ratio_vs_ma50,
             ratio_vs_ma200, spread_20d, spread_60d, ytd_spread, streak)"""
    )
    con.execute(
        """create table main.returns_fixture as select * from (values
           ('IWM', date '2024-06-28', 200.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 1.5))
           t(symbol, date, value, ret_1d, mtd, qtd, ytd, ret_1m, ret_3m, ret_6m, ret_12m,
             tr_index)"""
    )
    con.execute(
        """create table main.risk_fixture as select * from (values
           ('IWM', date '2024-06-28', 0.2, 0.21, 0.22, -0.05, -0.3))
           t(symbol, date, vol_21, vol_63, vol_252, drawdown, max_drawdown)"""
    )
    con.execute(
        """create table main.pair_risk_fixture as select * from (values
           ('IWM/SPY', date '2024-06-28', 0.8, 0.85, 1.1, 1.2))
           t(pair, date, corr_63, corr_252, beta_63, beta_252)"""
    )
    con.execute(
        "insert into raw.edgar_index_files values "
        "('q', '2024-06-27', '2024-06-28', 'loaded', 0, 'u', now(), 't')"
    )
    con.execute(
        "insert into raw.edgar_filings values ('0000000001-24-000001', 1, 'X', 'S-4', "
        "'2024-06-28', 'f', 'i', 'test', now(), now(), 't')"
    )
    observe(
        con, "BAMLH0A0HYM2", [(d(2024, 6, 26), 3.1), (d(2024, 6, 27), 3.2), (d(2024, 6, 28), 3.3)]
    )
    con.execute(
        "insert into raw.nasdaq_ipos (deal_id, status, status_rank, company_name, priced_date, "
        "offer_amount, calendar_month, source, first_fetched_at, fetched_at, run_id) values "
        "('1-1', 'priced', 4, 'A', '2024-06-28', 5e6, '2024-06', 't', now(), now(), 't')"
    )
    models = {
        "staging": [
            "dashboard_sessions", "fred_release_lags", "macro_latest",
            "edgar_form_categories", "edgar_filings",
        ],
        "marts": [
            "macro_daily", "deal_flow_daily", "ipo_calendar", "ipo_flow_daily", "daily_dashboard",
        ],
    }  # fmt: skip
    (tmp_path / "sql" / "marts").mkdir(parents=True)
    build(con, tmp_path, models, PRICE_STANDINS)
    rows = con.execute(
        "select date, iwm_spy_ratio, rut_gspc_ratio, len(pairs), iwm_ytd, iwm_vol_63, "
        "iwm_spy_beta_63, deal_flow_date, hy_spread_bp, ipo_proceeds_30d "
        "from marts.daily_dashboard order by date"
    ).fetchall()
    assert [r[0] for r in rows] == sessions  # one row per session
    # 06-27: no prices marts yet, HY as of 06-26 (06-27's value is public on 06-28)
    assert rows[0][1:3] == (None, None) and rows[0][8] == pytest.approx(310)
    assert rows[0][9] == 0  # the 06-28 IPO is not visible on 06-27
    assert [float(x) for x in rows[1][1:7]] == [0.40, 0.37, 2, 0.04, 0.21, 1.1]
    assert rows[1][7] == d(2024, 6, 28)
    assert rows[1][8] == pytest.approx(320) and rows[1][9] == 5e6
    # 07-01: the last known HY value (06-28's, public 06-29) carried forward
    assert rows[2][8] == pytest.approx(330)
    mna = con.execute(
        "select date, filings from marts.deal_flow_daily where category = 'mna' order by date"
    ).fetchall()
    assert mna == [(d(2024, 6, 27), 0), (d(2024, 6, 28), 1), (d(2024, 7, 1), None)]
