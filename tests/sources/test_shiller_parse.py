"""Shiller's ie_data.xls: the real workbook, checked against the CSV derived from it, ranked."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipeline.clients import Clients
from pipeline.fundamentals import load_shiller
from rotation.settings import Settings
from sources.shiller import (
    ShillerFormatError,
    ShillerReplayClient,
    decimal_month,
    fetch,
    parse_ie_data,
)
from transforms import build_models

REPO = Path(__file__).resolve().parents[2]
NAME = "shiller-ie_data.2026-05.xls"


@pytest.fixture(scope="module")
def workbook(shared_data: Path) -> bytes:
    return (shared_data / "fundamentals" / NAME).read_bytes()


def test_the_real_workbook_agrees_with_the_csv_derived_from_it(
    workbook: bytes, shared_data: Path
) -> None:
    parsed = parse_ie_data(workbook, NAME)
    rows = parsed.rows
    assert parsed.problems.empty and len(rows) == 1865  # 1871-01 → 2026-05, every month once
    assert (rows["month"].min(), rows["month"].max()) == (dt.date(1871, 1, 1), dt.date(2026, 5, 1))
    assert rows["month"].is_unique
    assert rows.loc[rows["earnings"].notna(), "month"].max() == dt.date(2026, 3, 1)
    assert rows["cape"].first_valid_index() == 120  # 'NA' for the first ten years
    derived = pd.read_csv(shared_data / "fundamentals" / "shiller-cape.2026-05.csv")
    derived["month"] = pd.to_datetime(derived["date"]).dt.date
    both = rows.merge(derived, on="month", suffixes=("", "_csv"))
    assert len(both) == 1745  # the CSV's months, 1881-01 → 2026-05
    assert (both["cape"] - both["cape_csv"]).abs().max() < 1e-9
    assert (both["tr_cape"] - both["tr_cape_csv"]).abs().max() < 1e-9
    october = rows.set_index("month").loc[dt.date(1871, 10, 1)]
    assert october["price"] == 4.59  # the cell reads 1871.1, not January


def test_decimal_months() -> None:
    assert decimal_month(1871.01) == dt.date(1871, 1, 1)
    assert decimal_month(1871.1) == dt.date(1871, 10, 1)
    assert decimal_month(2026.12) == dt.date(2026, 12, 1)
    with pytest.raises(ValueError, match=r"not a YYYY\.MM month"):
        decimal_month(2026.13)


def test_a_damaged_workbook_is_one_line(workbook: bytes) -> None:
    with pytest.raises(ShillerFormatError, match=r"^cut\.xls: ") as info:
        parse_ie_data(workbook[:200_000], "cut.xls")
    assert "\n" not in str(info.value)
    with pytest.raises(ShillerFormatError, match=r"not Shiller's workbook|unreadable"):
        parse_ie_data(b"Date,P\n1871.01,4.44\n", "csv.xls")


def test_loaded_and_ranked_in_its_own_history(
    shared_data: Path, tmp_path: Path, db_path: Path
) -> None:
    replay = tmp_path / "replay"
    (replay / "shiller").mkdir(parents=True)
    (replay / "shiller" / NAME).symlink_to(shared_data / "fundamentals" / NAME)
    assert fetch(ShillerReplayClient(replay), dt.date(2026, 4, 30)).parsed is None  # not yet out
    report = load_shiller(
        str(db_path), Settings(), Clients.replay(replay), dt.date(2026, 6, 1), run_id="r"
    )
    assert report.loaded == 1865 and not report.blocked and report.quarantined == 0
    off = dataclasses.replace(
        Settings(), valuation=dataclasses.replace(Settings().valuation, shiller_enabled=False)
    )
    assert load_shiller(
        str(db_path), off, Clients.replay(replay), dt.date(2026, 6, 1), run_id="r"
    ).skipped
    sql_dir = tmp_path / "sql" / "marts"
    sql_dir.mkdir(parents=True)
    (sql_dir / "shiller_context.sql").symlink_to(REPO / "sql/marts/shiller_context.sql")
    with duckdb.connect(str(db_path)) as con:
        build_models(con, tmp_path / "sql")
        frame = con.execute("select * from marts.shiller_context order by month").df()
    # oracle: the expanding share of months at or below each month's value, in pandas
    cape = frame.dropna(subset=["cape"])
    oracle = [(cape["cape"].iloc[: i + 1] <= v).mean() for i, v in enumerate(cape["cape"])]
    assert cape["cape_percentile"].tolist() == pytest.approx(oracle)
    last = frame.iloc[-1]
    assert last["month"].date() == dt.date(2026, 5, 1) and pd.isna(last["pe"])
    assert last["cape"] == pytest.approx(39.5835, abs=1e-4)
    assert last["cape_percentile"] == pytest.approx(oracle[-1])
    pe = frame.dropna(subset=["pe"]).iloc[-1]  # March 2026: 6654.42 / 277.10
    assert pe["month"].date() == dt.date(2026, 3, 1)
    assert pe["pe"] == pytest.approx(6654.419 / 277.1, rel=1e-6)


def test_status_shows_where_the_sp500_sits(
    shared_data: Path, tmp_path: Path, db_path: Path
) -> None:
    import io

    from rich.console import Console

    from cli.status import collect_status, render_status

    replay = tmp_path / "replay"
    (replay / "shiller").mkdir(parents=True)
    (replay / "shiller" / NAME).symlink_to(shared_data / "fundamentals" / NAME)
    load_shiller(str(db_path), Settings(), Clients.replay(replay), dt.date(2026, 6, 1), run_id="r")
    (tmp_path / "sql" / "marts").mkdir(parents=True)
    (tmp_path / "sql/marts/shiller_context.sql").symlink_to(REPO / "sql/marts/shiller_context.sql")
    with duckdb.connect(str(db_path)) as con:
        build_models(con, tmp_path / "sql")
    with duckdb.connect(str(db_path), read_only=True) as con:
        status = collect_status(con, dt.date(2026, 4, 15))  # April's CAPE, March's P/E
    shiller = status["large_cap_context"]
    assert (shiller["pe_month"], shiller["cape_month"]) == ("2026-03-01", "2026-04-01")
    assert shiller["cape"] == pytest.approx(38.1426, abs=1e-4)
    out = io.StringIO()
    render_status(status, Console(file=out, width=200))
    assert "S&P 500 in its own history" in out.getvalue() and "2026-04" in out.getvalue()
    assert any(s["source"] == "shiller" and s["latest_data"] for s in status["sources"])
