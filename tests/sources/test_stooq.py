"""Stooq: the parser on both real layouts, the replay twin on the real bulk file, the live
client against a loopback stand-in serving real bytes."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rotation import calendar
from rotation.records import PRICE_COLUMNS
from sources.http import HttpClient
from sources.prices import PriceSourceError
from sources.stooq import (
    StooqFormatError,
    StooqHtmlAnswer,
    StooqPriceSource,
    StooqReplaySource,
    parse_stooq_csv,
)
from tests.stooq_standin import HTML_PAGE, base_url, endpoint_csv, stooq_standin

BULK = "member-prices/stooq-us-daily.iwm-iwb-members.2024-01-02..2025-06-10.csv.gz"
TICKER_MAP = "member-prices/stooq-ticker-map.json"


def _head(shared_data: Path, n: int = 400) -> str:
    with gzip.open(shared_data / BULK, "rt") as text:
        return "".join(next(text) for _ in range(n))


def test_bulk_layout_reads_real_rows_as_auto_adjusted(shared_data: Path) -> None:
    parsed = parse_stooq_csv(_head(shared_data), origin="bulk head")
    frame = parsed.frame
    assert list(frame.columns) == PRICE_COLUMNS and not parsed.damaged
    first = frame.iloc[0]
    # A.US,D,20240102,000000,138.19,140.59,137.91,138.75,1441581,0,…
    assert (first["symbol"], first["date"]) == ("A", pd.Timestamp("2024-01-02"))
    assert (first["open"], first["high"], first["low"], first["close"]) == (
        138.19, 140.59, 137.91, 138.75,
    )  # fmt: skip
    assert first["volume"] == 1441581 and first["adj_close"] == first["close"]
    assert set(frame["adjustment"]) == {"auto"}  # back-adjusted at download, no raw close
    assert (frame["dividends"] == 0).all() and (frame["splits"] == 0).all()
    assert parsed.files[0] == "daily/us/nyse stocks/1/a.us.txt"


def test_a_bad_bulk_line_costs_only_its_ticker(shared_data: Path) -> None:
    lines = _head(shared_data).splitlines()
    tickers = [line.split(",")[0] for line in lines[1:]]
    second = next(t for t in tickers if t != "A.US")
    cut = next(i for i, t in enumerate(tickers, 1) if t == second) + 2
    lines[cut] = lines[cut].replace(",", ",x", 5)  # a garbled line of the second ticker
    parsed = parse_stooq_csv("\n".join(lines) + "\n", origin="bulk.csv")
    symbol = second.removesuffix(".US")
    assert list(parsed.damaged) == [symbol]
    assert parsed.damaged[symbol].startswith(f"bulk.csv line {cut + 1}: ")
    assert symbol not in set(parsed.frame["symbol"])
    assert (parsed.frame["symbol"] == "A").sum() == tickers.count("A.US")


def test_endpoint_layout_and_its_answers() -> None:
    text = "Date,Open,High,Low,Close,Volume\n2025-05-12,7.86,7.895,7.82,7.87,1014876.552881\n"
    frame = parse_stooq_csv(text, origin="rgls", symbol="RGLS").frame
    assert frame["symbol"].tolist() == ["RGLS"] and frame["volume"].iloc[0] == 1014876.552881
    assert parse_stooq_csv("No data", origin="x", symbol="X").frame.empty
    with pytest.raises(StooqHtmlAnswer, match=r"HTML page.*API key is missing or wrong"):
        parse_stooq_csv(HTML_PAGE, origin="Stooq rgls.us", symbol="RGLS")
    with pytest.raises(StooqFormatError, match=r"line 2: close 'n/a' is not a number"):
        parse_stooq_csv(text.replace("7.87", "n/a"), origin="rgls", symbol="RGLS")
    with pytest.raises(StooqFormatError, match="unknown Stooq header"):
        parse_stooq_csv("Datum,Otwarcie\n", origin="pl", symbol="X")


@pytest.fixture(scope="module")
def replay(shared_data: Path) -> StooqReplaySource:
    return StooqReplaySource(shared_data / BULK, shared_data / TICKER_MAP)


def test_replay_finds_members_by_the_ticker_map(replay: StooqReplaySource) -> None:
    batch = replay.fetch(
        ["BRKB", "BRK-B", "MSFT", "NOPE"], dt.date(2024, 6, 3), dt.date(2024, 6, 7)
    )
    counts = batch.frame.groupby("symbol").size().to_dict()
    assert counts == {"BRK-B": 5, "BRKB": 5, "MSFT": 5}  # the map's brk-b.us, both spellings
    assert batch.missing_symbols == ("NOPE",) and batch.notes[0].startswith("NOPE: not in ")
    # README: MSFT closed at 423.85 on 2024-06-07; Stooq's back-adjusted row says 422.242
    msft = batch.frame[batch.frame["symbol"] == "MSFT"].set_index("date")
    assert msft.loc[pd.Timestamp("2024-06-07"), "close"] == pytest.approx(422.242)
    # a bulk download holds end-of-day bars only: final after the last session's close
    assert batch.fetched_at == calendar.session_close(dt.date(2025, 6, 10)) + dt.timedelta(
        minutes=15
    )


def test_replay_of_the_whole_index_is_one_read(replay: StooqReplaySource) -> None:
    symbols = list(replay.ticker_map)
    batch = replay.fetch(symbols, dt.date(2025, 5, 13), dt.date(2025, 5, 13))
    assert len(batch.frame) > 2900 and np.isfinite(batch.frame["close"]).all()


def test_live_client_gets_real_bytes_and_never_shows_the_key(shared_data: Path) -> None:
    bodies = endpoint_csv(shared_data / BULK, {"RGLS.US", "BRK-B.US"})
    with stooq_standin(bodies, apikey="k3y") as server:
        http = HttpClient(user_agent="test", max_requests_per_s=50)
        source = StooqPriceSource(
            "k3y", base_url=base_url(server), http=http, ticker_map={"BRKB": "x/brk-b.us.txt"}
        )
        batch = source.fetch(["RGLS", "BRKB", "ZZZZ"], dt.date(2025, 5, 6), dt.date(2025, 5, 13))
        assert batch.frame.groupby("symbol").size().to_dict() == {"BRKB": 6, "RGLS": 6}
        assert batch.missing_symbols == ("ZZZZ",) and batch.source == "stooq"
        assert server.asked == ["rgls.us", "brk-b.us", "zzzz.us"]
        rgls = batch.frame[batch.frame["symbol"] == "RGLS"].iloc[-1]
        assert (rgls["close"], rgls["volume"]) == (7.84, 1419805.0)  # the bulk row of 05-13
        wrong = StooqPriceSource("bad-key", base_url=base_url(server), http=http)
        with pytest.raises(PriceSourceError) as caught:
            wrong.fetch(["RGLS"], dt.date(2025, 5, 6), dt.date(2025, 5, 13))
        message = str(caught.value)
        assert "HTML page" in message and "bad-key" not in message and "\n" not in message


def test_without_a_key_the_client_is_off_and_says_so_once() -> None:
    source = StooqPriceSource("", base_url="http://127.0.0.1:9")  # never contacted
    first = source.fetch(["RGLS"], dt.date(2025, 5, 6), dt.date(2025, 5, 13))
    second = source.fetch(["PRCH"], dt.date(2025, 5, 6), dt.date(2025, 5, 13))
    assert first.missing_symbols == ("RGLS",) and second.missing_symbols == ("PRCH",)
    assert len(first.notes) == 1 and "ROTATION_STOOQ_APIKEY is not set" in first.notes[0]
    assert second.notes == ()
