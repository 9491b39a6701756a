"""Deal-flow models (EDGAR categories, deal_flow_daily/weekly/monthly, IPO calendar marts).

Rows in, rows out, on an in-memory DuckDB with the migrations applied; the models are built by
the project's runner (transforms.runner.build_models) from a folder holding only the models
under test, so other engineers' models cannot break these tests. Expected values are worked
out by hand in the comments, or with Python's statistics module as an independent oracle.
"""

from __future__ import annotations

import datetime as dt
import statistics
from pathlib import Path

import duckdb
import pytest

from transforms.runner import build_models

REPO = Path(__file__).resolve().parents[2]
EDGAR_MODELS = {
    "staging": [
        "dashboard_sessions", "edgar_form_categories", "edgar_filings",
    ],
    "marts": ["deal_flow_daily", "deal_flow_weekly", "deal_flow_monthly"],
}  # fmt: skip
IPO_MODELS = {"staging": ["dashboard_sessions"], "marts": ["ipo_calendar", "ipo_flow_daily"]}
FETCHED = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def build(con: duckdb.DuckDBPyConnection, tmp_path: Path, models: dict[str, list[str]]) -> None:
    """Build just ``models`` (symlinked from sql/) with the real runner."""
    sql_dir = tmp_path / "sql"
    for layer, names in models.items():
        (sql_dir / layer).mkdir(parents=True, exist_ok=True)
        for name in names:
            (sql_dir / layer / f"{name}.sql").symlink_to(REPO / "sql" / layer / f"{name}.sql")
    build_models(con, sql_dir)


def add_sessions(con: duckdb.DuckDBPyConnection, dates: list[dt.date]) -> None:
    con.executemany(
        "insert into raw.prices (symbol, date, close, adj_close, adj_close_received, adjustment,"
        " source, fetched_at, run_id) values ('IWM', ?, 1, 1, 1, 'raw', 'test', now(), 't')",
        [[d] for d in dates],
    )


def weekdays(start: dt.date, n: int) -> list[dt.date]:
    out, day = [], start
    while len(out) < n:
        if day.weekday() < 5:
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def add_filing(con, accession: str, cik: int, form: str, filed: dt.date) -> None:
    con.execute(
        "insert into raw.edgar_filings values (?, ?, 'X', ?, ?, 'f', 'i', 'test', ?, ?, 't')",
        [accession, cik, form, filed, FETCHED, FETCHED],
    )


def add_index(con, name: str, start: dt.date, end: dt.date, status: str = "loaded") -> None:
    con.execute(
        "insert into raw.edgar_index_files values (?, ?, ?, ?, 0, 'u', ?, 't')",
        [name, start, end, status, FETCHED],
    )


