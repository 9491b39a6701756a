"""The per-company incremental build of marts.earnings_ttm equals a full build, exactly.

Each case starts from a database a full build made (so the per-company fingerprints are
recorded) on the real filings of Apple, Alphabet, Marvell and Snowflake (../shared/data),
changes what a run would change (a new filing, a restated fact, a split event from the price
vendor, a re-mapped ticker, a new and a removed company), runs
``build_models(..., incremental=True)``, snapshots the mart, forces a full build on the same
inputs and compares every column of every row exactly (``except all`` both ways). The plan
is checked too (an incremental case that silently fell back to a full build would prove
nothing), and so is that the change moved the mart (a write-back that did nothing would fail).

The connections run DuckDB on one thread: the model's sums over a parallel aggregate add a
group's values in an order that can vary from one build to the next, so two *full* builds on
two threads can differ in the last bit of a double (benchmarks/fundamentals_marts.py
``--refresh`` counts it: a row or two in 171,000, never beyond 1e-12). On one thread both
builds are deterministic and the comparison can be exact.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from rotation.db import migrate
from sources.xbrl import XbrlBatch, load_facts, parse_companyfacts
from transforms import build_models

APPLE, ALPHABET, MARVELL, SNOWFLAKE, TSMC = 320193, 1652044, 1835632, 1640147, 1046179
TICKERS = {"AAPL": APPLE, "GOOGL": ALPHABET, "GOOG": ALPHABET, "MRVL": MARVELL, "SNOW": SNOWFLAKE}
VENDOR_SPLITS = [
    ("AAPL", "2020-08-31", 4.0),
    ("GOOGL", "2022-07-18", 20.0),
    ("GOOG", "2022-07-18", 20.0),
]
SNOWFLAKE_LAST_FILING = dt.date(2025, 5, 30)  # held back from the base: the "new filing"
FETCHED = dt.datetime(2026, 1, 1)
REPO = Path(__file__).resolve().parents[2]


def _facts(shared: Path, cik: int) -> pd.DataFrame:
    name = f"companyfacts.CIK{cik:010d}.json"
    return parse_companyfacts((shared / "fundamentals" / name).read_bytes(), name).rows


def _load(con: duckdb.DuckDBPyConnection, cik: int, rows: pd.DataFrame) -> None:
    batch = XbrlBatch(rows, pd.DataFrame(), [(cik, "loaded", "", 0, "")])
    load_facts(con, batch, rows, run_id="test", fetched_at=FETCHED)


def _split(con: duckdb.DuckDBPyConnection, ticker: str, day: str, ratio: float) -> None:
    con.execute(
        """insert into raw.prices (symbol, date, close, adj_close, adj_close_received,
               splits, adjustment, source, fetched_at, run_id)
           values (?, ?, 1, 1, 1, ?, 'raw', 'test', ?, 'test')""",
        [ticker, day, ratio, FETCHED],
    )


def _snapshot(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute(f"create or replace temp table {name} as from marts.earnings_ttm")


def _differing(con: duckdb.DuckDBPyConnection, a: str, b: str) -> int:
    """Rows in one table and not the other, every column compared exactly (NULLs equal)."""
    row = con.execute(
        f"select (select count(*) from (from {a} except all from {b})) "
        f"+ (select count(*) from (from {b} except all from {a}))"
    ).fetchone()
    assert row is not None
    return int(row[0])


def _incremental_equals_full(con: duckdb.DuckDBPyConnection) -> str:
    """Incremental build, snapshot, forced full build, compare exactly; returns the plan."""
    _snapshot(con, "before")
    report = build_models(con, incremental=True)
    assert report.kept, report.line()
    _snapshot(con, "incremental")
    full = build_models(con)
    assert full.kept and full.earnings_plan == "earnings_ttm full build: requested"
    _snapshot(con, "after_full")
    assert con.execute("select count(*) from after_full").fetchone()[0] > 100
    assert _differing(con, "incremental", "after_full") == 0, report.earnings_plan
    return report.earnings_plan


def _moved(con: duckdb.DuckDBPyConnection, cik: int) -> int:
    """Rows of ``cik`` that differ between the mart before the change and after."""
    row = con.execute(
        "select (select count(*) from (from before where cik = $c except all "
        "from after_full where cik = $c)) + (select count(*) from (from after_full where cik = $c "
        "except all from before where cik = $c))",
        {"c": cik},
    ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture(scope="module")
def base(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four companies built in full: Snowflake without its last filing, Apple without the
    vendor's split event (its filings still reveal it), the tickers of all four."""
    path = tmp_path_factory.mktemp("incremental-earnings") / "base.duckdb"
    con = duckdb.connect(str(path), config={"threads": 1})
    migrate(con)
    for cik in (APPLE, ALPHABET, MARVELL):
        _load(con, cik, _facts(shared_data, cik))
    snow = _facts(shared_data, SNOWFLAKE)
    _load(con, SNOWFLAKE, snow[snow["filed"] < pd.Timestamp(SNOWFLAKE_LAST_FILING)])
    con.executemany(
        """insert into raw.sec_company_tickers (ticker, cik, title, source, fetched_at, run_id)
           values (?, ?, '', 'test', ?, 'test')""",
        [(t, c, FETCHED) for t, c in TICKERS.items()],
    )
    for ticker, day, ratio in VENDOR_SPLITS[1:]:
        _split(con, ticker, day, ratio)
    report = build_models(con)
    assert report.kept and report.earnings_plan == "earnings_ttm full build: requested"
    con.execute("checkpoint")
    con.close()
    return path


