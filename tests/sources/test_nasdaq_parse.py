"""Nasdaq IPO calendar parser, replay twin, row checks and load, on the recorded responses."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from quality.nasdaq import nasdaq_row_problems
from sources.nasdaq import (
    NasdaqReplayClient,
    NasdaqShapeError,
    fetch,
    load_nasdaq,
    months_ending,
    parse_calendar,
)

FETCHED_AT = dt.datetime(2024, 7, 2, 22, 0, tzinfo=dt.UTC)


@pytest.fixture
def nasdaq_dir(shared_data: Path) -> Path:
    return shared_data / "nasdaq"


@pytest.fixture
def replay_root(tmp_path: Path, nasdaq_dir: Path) -> Path:
    folder = tmp_path / "replay" / "nasdaq"
    folder.mkdir(parents=True)
    for path in nasdaq_dir.glob("nasdaq_ipo_calendar_*.json"):
        (folder / path.name).symlink_to(path)
    return folder.parent


def parse(nasdaq_dir: Path, month: str):
    path = nasdaq_dir / f"nasdaq_ipo_calendar_{month}.json"
    return parse_calendar(path.read_bytes(), path.name, month)


def test_june_2024_sections_and_values(nasdaq_dir: Path) -> None:
    parsed = parse(nasdaq_dir, "2024-06")
    assert parsed.problems.empty
    counts = parsed.rows["status"].value_counts().to_dict()
    assert counts == {"filed": 40, "priced": 19, "withdrawn": 8}  # per the data README
    alumis = parsed.rows[
        (parsed.rows.deal_id == "1147940-110414") & (parsed.rows.status == "priced")
    ]
    alumis = alumis.iloc[0]
    assert alumis["ticker"] == "ALMS"
    assert alumis["offer_amount"] == 210_000_000.0  # "$210,000,000"
    assert alumis["shares"] == 13_125_000  # "13,125,000"
    assert (alumis["price_low"], alumis["price_high"]) == (16.0, 16.0)
    assert alumis["priced_date"] == dt.date(2024, 6, 28)  # "6/28/2024"
    unique = parsed.rows[parsed.rows.deal_id != "1147940-110414"]
    telix = unique.set_index("deal_id").loc["1296670-110170"]
    assert telix["status"] == "withdrawn"
    assert (telix["filed_date"], telix["withdrawn_date"]) == (
        dt.date(2024, 5, 17),
        dt.date(2024, 6, 14),
    )
    f3 = unique.set_index("deal_id").loc["1261660-106876"]
    assert pd.isna(f3["shares"])  # "" -> missing
    assert nasdaq_row_problems(parsed.rows, today=dt.date(2024, 7, 2)).eq("").all()


def test_upcoming_price_ranges_and_null_sections(nasdaq_dir: Path) -> None:
    parsed = parse(nasdaq_dir, "2024-07")
    assert parsed.rows["status"].tolist() == ["upcoming"] * 5  # priced/filed rows are null
    by_id = parsed.rows.set_index("deal_id")
    assert (
        by_id.loc["1288643-109349", "price_low"],
        by_id.loc["1288643-109349", "price_high"],
    ) == (4.0, 6.0)
    zena = by_id.loc["1274889-108992"]
    assert pd.isna(zena["price_text"]) and pd.isna(zena["price_low"])  # null price
    assert zena["expected_date"] == dt.date(2024, 7, 16)


def test_shape_change_of_one_deal_is_quarantined(nasdaq_dir: Path) -> None:
    doc = json.loads((nasdaq_dir / "nasdaq_ipo_calendar_2024-06.json").read_text())
    del doc["data"]["priced"]["rows"][1]["dealID"]
    doc["data"]["filed"]["rows"][0]["dollarValueOfSharesOffered"] = "about $100 million"
    parsed = parse_calendar(json.dumps(doc), "nasdaq_ipo_calendar_2024-06.json", "2024-06")
    assert len(parsed.rows) == 67 - 2
    assert parsed.problems["reason"].tolist() == [
        "nasdaq_ipo_calendar_2024-06.json data.filed.rows[0]: "
        "dollarValueOfSharesOffered='about $100 million' is not valid",
        "nasdaq_ipo_calendar_2024-06.json data.priced.rows[1]: 'deal has no dealID'",
    ]
    assert parsed.problems["natural_key"].iloc[0] == "1121961-110637"


def test_whole_shape_change_raises_and_fetch_goes_on(tmp_path: Path, nasdaq_dir: Path) -> None:
    with pytest.raises(NasdaqShapeError, match="no calendar sections"):
        parse_calendar(b'{"data": null, "message": "moved"}', "x.json", "2024-08")
    folder = tmp_path / "r" / "nasdaq"
    folder.mkdir(parents=True)
    (folder / "nasdaq_ipo_calendar_2024-06.json").symlink_to(
        nasdaq_dir / "nasdaq_ipo_calendar_2024-06.json"
    )
    (folder / "nasdaq_ipo_calendar_2024-07.json").write_text('{"rows": []}')
    batch = fetch(NasdaqReplayClient(folder.parent), ["2024-06", "2024-07", "2024-08"])
    assert batch.available and batch.months_ok == ["2024-06"]
    assert set(batch.months_failed) == {"2024-07", "2024-08"}
    assert "no calendar sections" in batch.months_failed["2024-07"]
    assert len(batch.frame) == 66  # 67 listings, Alumis is listed as filed and as priced


def test_deal_filed_and_priced_in_one_month_is_one_deal(replay_root: Path) -> None:
    batch = fetch(NasdaqReplayClient(replay_root), ["2024-06"])
    alumis = batch.frame[batch.frame.deal_id == "1147940-110414"]
    assert len(alumis) == 1
    row = alumis.iloc[0]
    assert row["status"] == "priced"
    assert (row["filed_date"], row["priced_date"]) == (dt.date(2024, 6, 7), dt.date(2024, 6, 28))


def test_nothing_available_is_said(tmp_path: Path) -> None:
    (tmp_path / "r" / "nasdaq").mkdir(parents=True)
    batch = fetch(NasdaqReplayClient(tmp_path / "r"), ["2024-06"])
    assert not batch.available and batch.frame.empty
    assert batch.messages[-1].startswith("Nasdaq IPO calendar unavailable this run")


def test_deal_moving_from_upcoming_to_priced_is_one_deal(
    replay_root: Path, con: duckdb.DuckDBPyConnection
) -> None:
    # Shimmick (1272768-107885) is "upcoming" in 2023-11; we fake its later pricing by
    # loading a copy of that row as priced, then re-reading the old month.
    client = NasdaqReplayClient(replay_root)
    first = fetch(client, ["2023-11"])
    assert load_nasdaq(con, first.frame, "run-1", FETCHED_AT) == 6
    priced = first.frame[first.frame.deal_id == "1272768-107885"].copy()
    priced["status"], priced["status_rank"] = "priced", 4
    priced["priced_date"] = dt.date(2023, 11, 3)
    priced["expected_date"] = None
    load_nasdaq(con, priced, "run-2", FETCHED_AT)
    load_nasdaq(con, first.frame, "run-3", FETCHED_AT)  # the old month again: status stays
    row = con.execute(
        "select status, expected_date, priced_date, offer_amount from raw.nasdaq_ipos "
        "where deal_id = '1272768-107885'"
    ).fetchone()
    assert row == ("priced", dt.date(2023, 11, 3), dt.date(2023, 11, 3), 62_790_000.0)
    assert con.execute("select count(*) from raw.nasdaq_ipos").fetchone() == (6,)


def test_all_recorded_months_load(replay_root: Path, con: duckdb.DuckDBPyConnection) -> None:
    batch = fetch(NasdaqReplayClient(replay_root), ["2023-11", "2024-06", "2024-07"])
    assert batch.problems.empty and not batch.months_failed
    assert load_nasdaq(con, batch.frame, "run-1", FETCHED_AT) == 77  # 6 + 66 + 5 deals
    assert load_nasdaq(con, batch.frame, "run-2", FETCHED_AT) == 0  # nothing changed
    assert con.execute(
        "select sum(offer_amount) from raw.nasdaq_ipos where status = 'priced'"
    ).fetchone() == (3_628_200_005.0,)


def test_row_problems_catch_typos() -> None:
    frame = pd.DataFrame(
        {
            "deal_id": ["1-2", "x"],
            "status": ["priced", "priced"],
            "company_name": ["A", ""],
            "offer_amount": [-5.0, 1.0],
            "shares": [1, 1],
            "price_low": [5.0, 4.0],
            "price_high": [4.0, 4.0],
            "priced_date": [dt.date(2024, 1, 2), None],
            "file": ["f.json", "f.json"],
            "json_path": ["data.priced.rows[0]", "data.priced.rows[1]"],
        }
    )
    reasons = nasdaq_row_problems(frame, today=dt.date(2024, 7, 1)).tolist()
    assert reasons == [
        "f.json data.priced.rows[0]: offer amount is negative; price range is upside down",
        "f.json data.priced.rows[1]: deal id is not NNN-NNN; company name is empty; "
        "priced deal without a priced date",
    ]


def test_months_ending() -> None:
    assert months_ending(dt.date(2024, 2, 10), 2) == ["2023-12", "2024-01", "2024-02"]
