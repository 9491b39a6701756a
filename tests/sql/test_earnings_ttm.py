"""XBRL facts → marts.earnings_ttm, on the real Snowflake companyfacts file and by hand.

Snowflake's fiscal year ends 31 January and it never reports a fiscal Q4 alone. Expected
values are worked out by hand from the facts in the file (quoted in each test):

- 10-Q for Q3 FY2025 filed 2024-11-27: quarters Q1 FY25 (Feb-Apr 2024) -316,988,000,
  Q2 -316,899,000, Q3 -324,279,000; the Q4 FY24 is derived: FY2024 -836,097,000 minus nine
  months Feb-Oct 2023 -666,745,000 = -169,352,000. TTM = -1,127,518,000.
- 10-K for FY2025 filed 2025-03-21: Q4 FY25 = FY2025 -1,285,640,000 minus nine months
  -958,166,000 = -327,474,000; TTM = -1,285,640,000 (the fiscal year itself).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from rotation.db import migrate
from sources.xbrl import FACT_COLUMNS, XbrlBatch, load_facts, parse_companyfacts
from transforms import build_models

REPO = Path(__file__).resolve().parents[2]
SNOW = 1640147


def build(con: duckdb.DuckDBPyConnection, tmp: Path) -> None:
    target = tmp / "sql" / "marts" / "earnings_ttm.sql"
    target.parent.mkdir(parents=True)
    target.symlink_to(REPO / "sql" / "marts" / "earnings_ttm.sql")
    build_models(con, tmp / "sql")


def load(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> None:
    batch = XbrlBatch(rows, pd.DataFrame(), [(int(rows["cik"].iloc[0]), "loaded", "", 0, "")])
    load_facts(con, batch, rows, run_id="test", fetched_at=dt.datetime(2026, 1, 1))


@pytest.fixture(scope="module")
def snowflake(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[duckdb.DuckDBPyConnection]:
    name = "companyfacts.CIK0001640147.json"
    parsed = parse_companyfacts((shared_data / "fundamentals" / name).read_bytes(), name)
    con = duckdb.connect()
    migrate(con)
    load(con, parsed.rows)
    build(con, tmp_path_factory.mktemp("ttm"))
    yield con
    con.close()


def ttm_on(con: duckdb.DuckDBPyConnection, cik: int, day: str) -> dict:
    cursor = con.execute(
        """select * from marts.earnings_ttm
           where cik = ? and known_from <= ?::date
             and (known_until is null or ?::date < known_until)""",
        [cik, day, day],
    )
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    assert len(rows) <= 1
    return dict(zip(names, rows[0], strict=True)) if rows else {}


def test_the_day_before_and_the_day_of_a_10k(snowflake) -> None:
    before = ttm_on(snowflake, SNOW, "2025-03-20")
    assert before["net_income_ttm"] == -316_988_000 - 316_899_000 - 324_279_000 - 169_352_000
    assert before["net_income_end"] == dt.date(2024, 10, 31)
    assert before["uses_derived_q4"]
    on = ttm_on(snowflake, SNOW, "2025-03-21")
    assert on["net_income_ttm"] == -1_285_640_000  # Q4 FY25 derived: -327,474,000
    assert on["net_income_end"] == dt.date(2025, 1, 31)
    # the year before, on the same basis: FY2024 itself
    assert on["net_income_ttm_prev"] == -836_097_000


def test_the_day_before_and_the_day_of_a_10q(snowflake) -> None:
    before = ttm_on(snowflake, SNOW, "2025-05-29")
    on = ttm_on(snowflake, SNOW, "2025-05-30")
    assert before["net_income_ttm"] == -1_285_640_000
    # Q1 FY26 (-430,092,000) replaces Q1 FY25 (-316,988,000)
    assert on["net_income_ttm"] == -1_285_640_000 + 316_988_000 - 430_092_000
    assert on["revenue_ttm"] > before["revenue_ttm"] > 3e9
    assert ttm_on(snowflake, SNOW, "2020-01-01") == {}  # nothing filed yet: nothing known


def test_eps_prefers_diluted_and_falls_back_to_basic(snowflake) -> None:
    on = ttm_on(snowflake, SNOW, "2025-03-21")
    # Snowflake's diluted EPS equals basic (losses); FY2025 EPS -3.86 reported as such
    assert on["eps_ttm"] == pytest.approx(-3.86, abs=1e-9)


def _facts(rows: list[tuple[str, str, float, str, str]], cik: int = 1) -> pd.DataFrame:
    """(start, end, value, accession, filed) NetIncomeLoss facts from a 10-Q/10-K."""
    records = []
    for start, end, value, accession, filed in rows:
        days = (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days
        records.append(
            {
                "cik": cik, "metric": "net_income", "priority": 1, "taxonomy": "us-gaap",
                "concept": "NetIncomeLoss", "unit": "USD", "period_start": start,
                "period_end": end, "is_instant": False, "value": value,
                "accession": accession, "fiscal_year": 2024, "fiscal_period": "Q",
                "form": "10-K" if days > 300 else "10-Q", "filed": filed, "frame": None,
                "file": "hand",
            }
        )  # fmt: skip
    frame = pd.DataFrame(records, columns=FACT_COLUMNS)
    for column in ("period_start", "period_end", "filed"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[s]")
    return frame


def test_a_restatement_counts_only_from_its_own_filing_date(tmp_path: Path) -> None:
    con = duckdb.connect()
    migrate(con)
    load(
        con,
        _facts(
            [
                ("2023-01-01", "2023-03-31", 10.0, "a1", "2023-05-01"),
                ("2023-04-01", "2023-06-30", 20.0, "a2", "2023-08-01"),
                ("2023-07-01", "2023-09-30", 30.0, "a3", "2023-11-01"),
                ("2023-01-01", "2023-09-30", 60.0, "a3", "2023-11-01"),
                ("2023-01-01", "2023-12-31", 100.0, "a4", "2024-02-15"),  # Q4 = 100 - 60
                # an amended 10-K restates the year to 90 (so Q4 to 30) on 2024-03-10
                ("2023-01-01", "2023-12-31", 90.0, "a6", "2024-03-10"),
                # the 10-Q of 2024-05-01 restates Q1 2023 from 10 to 4 (a comparative)
                ("2023-01-01", "2023-03-31", 4.0, "a5", "2024-05-01"),
                ("2024-01-01", "2024-03-31", 50.0, "a5", "2024-05-01"),
            ]
        ),
    )
    build(con, tmp_path)
    assert ttm_on(con, 1, "2024-02-14")["net_income_ttm"] is None  # 3 quarters only
    assert ttm_on(con, 1, "2024-02-15")["net_income_ttm"] == 100.0
    assert ttm_on(con, 1, "2024-03-09")["net_income_ttm"] == 100.0  # before the amendment
    assert ttm_on(con, 1, "2024-03-10")["net_income_ttm"] == 90.0  # from its filing date
    on = ttm_on(con, 1, "2024-05-01")
    # Q2..Q4 2023 + Q1 2024 = 20 + 30 + 30 + 50; the restated Q1 2023 left the window
    assert on["net_income_ttm"] == 130.0
    assert on["net_income_ttm_prev"] is None  # the year before has only 1 quarter + gap
    con.close()
