"""The report on replayed real data: every chart present, drawn, and honest about gaps."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import duckdb
import pytest

from reporting import build_report, headline_chart_png, run_summary_markdown, write_report
from reporting.queries import Unavailable, run_query
from tests.reporting.real_db import AS_OF

CHARTS = (
    "headline", "ratios", "spread", "risk", "drawdowns", "deal_flow", "macro", "valuation",
    "breadth",
)  # fmt: skip
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _image(png: bytes):  # a PIL image
    from PIL import Image

    assert png.startswith(PNG_MAGIC)
    return Image.open(io.BytesIO(png)).convert("RGB")


def _colours(png: bytes) -> int:
    """Distinct colours: a blank or nearly blank image has a handful."""
    return len(_image(png).getcolors(maxcolors=1_000_000) or [])


def test_report_renders_every_chart_from_real_data(
    real_con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    page = write_report(real_con, AS_OF, tmp_path)

    assert page == tmp_path / "report-2025-09-26.html"
    text = page.read_text()
    for name in CHARTS:
        png = tmp_path / f"report-2025-09-26-{name}.png"
        assert png.exists(), name
        width, height = _image(png.read_bytes()).size
        assert width == 1000 and height >= 300, (name, width, height)
        if name not in ("valuation", "breadth"):  # no holdings or member prices in this replay
            assert _colours(png.read_bytes()) > 200, f"{name} looks blank"
        assert f'src="{png.name}"' in text
    assert "State of the rotation" in text
    assert "IWM/SPY" in text and "^RUT/^GSPC" in text
    # Real alert events (the stale-price rule fires on the intraday last bars) are listed.
    assert "Price data stale" in text
    assert not list(tmp_path.glob(".*.tmp")), "temporary files left behind"


def test_every_panel_with_real_data_is_drawn(real_con: duckdb.DuckDBPyConnection) -> None:
    report = build_report(real_con, AS_OF)

    assert report.session == AS_OF and report.notes == []
    assert [c.name for c in report.charts] == list(CHARTS)
    for name in ("headline", "spread", "risk", "drawdowns", "macro"):
        chart = report.chart(name)
        assert chart.complete, [(p.title, p.note) for p in chart.panels]
    ratios = {p.title.split(":")[0].split(" ")[0]: p for p in report.chart("ratios").panels}
    for pair in ("IWM/SPY", "IWM/IWB", "^RUT/^GSPC"):
        assert ratios[pair].drawn
    # No ^RUI history exists in the recorded data: the headline pair says so instead of failing.
    assert not ratios["^RUT/^RUI"].drawn
    assert "no ^RUI prices stored" in ratios["^RUT/^RUI"].note
    # IPO calendar months 2023-11 to 2024-07 are inside the two-year window; EDGAR (2020) is not.
    # No holdings are replayed here: the valuation panels say so (drawn: test_valuation_panel)
    *fund_panels, long_run = report.chart("valuation").panels
    assert all("no marts.fund_valuation" in p.note for p in fund_panels)
    assert "workbook not loaded" in long_run.note  # no shiller/ in this replay either
    edgar, ipo = report.chart("deal_flow").panels
    assert ipo.drawn and "Jul 2024" in ipo.title
    assert not edgar.drawn and "latest month read: Jan 2020" in edgar.note


def test_deal_flow_bars_when_edgar_was_read_in_the_window(
    real_con: duckdb.DuckDBPyConnection,
) -> None:
    report = build_report(real_con, dt.date(2020, 2, 3))

    edgar, _ = report.chart("deal_flow").panels
    assert edgar.drawn, edgar.note
    assert "Jan 2020" in edgar.title
    assert _colours(report.chart("deal_flow").png) > 200


def test_a_holiday_reports_the_session_before(real_con: duckdb.DuckDBPyConnection) -> None:
    report = build_report(real_con, dt.date(2025, 9, 1))  # Labor Day

    assert report.session == dt.date(2025, 8, 29)
    assert "2025-09-01" in report.notes[0] and "2025-08-29" in report.notes[0]


def test_headline_chart_png_for_the_email(real_con: duckdb.DuckDBPyConnection) -> None:
    png = headline_chart_png(real_con, None)

    width, height = _image(png).size
    assert (width, height) == (1000, 520)
    assert _colours(png) > 200


def test_missing_marts_and_columns_degrade_to_no_data_panels(
    real_build: dict, tmp_path: Path
) -> None:
    """A database of an earlier stage: price marts only, a macro mart without claims."""
    con = duckdb.connect()
    con.execute(f"attach '{real_build['db']}' as real (read_only)")
    con.execute("create schema marts")
    for table in ("relative_strength", "risk", "pair_risk"):
        con.execute(f"create table marts.{table} as select * from real.marts.{table}")
    con.execute(
        "create table marts.macro_daily as "
        "select date, hy_spread_bp, hy_spread_chg_3m_bp, hy_spread_date from real.marts.macro_daily"
    )
    con.execute("detach real")

    report = build_report(con, AS_OF)
    page = write_report(con, AS_OF, tmp_path)

    assert report.chart("ratios").panels[0].drawn
    hy, claims = report.chart("macro").panels
    assert hy.drawn
    assert not claims.drawn and "claims_4wk" in claims.note and "older build" in claims.note
    assert all("not built yet" in p.note for p in report.chart("valuation").panels)
    edgar, ipo = report.chart("deal_flow").panels
    assert not edgar.drawn and "deal_flow_monthly does not exist" in edgar.note
    assert not ipo.drawn and "ipo_calendar" in ipo.note
    assert isinstance(report.alerts, Unavailable)
    assert "No alerts table yet" in page.read_text()
    con.close()


def test_an_empty_database_still_gives_a_page(tmp_path: Path) -> None:
    con = duckdb.connect()

    page = write_report(con, None, tmp_path)

    text = page.read_text()
    assert "run `rotation run` first" in text
    assert len(list(tmp_path.glob("*.png"))) == len(CHARTS)
    con.close()


def test_a_broken_query_raises_instead_of_hiding_as_no_data(
    real_con: duckdb.DuckDBPyConnection,
) -> None:
    with pytest.raises(duckdb.InvalidInputException):
        run_query(real_con, "relative_strength", [AS_OF])  # needs two parameters


def test_run_summary_markdown_from_a_real_run(
    real_build: dict, real_con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    summary = real_build["summary"]
    report = tmp_path / "report-2025-09-26.html"

    text = run_summary_markdown(summary, real_con, report_path=report)

    assert text.startswith("# Rotation run for 2025-09-26: completed")
    assert "| prices |" in text
    # The 323 ^VIX null rows and the intraday last bars of the funds were quarantined.
    quarantined = summary["sources"][0]["quarantined"]
    assert quarantined >= 323 and "## Quarantined" in text
    assert "^VIX\\|" in text  # an example natural key, its pipe escaped for the table
    assert "**IWM/SPY**" in text and "200-avg" in text
    assert text.index("**IWM/SPY**") < text.index("**IWM/IWB**")  # headline pair first
    assert "Price data stale beyond its expected session" in text
    assert f"({report.resolve().as_uri()})" in text
    assert "## Damage contained" in text  # the replay has no ^RUI and IWC files
    for symbol in ("^RUI", "IWC"):
        assert f"- prices {symbol}: no file " in text


def test_run_summary_of_a_skipped_run_is_one_line(real_con: duckdb.DuckDBPyConnection) -> None:
    summary = {
        "status": "skipped",
        "as_of": "2025-09-27",
        "message": "2025-09-27 is not an NYSE session (weekend or holiday): nothing to do",
    }

    text = run_summary_markdown(summary, real_con)

    assert text.splitlines()[0] == "# Rotation run for 2025-09-27: skipped"
    assert "## " not in text