def test_categories_sessions_and_coverage(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    sessions = [dt.date(2020, 1, 6), dt.date(2020, 1, 7), dt.date(2020, 1, 8)]
    add_sessions(con, sessions)
    add_index(con, "master.2019QTR1.idx", dt.date(2019, 1, 1), dt.date(2019, 3, 31))
    add_index(con, "master.20200106.idx", dt.date(2020, 1, 6), dt.date(2020, 1, 6))
    add_index(con, "master.20200107.idx", dt.date(2020, 1, 7), dt.date(2020, 1, 7), "no_index")
    # 2020-01-08 was never read
    add_filing(con, "0000000001-20-000001", 1, "S-1", dt.date(2020, 1, 4))  # Saturday -> Mon
    add_filing(con, "0000000002-20-000001", 2, "425", dt.date(2020, 1, 6))  # listed twice:
    add_filing(con, "0000000002-20-000001", 3, "425", dt.date(2020, 1, 6))  # filer + subject
    add_filing(con, "0000000004-20-000001", 4, "X-1", dt.date(2020, 1, 6))  # unknown form
    add_filing(con, "0000000005-19-000001", 5, "10-K", dt.date(2019, 2, 1))
    add_filing(con, "0000000005-20-000001", 5, "424B4", dt.date(2020, 1, 6))  # follow-on
    add_filing(con, "0000000006-20-000001", 6, "424B4", dt.date(2020, 1, 6))  # likely IPO
    add_filing(con, "0000000007-20-000001", 7, "S-1", dt.date(2020, 1, 9))  # after last session
    build(con, tmp_path, EDGAR_MODELS)

    staged = dict(
        con.execute(
            "select accession || '/' || cik, [category, session_date::varchar, "
            "likely_ipo::varchar] from staging.edgar_filings"
        ).fetchall()
    )
    assert staged["0000000001-20-000001/1"] == ["ipo_pipeline", "2020-01-06", None]
    assert staged["0000000004-20-000001/4"] == ["other", "2020-01-06", None]
    assert staged["0000000005-20-000001/5"] == ["ipo_priced", "2020-01-06", "false"]
    assert staged["0000000006-20-000001/6"] == ["ipo_priced", "2020-01-06", "true"]
    assert staged["0000000007-20-000001/7"] == ["ipo_pipeline", None, None]
    assert staged["0000000005-19-000001/5"] == ["other", None, None]  # 11 months before

    daily = {
        (d.isoformat(), c): f
        for d, c, f in con.execute(
            "select date, category, filings from marts.deal_flow_daily"
        ).fetchall()
    }
    assert daily[("2020-01-06", "ipo_pipeline")] == 1
    assert daily[("2020-01-06", "mna")] == 1  # one 425, two listings
    assert daily[("2020-01-06", "ipo_priced")] == 2
    assert daily[("2020-01-06", "ipo_priced_likely_ipo")] == 1
    assert daily[("2020-01-06", "other")] == 1  # the X-1 (the 2019 10-K has no session)
    assert daily[("2020-01-06", "all")] == 5  # S-1, 425, X-1, 2 x 424B4
    assert daily[("2020-01-07", "mna")] == 0  # EDGAR closed that day: a real zero
    assert daily[("2020-01-08", "mna")] is None  # not read: unknown, not zero
    weekly = con.execute(
        "select filings, sessions_read, sessions from marts.deal_flow_weekly where category = 'mna'"
    ).fetchall()
    assert weekly == [(1, 2, 3)]


def test_rolling_30_against_trailing_252(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    # 283 sessions: one S-1 a session, two a session for the last 30.
    sessions = weekdays(dt.date(2019, 1, 1), 283)
    add_sessions(con, sessions)
    add_index(con, "all", sessions[0], sessions[-1])
    daily_counts = [1] * 253 + [2] * 30
    rows = []
    for i, (day, n) in enumerate(zip(sessions, daily_counts, strict=True)):
        rows += [[f"{i:010d}-19-{j:06d}", 100 + j, "S-1/A", day] for j in range(n)]
    con.executemany(
        "insert into raw.edgar_filings values "
        "(?, ?, 'X', ?, ?, 'f', 'i', 'test', now(), now(), 't')",
        rows,
    )
    build(con, tmp_path, EDGAR_MODELS)
    result = con.execute(
        "select filings_30, filings_30_avg_252, filings_30_ratio, filings_30_z "
        "from marts.deal_flow_daily where category = 'ipo_pipeline' order by date"
    ).fetchall()
    rolling = [sum(daily_counts[max(0, r - 29) : r + 1]) if r >= 29 else None for r in range(283)]
    assert [r[0] for r in result] == rolling
    # the baseline needs 252 earlier full windows: rows 29..280 feed row 281 (first non-null)
    assert all(r[1] is None for r in result[:281])
    baseline = rolling[30:282]  # the 252 values before the last row
    assert result[-1][0] == 60
    assert result[-1][1] == pytest.approx(statistics.fmean(baseline))  # 7995 / 252
    assert result[-1][1] == pytest.approx(7995 / 252)
    assert result[-1][2] == pytest.approx(60 / (7995 / 252))
    assert result[-1][3] == pytest.approx((60 - 7995 / 252) / statistics.stdev(baseline))


def test_ipo_flow_from_calendar(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    add_sessions(con, [dt.date(2024, 6, 28), dt.date(2024, 7, 31), dt.date(2025, 6, 30)])
    deals = [  # deal_id, status, rank, filed, priced, withdrawn, amount, month
        ("1-1", "priced", 4, dt.date(2024, 6, 7), dt.date(2024, 6, 28), None, 210e6, "2024-06"),
        ("1-2", "priced", 4, None, dt.date(2024, 6, 3), None, 10e6, "2024-06"),
        ("1-3", "filed", 1, dt.date(2024, 6, 20), None, None, 50e6, "2024-06"),
        ("1-4", "withdrawn", 3, dt.date(2024, 5, 17), None, dt.date(2024, 6, 14), 9e6, "2024-06"),
        ("1-5", "priced", 4, None, dt.date(2025, 6, 10), None, 100e6, "2025-06"),
    ]
    con.executemany(
        "insert into raw.nasdaq_ipos (deal_id, status, status_rank, company_name, filed_date, "
        "priced_date, withdrawn_date, offer_amount, calendar_month, source, first_fetched_at, "
        "fetched_at, run_id) values (?, ?, ?, 'C', ?, ?, ?, ?, ?, 't', now(), now(), 't')",
        deals,
    )
    build(con, tmp_path, IPO_MODELS)
    rows = con.execute(
        "select date, priced_30d, proceeds_30d, filed_30d, withdrawn_30d, proceeds_30d_ratio "
        "from marts.ipo_flow_daily order by date"
    ).fetchall()
    # 2024-06-28: priced 1-1 and 1-2 (220 M), filed 1-1 (06-07), 1-3, 1-4 (05-17 is > 30 days
    # back: 2024-06-28 - 30 = 05-29) -> 2; withdrawn 1-4; history starts 2024-06-01: no ratio
    assert rows[0] == (dt.date(2024, 6, 28), 2, 220e6, 2, 1, None)
    # 2024-07-31: window (07-01, 07-31]: nothing
    assert rows[1] == (dt.date(2024, 7, 31), 0, 0.0, 0, 0, None)
    # 2025-06-30: 1-5 in the window; trailing year (2024-06-30, 2025-06-30] holds only 1-5;
    # history reaches back a year: ratio = 100 / (100 x 30 / 365)
    assert rows[2][:5] == (dt.date(2025, 6, 30), 1, 100e6, 0, 0)
    assert rows[2][5] == pytest.approx(365 / 30)
    cal = con.execute(
        "select deal_id, event_date, proceeds, days_filed_to_priced from marts.ipo_calendar "
        "order by deal_id"
    ).fetchall()
    assert cal[0] == ("1-1", dt.date(2024, 6, 28), 210e6, 21)
    assert cal[3] == ("1-4", dt.date(2024, 6, 14), None, None)