@pytest.fixture
def case(base: Path, shared_data: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    copy = tmp_path / "case.duckdb"
    shutil.copyfile(base, copy)
    con = duckdb.connect(str(copy), config={"threads": 1})
    yield con
    con.close()


def _new_snowflake_filing(con: duckdb.DuckDBPyConnection, shared: Path) -> None:
    snow = _facts(shared, SNOWFLAKE)
    _load(con, SNOWFLAKE, snow[snow["filed"] >= pd.Timestamp(SNOWFLAKE_LAST_FILING)])


def _restate_marvell(con: duckdb.DuckDBPyConnection) -> None:
    """A re-fetch that brings a corrected value of a reported quarter (the upsert rewrites
    ``value``): net income of one quarter, as filed in the latest filing that reports it."""
    con.execute(
        """update raw.xbrl_facts set value = value * 1.25
           where cik = ? and metric = 'net_income' and concept = 'NetIncomeLoss'
             and datediff('day', period_start, period_end) between 80 and 100
             and filed = (select max(filed) from raw.xbrl_facts where cik = ?
                          and metric = 'net_income' and form = '10-Q')""",
        [MARVELL, MARVELL],
    )


def test_nothing_changed_keeps_the_mart(case) -> None:
    plan = _incremental_equals_full(case)
    assert plan == "earnings_ttm incremental: no company's facts changed since the last build"


def test_a_refetch_with_the_same_facts_changes_nothing(case, shared_data: Path) -> None:
    """The upsert rewrites file, source, fetched_at and run_id: no fact changed."""
    _load(case, APPLE, _facts(shared_data, APPLE).assign(file="refetched.json"))
    plan = _incremental_equals_full(case)
    assert plan == "earnings_ttm incremental: no company's facts changed since the last build"


def test_a_new_filing(case, shared_data: Path) -> None:
    _new_snowflake_filing(case, shared_data)
    plan = _incremental_equals_full(case)
    assert plan.startswith("earnings_ttm incremental: 1 company(ies) recomputed (0 new, 0 gone)")
    assert _moved(case, SNOWFLAKE) > 0


def test_a_restatement(case) -> None:
    _restate_marvell(case)
    plan = _incremental_equals_full(case)
    assert plan.startswith("earnings_ttm incremental: 1 company(ies) recomputed"), plan
    assert _moved(case, MARVELL) > 0


def test_a_vendor_split_event(case) -> None:
    """Apple's 4-for-1 from the vendor: from 2020-08-31, not from the first filing that
    restates a comparative."""
    _split(case, *VENDOR_SPLITS[0])
    plan = _incremental_equals_full(case)
    assert plan.startswith("earnings_ttm incremental: 1 company(ies) recomputed"), plan
    assert _moved(case, APPLE) > 0


def test_a_ticker_moved_to_another_company(case) -> None:
    """GOOG re-mapped from Alphabet to Marvell: both companies' split events change."""
    case.execute("update raw.sec_company_tickers set cik = ? where ticker = 'GOOG'", [MARVELL])
    plan = _incremental_equals_full(case)
    assert plan.startswith("earnings_ttm incremental: 2 company(ies) recomputed"), plan
    assert _moved(case, MARVELL) > 0


def test_everything_at_once(case, shared_data: Path) -> None:
    """A new filing, a restatement, a split, a new company and a removed one."""
    _new_snowflake_filing(case, shared_data)
    _restate_marvell(case)
    _split(case, *VENDOR_SPLITS[0])
    _load(case, TSMC, _facts(shared_data, TSMC))
    case.execute("delete from raw.xbrl_facts where cik = ?", [ALPHABET])
    case.execute("delete from raw.prices where symbol in ('GOOG', 'GOOGL')")
    plan = _incremental_equals_full(case)
    assert plan.startswith("earnings_ttm incremental: 5 company(ies) recomputed (1 new, 1 gone)")
    for cik in (SNOWFLAKE, MARVELL, APPLE, TSMC, ALPHABET):
        assert _moved(case, cik) > 0, cik


def test_a_changed_model_forces_a_full_build(case, shared_data: Path) -> None:
    _new_snowflake_filing(case, shared_data)
    case.execute("update ops.earnings_build_state set value = 'x' where key = 'model_sha256'")
    plan = _incremental_equals_full(case)
    assert plan == "earnings_ttm full build: the model's SQL changed since the last build"


def test_too_much_to_recompute_in_memory_is_a_full_build(
    case, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from transforms import incremental_earnings

    monkeypatch.setattr(incremental_earnings, "SCRATCH_FACTS_LIMIT", 100)
    _new_snowflake_filing(case, shared_data)
    plan = _incremental_equals_full(case)
    assert plan.startswith("earnings_ttm full build: 1 companies with "), plan
    assert plan.endswith(
        "fact rows to recompute, more than the in-memory scratch build takes (100)"
    )


def test_a_rolled_back_build_keeps_the_previous_fingerprints(
    case, shared_data: Path, tmp_path: Path
) -> None:
    """Nothing of a failed build is recorded: the next one still sees Snowflake as changed."""
    from transforms import ModelBuildError

    _new_snowflake_filing(case, shared_data)
    sql_dir = tmp_path / "sql"
    (sql_dir / "marts").mkdir(parents=True)
    (sql_dir / "marts" / "earnings_ttm.sql").symlink_to(REPO / "sql/marts/earnings_ttm.sql")
    (sql_dir / "marts" / "broken.sql").write_text("select error('boom') from marts.earnings_ttm\n")
    with pytest.raises(ModelBuildError):
        build_models(case, sql_dir, incremental=True)
    plan = _incremental_equals_full(case)
    assert plan.startswith("earnings_ttm incremental: 1 company(ies) recomputed"), plan
    assert _moved(case, SNOWFLAKE) > 0


def test_a_held_company_is_recomputed_by_the_next_build(
    case, shared_data: Path, tmp_path: Path
) -> None:
    """A blocking audit that pins its damage on Snowflake (``-- subject: cik``) holds its rows
    at the previous build and forgets its fingerprint (transforms.isolation): the next
    incremental build recomputes it and equals a full one."""
    _new_snowflake_filing(case, shared_data)
    sql_dir = tmp_path / "sql"
    (sql_dir / "marts").mkdir(parents=True)
    (sql_dir / "audits").mkdir()
    (sql_dir / "marts" / "earnings_ttm.sql").symlink_to(REPO / "sql/marts/earnings_ttm.sql")
    (sql_dir / "audits" / "no_version_on_2025_05_30.sql").write_text(
        "-- audits.no_version_on_2025_05_30: a test's damage, pinned on one company\n"
        "-- severity: blocking\n-- subject: cik\n"
        "select cik, known_from from marts.earnings_ttm\n"
        f"where cik = {SNOWFLAKE} and known_from = date '2025-05-30'\n"
    )
    report = build_models(case, sql_dir, incremental=True)
    assert report.kept and report.held_subjects == {"cik": [str(SNOWFLAKE)]}, report.line()
    assert report.earnings_plan.startswith("earnings_ttm incremental: 1 company(ies)")
    new_rows = (
        f"select count(*) from marts.earnings_ttm where cik = {SNOWFLAKE} "
        "and known_from = date '2025-05-30'"
    )
    assert case.execute(new_rows).fetchone() == (0,)
    plan = _incremental_equals_full(case)  # the project's audits: nothing holds Snowflake
    assert plan.startswith("earnings_ttm incremental: 1 company(ies) recomputed"), plan
    assert case.execute(new_rows).fetchone() == (1,)
