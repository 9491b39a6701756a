"""The XBRL parsers on the real SEC files, the fact checks, the load and the refresh queue."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from quality.records import quarantine_rows
from quality.xbrl import validate_facts
from rotation.db import transaction
from sources.holdings import parse_holdings
from sources.xbrl import (
    XbrlFormatError,
    XbrlReplayClient,
    fetch_facts,
    load_company_tickers,
    load_facts,
    parse_company_tickers,
    parse_companyfacts,
    refresh_queue,
)

NAME = "companyfacts.CIK0001640147.json"
TODAY = dt.date(2026, 11, 29)


@pytest.fixture(scope="module")
def facts_body(shared_data: Path) -> bytes:
    return (shared_data / "fundamentals" / NAME).read_bytes()


def test_companyfacts_concepts_and_point_in_time_fields(facts_body: bytes) -> None:
    parsed = parse_companyfacts(facts_body, NAME)
    assert (parsed.cik, parsed.entity_name) == (1640147, "SNOWFLAKE INC.")
    counts = parsed.rows.groupby("concept").size().to_dict()
    assert counts == {
        "EarningsPerShareBasic": 52,
        "EarningsPerShareBasicAndDiluted": 9,
        "EarningsPerShareDiluted": 52,
        "EntityCommonStockSharesOutstanding": 18,
        "NetIncomeLoss": 61,
        "RevenueFromContractWithCustomerExcludingAssessedTax": 61,
    }
    assert parsed.problems.empty
    rows = parsed.rows
    fy = rows[
        (rows["concept"] == "NetIncomeLoss")
        & (rows["period_start"] == pd.Timestamp("2024-02-01"))
        & (rows["period_end"] == pd.Timestamp("2025-01-31"))
    ]
    assert list(fy["value"]) == [-1_285_640_000.0]
    assert list(fy["filed"].dt.date) == [dt.date(2025, 3, 21)]
    # the same period repeats in later filings with their own filing date
    q3 = rows[
        (rows["concept"] == "NetIncomeLoss") & (rows["period_start"] == pd.Timestamp("2023-08-01"))
    ]
    assert sorted(q3["filed"].dt.date) == [dt.date(2023, 12, 1), dt.date(2024, 11, 27)]
    shares = parsed.rows.query("metric == 'shares_outstanding'")
    assert shares["is_instant"].all() and (shares["period_start"] == shares["period_end"]).all()


def test_damaged_facts_are_problems_with_their_path(facts_body: bytes) -> None:
    payload = json.loads(facts_body)
    facts = payload["facts"]["us-gaap"]["NetIncomeLoss"]["units"]["USD"]
    facts[0] = {**facts[0], "val": "n/a"}
    facts.append({**facts[-1], "val": facts[-1]["val"] + 1})  # same filing, other value
    parsed = parse_companyfacts(json.dumps(payload), NAME)
    reasons = sorted(parsed.problems["reason"])
    assert len(reasons) == 3
    assert reasons[0].startswith(f"{NAME} facts.us-gaap.NetIncomeLoss.units.USD[")
    assert sum("USD[0]: unreadable fact" in r for r in reasons) == 1
    assert sum("has two different values in filing 0001640147-25-000110" in r for r in reasons) == 2
    with pytest.raises(XbrlFormatError, match="not JSON"):
        parse_companyfacts(b"<html>", NAME)
    with pytest.raises(XbrlFormatError, match="no 'facts' object"):
        parse_companyfacts(b'{"cik": 1, "facts": []}', NAME)
    with pytest.raises(XbrlFormatError, match="'cik' is missing or not a number"):
        parse_companyfacts(b'{"cik": "x", "facts": {}}', NAME)
    odd = b'{"cik": 1, "facts": {"us-gaap": {"NetIncomeLoss": {"units": {"USD": {}}}}}}'
    assert list(parse_companyfacts(odd, NAME).problems["reason"]) == [
        f"{NAME} facts.us-gaap.NetIncomeLoss.units.USD: expected a list of facts"
    ]


def test_fact_checks_quarantine_what_cannot_be_known_yet(facts_body: bytes) -> None:
    rows = parse_companyfacts(facts_body, NAME).rows
    rows.loc[0, "filed"] = rows.loc[0, "period_end"] - dt.timedelta(days=10)
    rows.loc[1, "filed"] = dt.datetime(2027, 1, 1)
    verdict = validate_facts(rows, today=TODAY)
    assert verdict.batch_ok and len(verdict.good) == len(rows) - 2
    reasons = list(verdict.quarantined["reason"])
    assert "after the filing that reports it" in reasons[0]
    assert "filing date is in the future" in reasons[1]


def test_company_tickers_keep_the_class_dash(shared_data: Path) -> None:
    body = (shared_data / "edgar" / "company_tickers.json").read_bytes()
    tickers = parse_company_tickers(body, "company_tickers.json").set_index("ticker")
    assert len(tickers) == 9610
    assert tickers.loc["BRK-B", "cik"] == 1067983
    assert tickers.loc["SNOW", "cik"] == 1640147


def test_refresh_queue_who_filed_who_is_new_and_the_sweep(
    con: duckdb.DuckDBPyConnection, shared_data: Path, facts_body: bytes, tmp_path: Path
) -> None:
    tickers = parse_company_tickers(
        (shared_data / "edgar" / "company_tickers.json").read_bytes(), "company_tickers.json"
    )
    load_company_tickers(con, tickers, source="t", run_id="t", fetched_at=dt.datetime(2026, 1, 1))
    ivv = parse_holdings(
        (shared_data / "holdings" / "IVV.2026-06-19.csv").read_bytes(), "IVV.csv", fund="IVV"
    )
    from sources.holdings import load_snapshot

    load_snapshot(con, ivv, ivv.rows, source="t", run_id="t", fetched_at=dt.datetime(2026, 6, 20))
    first = refresh_queue(con, funds=["IVV"], sweep=2, limit=3)
    nvda, aapl, msft = 1045810, 320193, 789019
    assert first == [nvda, aapl, msft]  # never fetched: heaviest first, under the limit
    # fetch them all on 2026-06-20 (recorded as fetched), then MSFT files a 10-Q
    fetched = con.execute(
        """select distinct t.cik from raw.holdings h join raw.sec_company_tickers t
           on h.ticker = t.ticker where h.is_equity order by t.cik"""
    ).fetchall()
    con.executemany(
        """insert into raw.xbrl_fetches values (?, 'loaded', '', 0, '', ?, 't')""",
        [(c, dt.datetime(2026, 6, 20) + dt.timedelta(seconds=i)) for i, (c,) in enumerate(fetched)],
    )
    con.execute(
        """insert into raw.edgar_filings values ('0000789019-26-000001', 789019, 'MICROSOFT',
           '10-Q', '2026-07-28', 'x', 'master.20260728.idx', 't', now(), now(), 't')"""
    )
    queue = refresh_queue(con, funds=["IVV"], sweep=2, limit=10)
    assert queue[0] == msft and len(queue) == 3  # the filer, then the 2 oldest fetched
    # then the sweep: the two fetched longest ago (MSFT is already in as a filer)
    assert queue[1:] == [c for (c,) in fetched if c != msft][:2]

    replay = tmp_path / "replay" / "xbrl"
    replay.mkdir(parents=True)
    (replay / NAME).write_bytes(facts_body)
    batch = fetch_facts(XbrlReplayClient(tmp_path / "replay"), [1640147, msft])
    assert [(c, s) for c, s, *_ in batch.fetches] == [(1640147, "loaded"), (msft, "no_xbrl")]
    verdict = validate_facts(batch.frame, today=TODAY)
    with transaction(con):
        quarantine_rows(
            con, run_id="t", source="xbrl", rows=verdict.quarantined, key_columns=["cik"]
        )
        written = load_facts(
            con, batch, verdict.good, run_id="t", fetched_at=dt.datetime(2026, 7, 29)
        )
    assert written == 253
    again = load_facts(con, batch, verdict.good, run_id="t", fetched_at=dt.datetime(2026, 7, 30))
    assert again == 253
    assert con.execute("select count(*) from raw.xbrl_facts").fetchone() == (253,)
    assert con.execute("select status from raw.xbrl_fetches where cik = ?", [msft]).fetchone() == (
        "no_xbrl",
    )
