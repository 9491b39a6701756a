"""marts.earnings_ttm on the real filings of Apple, Alphabet, Marvell, Snowflake and TSMC,
against an independent computation over the raw companyfacts JSON (pandas, not the SQL).

The oracle, for a day D: of each company's us-gaap ``EarningsPerShareDiluted`` and
``NetIncomeLoss`` facts from 10-K/10-Q filings filed on or before D, take for each period the
value of the latest filing; rescale an EPS value by the ratio of every split whose date lies
after its filing and on or before D (the real splits, typed in below: Apple 4-for-1 traded
from 2020-08-31, Alphabet 20-for-1 from 2022-07-18); quarters are the reported 3-month
periods, a fiscal Q4 the year minus the nine months when not reported; the TTM is the latest
four quarters when each starts the day after the previous one ends. Checked on the day before
and the day of every periodic filing from 2019 to 2026 and on the days around each split.

The vendor's split events are loaded as ``raw.prices.splits`` rows of the tickers, as the
member-price stage stores them (yfinance "Stock Splits").
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from rotation.db import migrate
from sources.xbrl import XbrlBatch, load_facts, parse_companyfacts
from transforms import build_models

REPO = Path(__file__).resolve().parents[2]
APPLE, ALPHABET, MARVELL, SNOWFLAKE, TSMC = 320193, 1652044, 1835632, 1640147, 1046179
NAMES = {
    APPLE: "Apple Inc.",
    ALPHABET: "ALPHABET INC.",
    MARVELL: "MARVELL TECHNOLOGY, INC",
    SNOWFLAKE: "SNOWFLAKE INC.",
    TSMC: "Taiwan Semiconductor Manufacturing Company Limited",
}
TICKERS = {"AAPL": APPLE, "GOOGL": ALPHABET, "GOOG": ALPHABET, "MRVL": MARVELL, "SNOW": SNOWFLAKE}
# (ticker, first session on the new basis, ratio) as the price vendor reports them
SPLITS = [("AAPL", "2020-08-31", 4.0), ("GOOGL", "2022-07-18", 20.0), ("GOOG", "2022-07-18", 20.0)]
SPLIT_DAYS = ["2020-08-28", "2020-08-31", "2020-10-29", "2022-07-15", "2022-07-18", "2022-07-26"]
PERIODIC = {"10-K", "10-Q", "10-K/A", "10-Q/A"}


def _facts_path(shared: Path, cik: int) -> Path:
    return shared / "fundamentals" / f"companyfacts.CIK{cik:010d}.json"


def build_marts(con: duckdb.DuckDBPyConnection, models: tuple[str, ...]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for model in models:
            target = Path(tmp) / "sql" / model
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(REPO / "sql" / model)
        build_models(con, Path(tmp) / "sql")


def load_company(con: duckdb.DuckDBPyConnection, shared: Path, cik: int) -> None:
    name = _facts_path(shared, cik).name
    parsed = parse_companyfacts(_facts_path(shared, cik).read_bytes(), name)
    assert parsed.entity_name == NAMES[cik]
    batch = XbrlBatch(parsed.rows, parsed.problems, [(cik, "loaded", parsed.entity_name, 0, "")])
    load_facts(con, batch, parsed.rows, run_id="test", fetched_at=dt.datetime(2026, 1, 1))


def load_vendor_splits(con: duckdb.DuckDBPyConnection) -> None:
    fetched = dt.datetime(2026, 1, 1)
    con.executemany(
        """insert into raw.sec_company_tickers (ticker, cik, title, source, fetched_at, run_id)
           values (?, ?, '', 'test', ?, 'test')""",
        [(t, c, fetched) for t, c in TICKERS.items()],
    )
    con.executemany(
        """insert into raw.prices (symbol, date, close, adj_close, adj_close_received,
               splits, adjustment, source, fetched_at, run_id)
           values (?, ?, 1, 1, 1, ?, 'raw', 'test', ?, 'test')""",
        [(t, d, r, fetched) for t, d, r in SPLITS],
    )


@pytest.fixture(scope="module")
def real(shared_data: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    migrate(con)
    for cik in NAMES:
        load_company(con, shared_data, cik)
    load_vendor_splits(con)
    build_marts(con, ("marts/earnings_ttm.sql",))
    yield con
    con.close()


def ttm_on(con: duckdb.DuckDBPyConnection, cik: int, day: dt.date) -> dict:
    cursor = con.execute(
        """select * from marts.earnings_ttm
           where cik = ? and known_from <= ? and (known_until is null or ? < known_until)""",
        [cik, day, day],
    )
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    assert len(rows) <= 1
    return dict(zip(names, rows[0], strict=True)) if rows else {}


# --- the independent computation -----------------------------------------------------------


def raw_facts(shared: Path, cik: int, concepts: tuple[str, ...], unit: str) -> pd.DataFrame:
    """The facts of the first of ``concepts`` each filing reports for a period."""
    payload = json.loads(_facts_path(shared, cik).read_text())
    frames = []
    for rank, concept in enumerate(concepts):
        if concept in payload["facts"]["us-gaap"]:
            frame = pd.DataFrame(payload["facts"]["us-gaap"][concept]["units"][unit])
            frames.append(frame.assign(rank=rank))
    frame = pd.concat(frames, ignore_index=True)
    frame = frame[frame["form"].isin(PERIODIC) & frame["start"].notna()].copy()
    for column in ("start", "end", "filed"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    frame = frame.sort_values(["filed", "start", "end", "rank"])
    return frame.drop_duplicates(["filed", "start", "end"], keep="first")


EPS_CONCEPTS = (
    "EarningsPerShareDiluted",
    "EarningsPerShareBasicAndDiluted",
    "EarningsPerShareBasic",
)
INCOME_CONCEPTS = ("NetIncomeLoss", "NetIncomeLossAvailableToCommonStockholdersBasic")


def vendor_ratio(cik: int, filed: dt.date, day: dt.date) -> float:
    ratio = 1.0
    for ticker, date, r in SPLITS:
        effective = dt.date.fromisoformat(date)
        if TICKERS[ticker] == cik and ticker != "GOOG" and filed < effective <= day:
            ratio *= r
    return ratio


def oracle_ttm(frame: pd.DataFrame, cik: int, day: dt.date, *, per_share: bool) -> float | None:
    known = frame[frame["filed"] <= day].sort_values("filed")
    latest = known.groupby(["start", "end"], as_index=False).last()
    if per_share:
        ratios = [vendor_ratio(cik, f, day) for f in latest["filed"]]
        latest["val"] = latest["val"] / ratios
    days = latest.apply(lambda r: (r["end"] - r["start"]).days + 1, axis=1)
    quarters = {(r.start, r.end): r.val for r in latest[(days >= 80) & (days <= 100)].itertuples()}
    years = latest[(days >= 350) & (days <= 380)]
    nines = latest[(days >= 260) & (days <= 290)]
    for year in years.itertuples():
        nine = nines[nines["start"] == year.start]
        if len(nine) == 1:
            q4 = (nine["end"].iloc[0] + dt.timedelta(days=1), year.end)
            if not any(end == year.end for _, end in quarters):
                quarters[q4] = year.val - nine["val"].iloc[0]
    chain = sorted(quarters, key=lambda p: p[1])[-4:]
    if len(chain) < 4:
        return None
    for (_, end), (start, _) in itertools.pairwise(chain):
        if start != end + dt.timedelta(days=1):
            return None
    return float(sum(quarters[p] for p in chain))


def check_days(shared: Path, cik: int) -> list[dt.date]:
    eps = raw_facts(shared, cik, EPS_CONCEPTS, "USD/shares")
    filed = sorted({f for f in eps["filed"] if dt.date(2019, 1, 1) <= f <= dt.date(2026, 12, 31)})
    days = {d for f in filed for d in (f - dt.timedelta(days=1), f)}
    days |= {dt.date.fromisoformat(d) for d in SPLIT_DAYS}
    return sorted(days)


@pytest.mark.parametrize("cik", [APPLE, ALPHABET, MARVELL, SNOWFLAKE])
def test_trailing_eps_and_net_income_equal_the_oracle_on_every_filing_day(
    real, shared_data: Path, cik: int
) -> None:
    eps = raw_facts(shared_data, cik, EPS_CONCEPTS, "USD/shares")
    income = raw_facts(shared_data, cik, INCOME_CONCEPTS, "USD")
    compared, withheld = 0, []
    for day in check_days(shared_data, cik):
        row = ttm_on(real, cik, day)
        expected_eps = oracle_ttm(eps, cik, day, per_share=True)
        expected_income = oracle_ttm(income, cik, day, per_share=False)
        got_income = row.get("net_income_ttm")
        if expected_income is None:
            assert got_income is None, f"{cik} {day}"
        else:
            assert got_income == pytest.approx(expected_income, rel=1e-12), f"{cik} {day}"
        got_eps = row.get("eps_ttm")
        if got_eps is None and expected_eps is not None:
            withheld.append((day, row.get("eps_withheld_reason")))
            continue
        if expected_eps is None:
            assert got_eps is None, f"{cik} {day}"
        else:
            assert got_eps == pytest.approx(expected_eps, abs=1e-9), f"{cik} {day}"
            compared += 1
    assert compared >= 20
    # Only Snowflake withholds, until its 10-K of 2022-03-30: its IPO (2020-09) took the
    # share count from ~100 M to ~290 M, so the FY2021 Q4 derived as year minus nine months
    # (-3.81 - -3.63 = -0.18, on the year's average share count) is not that quarter's EPS
    # (net income -199 M / ~290 M shares = -0.69): the sum would mix share bases
    for day, reason in withheld:
        assert cik == SNOWFLAKE and day < dt.date(2022, 3, 30), (day, reason)
        assert reason.startswith("share basis unclear"), reason


def test_the_splits_on_the_day_before_and_the_day_of(real) -> None:
    # Apple: 10-Q of 2020-07-31 (pre-split) EPS TTM 13.15; from 2020-08-31 it trades 4-for-1
    assert ttm_on(real, APPLE, dt.date(2020, 8, 28))["eps_ttm"] == pytest.approx(13.15)
    assert ttm_on(real, APPLE, dt.date(2020, 8, 31))["eps_ttm"] == pytest.approx(13.15 / 4)
    # the 10-K of 2020-10-30 restates every quarter: 1.25 + 0.64 + 0.65 + 0.73
    assert ttm_on(real, APPLE, dt.date(2020, 10, 30))["eps_ttm"] == pytest.approx(3.27)
    # Alphabet: 110.54 on 2022-07-15; 5.527 from 2022-07-18; the 10-Q of 2022-07-27 brings
    # Q2 2022 (1.21) on the new basis while Q3 2021 (27.99), Q4 2021 (derived: 112.20 - 81.53
    # = 30.67) and Q1 2022 (24.62) are still as filed before the split: each divided by 20
    assert ttm_on(real, ALPHABET, dt.date(2022, 7, 15))["eps_ttm"] == pytest.approx(110.54)
    assert ttm_on(real, ALPHABET, dt.date(2022, 7, 18))["eps_ttm"] == pytest.approx(5.527)
    on = ttm_on(real, ALPHABET, dt.date(2022, 7, 27))
    assert on["eps_ttm"] == pytest.approx((27.99 + 30.67 + 24.62) / 20 + 1.21)
    # growth compares like with like: the year before, also on the new basis
    assert on["eps_ttm_prev"] == pytest.approx(on["eps_ttm"] / 1.03, rel=0.5)


def test_the_filings_alone_reveal_a_split(shared_data: Path) -> None:
    """Without the vendor's events the first filing that restates a comparative dates it."""
    con = duckdb.connect()
    migrate(con)
    load_company(con, shared_data, ALPHABET)
    build_marts(con, ("marts/earnings_ttm.sql",))
    # before the first post-split filing nothing tells the filings apart: pre-split basis
    assert ttm_on(con, ALPHABET, dt.date(2022, 7, 26))["eps_ttm"] == pytest.approx(110.54)
    # the 10-Q of 2022-07-27 restates Q2 2021 (27.26 -> 1.36): ratio 20 from that day
    on = ttm_on(con, ALPHABET, dt.date(2022, 7, 27))
    assert on["eps_ttm"] == pytest.approx((27.99 + 30.67 + 24.62) / 20 + 1.21)
    # until Q1 2022 is itself restated (10-Q of 2023-04-25/26) it stays rescaled
    assert ttm_on(con, ALPHABET, dt.date(2023, 2, 3))["eps_ttm"] < 10
    con.close()


def test_tsmc_is_withheld_with_its_reason_never_a_number(real) -> None:
    rows = real.execute(
        """select eps_ttm, net_income_ttm, revenue_ttm, eps_withheld_reason,
                  net_income_withheld_reason
           from marts.earnings_ttm where cik = ?""",
        [TSMC],
    ).fetchall()
    assert len(rows) >= 8  # one per 20-F, 2018-2025
    for eps, income, revenue, eps_reason, income_reason in rows:
        assert (eps, income, revenue) == (None, None, None)
        assert eps_reason.startswith("IFRS filer (ifrs-full in TWD/shares, USD/shares")
        assert income_reason.startswith("IFRS filer (ifrs-full in TWD, USD")
