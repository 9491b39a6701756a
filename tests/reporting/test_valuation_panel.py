"""The report's valuation panel on hand-made marts: headlines by hand, withheld shown as such."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from reporting.queries import run_query, window
from reporting.valuation import valuation_chart

START, END = dt.date(2025, 1, 2), dt.date(2025, 12, 31)
DAYS = [dt.date(2025, 1, 2), dt.date(2025, 6, 2), dt.date(2025, 12, 1)]


@pytest.fixture
def marts() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.fund_valuation (fund varchar, session date, holdings_as_of date, "
        "coverage double, pe double, pe_ex_losses double, loss_share_count double, "
        "loss_share_weight double, earnings_growth double)"
    )
    con.execute(
        "create table marts.valuation_gap (pair varchar, session date, discount double, "
        "discount_ex_losses double, growth_gap double)"
    )
    # IWM: P/E ex losses 16 → 15, loss share 20 % → 26 %, growth +8 %; IVV: 22 → 24, 2 %, +5 %
    figures = zip(DAYS, (16, 15.5, 15), (22, 23, 24), (0.2, 0.23, 0.26), strict=True)
    for day, iwm_pe, ivv_pe, loss in figures:
        con.execute(
            "insert into marts.fund_valuation values "
            "('IWM', ?, ?, 0.8, 40, ?, 0.4, ?, 0.08), ('IVV', ?, ?, 0.95, 25, ?, 0.03, 0.02, 0.05)",
            [day, DAYS[0], iwm_pe, loss, day, DAYS[0], ivv_pe],
        )
        con.execute(
            "insert into marts.valuation_gap values ('IWM/IVV', ?, 0.6, ?, 0.03)",
            [day, iwm_pe / ivv_pe - 1],
        )
    return con


def _chart(con: duckdb.DuckDBPyConnection):
    return valuation_chart(
        window(con, "valuation_funds", START, END),
        window(con, "valuation_gap", START, END),
        run_query(con, "shiller_history", [END]),
        START,
        END,
    )


def test_headlines_say_what_the_latest_values_mean(marts: duckdb.DuckDBPyConnection) -> None:
    chart = _chart(marts)
    assert chart.png.startswith(b"\x89PNG")
    pe, loss, growth, _ = (p.title for p in chart.panels)
    assert not chart.panels[3].drawn and "shiller_context is not built yet" in chart.panels[3].note
    assert pe == "Small caps 38% cheaper than the S&P 500"  # 15 / 24 - 1 = -37.5 %
    assert loss == "26% of the Russell 2000 loses money, rising (+6% in the window)"
    assert growth == "Small-cap earnings grow faster: +8% vs +5%"


def test_withheld_figures_are_shown_as_withheld_with_coverage(
    marts: duckdb.DuckDBPyConnection,
) -> None:
    marts.execute(
        "update marts.fund_valuation set pe = null, pe_ex_losses = null,"
        " loss_share_weight = null, earnings_growth = null, coverage = 0.31"
    )
    chart = _chart(marts)
    assert not any(p.drawn for p in chart.panels[:3])
    assert "IVV 31%, IWM 31%" in chart.panels[0].note and "withheld" in chart.panels[0].note


def test_a_database_without_the_marts_says_not_built() -> None:
    chart = _chart(duckdb.connect())
    assert [p.drawn for p in chart.panels] == [False, False, False, False]
    assert "is not built yet" in chart.panels[0].note


def test_the_long_run_panel_ranks_the_latest_cape(marts: duckdb.DuckDBPyConnection) -> None:
    marts.execute(
        "create table marts.shiller_context (month date, price double, earnings double, "
        "pe double, pe_percentile double, pe_months bigint, cape double, "
        "cape_percentile double, cape_months bigint)"
    )
    marts.execute(
        "insert into marts.shiller_context values "
        "('1999-12-01', 1, 1, 30, 0.99, 100, 44.2, 1.0, 100), "
        "('2025-11-01', 1, 1, 28.5, 0.9, 200, 39.0, 0.975, 200), "
        "('2025-12-01', 1, 1, null, null, null, 39.6, 0.98, 201)"
    )
    panel = _chart(marts).panels[3]
    assert panel.drawn
    assert panel.title == "Large caps dear: CAPE 39.6 tops 98% of months since 1881"
