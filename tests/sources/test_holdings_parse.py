"""The holdings parser on every real iShares file in ../shared/data/holdings.

Expected counts and weight sums were taken from the files with the csv module alone (lines
whose field count matches the header, ``Asset Class`` = ``Equity``), independently of the
parser; one test re-derives them the same way so the numbers cannot drift from the files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from rotation.settings import HoldingsSettings
from sources.holdings import (
    HoldingsFormatError,
    HoldingsReplayClient,
    fetch,
    parse_holdings,
    vendor_ticker,
)

# file -> (as_of, layout, lines, equity lines, equity weight %)
EXPECTED = {
    "IWM.2025-05-13.csv": ("2025-05-13", 15, 1944, 1939, 99.51),
    "IWM.2025-11-05.csv": ("2025-11-05", 15, 1967, 1962, 99.55),
    "IWM.2026-01-21.csv": ("2026-01-21", 15, 1957, 1952, 99.47),
    "IWM.2026-04-10.csv": ("2026-04-10", 15, 1941, 1936, 99.69),
    "IWM.2026-04-23.csv": ("2026-04-23", 15, 1936, 1931, 99.58),
    "IWM.2026-05-05.csv": ("2026-05-05", 15, 1929, 1924, 99.39),
    "IWM.undated-c2024-10.no-preamble.csv": ("2024-10-15", 15, 1987, 1982, 99.98),
    "IWB.2026-07-17.csv": ("2026-07-17", 15, 1029, 1024, 99.82),
    "IWB.2026-04-13.excel-resaved.csv": ("2026-04-13", 15, 1009, 1004, 99.82),
    "IVV.2026-06-19.csv": ("2026-06-19", 15, 508, 504, 99.74),
    "IJR.2026-06-19.csv": ("2026-06-19", 17, 665, 604, 97.74),
    "IJR.c2019-09.old-layout.csv": ("2019-09-30", 12, 602, 602, 99.83),
}
CALLER_DATES = {  # files without a preamble date: the caller says when
    "IWM.undated-c2024-10.no-preamble.csv": dt.date(2024, 10, 15),
    "IJR.c2019-09.old-layout.csv": dt.date(2019, 9, 30),
}


@pytest.fixture(scope="module")
def parsed(shared_data: Path) -> dict:
    folder = shared_data / "holdings"
    return {
        name: parse_holdings(
            (folder / name).read_bytes(),
            name,
            fund=name.split(".")[0],
            as_of=CALLER_DATES.get(name),
            aliases=HoldingsSettings().alias_map(),
        )
        for name in EXPECTED
    }


def _independent_counts(path: Path) -> tuple[int, int, float]:
    """Lines, equity lines and equity weight straight from the csv module."""
    text = path.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Ticker,"))
    rows = list(csv.reader(io.StringIO("\n".join(lines[start:]))))
    header = rows[0]
    data = [r for r in rows[1:] if len(r) == len(header) and any(f.strip() for f in r)]
    weight_col = header.index("Weight (%)" if "Weight (%)" in header else "Market Weight")
    equity = [
        r
        for r in data
        if r[header.index("Asset Class")] == "Equity"
        and ("Type" not in header or r[header.index("Type")] == "EQUITY")
    ]
    weight = sum(float(r[weight_col].replace(",", "")) for r in equity if r[weight_col] != "-")
    return len(data), len(equity), round(weight, 2)


def test_every_file_in_the_folder_is_covered(shared_data: Path) -> None:
    assert {p.name for p in (shared_data / "holdings").glob("*.csv")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_and_weights_match_the_file(parsed: dict, shared_data: Path, name: str) -> None:
    as_of, layout, lines, equities, weight = EXPECTED[name]
    result = parsed[name]
    equity = result.rows[result.rows["is_equity"]]
    assert result.as_of == dt.date.fromisoformat(as_of)
    assert result.layout == layout
    assert (len(result.rows), len(equity)) == (lines, equities)
    assert round(float(equity["weight_pct"].sum()), 2) == weight
    assert result.problems.empty
    assert _independent_counts(shared_data / "holdings" / name) == (lines, equities, weight)
    assert result.rows["fund"].eq(name.split(".")[0]).all()
    assert result.rows["line"].is_unique


def test_preamble_quirks(parsed: dict) -> None:
    iwm = parsed["IWM.2025-11-05.csv"]
    assert (iwm.as_of_from, iwm.shares_outstanding) == ("preamble", 281_300_000.0)
    first = iwm.rows.iloc[0]
    # the BOM is gone, the first line after the header is line 11 of the file
    assert (first["ticker"], first["line"], first["weight_pct"]) == ("BE", 11, 1.06)
    assert first["market_value"] == 731_205_514.79
    resaved = parsed["IWB.2026-04-13.excel-resaved.csv"]
    assert (resaved.as_of, resaved.shares_outstanding) == (dt.date(2026, 4, 13), 119_200_000.0)
    nvda = resaved.rows.iloc[0]
    assert (nvda["ticker"], nvda["price"], nvda["fx_rate"]) == ("NVDA", 189.31, 1.0)


def test_non_equity_lines_are_kept_and_flagged(parsed: dict) -> None:
    rows = parsed["IWM.2026-05-05.csv"].rows
    other = rows[~rows["is_equity"]].set_index("ticker_raw")
    assert sorted(other.index) == ["CAD", "MSFUT", "RTYM6", "USD", "XTSLA"]
    assert other.loc["RTYM6", "market_value"] == 0.0
    assert other.loc["RTYM6", "notional_value"] == 285_004_710.0
    assert other.loc["CAD", "fx_rate"] == 1.36
    ijr = parsed["IJR.2026-06-19.csv"].rows
    swaps = ijr[ijr["security_type"] == "SWAP"]
    assert len(swaps) == 51 and not swaps["is_equity"].any()  # SWAPs repeat equity tickers
    assert len(set(swaps["ticker"]) & set(ijr.loc[ijr["is_equity"], "ticker"])) == 50


def test_tickers_in_the_price_vendors_form(parsed: dict) -> None:
    ivv = parsed["IVV.2026-06-19.csv"].rows.set_index("ticker_raw")
    assert ivv.loc["BRKB", "ticker"] == "BRK-B"  # by the configured alias
    assert ivv.loc["BFB", "ticker"] == "BF-B"
    assert ivv.loc["HOLX US", "ticker"] == "HOLX"
    unlisted = parsed["IWM.2026-05-05.csv"].rows.query("ticker_raw == '-'")
    assert len(unlisted) == 3 and unlisted["ticker"].isna().all()
    assert vendor_ticker("BRK.B") == "BRK-B"
    assert vendor_ticker("BRKB", aliases={"BRKB": "BRK-B"}) == "BRK-B"
    assert vendor_ticker("GEFB", known={"GEF", "GEF-B"}) == "GEF-B"
    assert vendor_ticker("FOXA", known={"FOXA", "FOX"}) == "FOXA"  # a real 4-letter ticker
    assert vendor_ticker(" - ") is None


def test_exchange_rename_maps_to_one_code(parsed: dict) -> None:
    before = parsed["IWM.2026-01-21.csv"].rows.set_index("ticker")
    after = parsed["IWM.2026-04-10.csv"].rows.set_index("ticker")
    assert before.loc["BE", "exchange"] == "New York Stock Exchange Inc."
    assert after.loc["BE", "exchange"] == "NYSE"
    assert before.loc["BE", "exchange_code"] == after.loc["BE", "exchange_code"] == "NYSE"


def test_date_must_come_from_somewhere(shared_data: Path) -> None:
    body = (shared_data / "holdings" / "IWM.undated-c2024-10.no-preamble.csv").read_bytes()
    parsed = parse_holdings(body, "x.csv", fund="IWM")
    assert (parsed.as_of, parsed.as_of_from) == (None, "unknown")  # validation blocks it
    dated = (shared_data / "holdings" / "IWM.2025-11-05.csv").read_bytes()
    with pytest.raises(HoldingsFormatError, match="as of 2025-11-05, the caller expected"):
        parse_holdings(dated, "IWM.2025-11-06.csv", fund="IWM", as_of=dt.date(2025, 11, 6))


def test_damaged_lines_become_problems_and_the_rest_parses(shared_data: Path) -> None:
    text = (shared_data / "holdings" / "IVV.2026-06-19.csv").read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    lines[11] = lines[11].replace('"6.78"', '"six"')  # AAPL weight
    lines[12] = '"MSFT","MICROSOFT CORP","Information Technology"'  # cut short
    parsed = parse_holdings("\n".join(lines), "IVV.bad.csv", fund="IVV")
    assert len(parsed.rows) == 506
    reasons = list(parsed.problems["reason"])
    assert reasons == [
        "IVV.bad.csv line 12: weight_pct 'six' is not a number",
        "IVV.bad.csv line 13: expected 15 fields, got 3",
    ]
    assert list(parsed.problems["natural_key"]) == ["IVV|2026-06-19|12", "IVV|2026-06-19|13"]
    with pytest.raises(HoldingsFormatError, match="no header line"):
        parse_holdings(b"<html>maintenance</html>", "IWM.csv", fund="IWM")
    runaway = b'Ticker,Name,Asset Class,Weight (%),Price\n"A' + b"x" * 200_000
    with pytest.raises(HoldingsFormatError, match="not readable as CSV"):
        parse_holdings(runaway, "IWM.csv", fund="IWM")


def test_replay_client_reads_dated_snapshots_up_to_the_day(tmp_path: Path, shared_data) -> None:
    folder = tmp_path / "replay" / "holdings"
    folder.mkdir(parents=True)
    for path in (shared_data / "holdings").glob("IWM.*.csv"):
        (folder / path.name).symlink_to(path)
    client = HoldingsReplayClient(tmp_path / "replay")
    batch = fetch(client, ["IWM", "IVV"], dt.date(2026, 4, 10))
    assert [s.as_of for s in batch.snapshots] == [
        dt.date(2025, 5, 13), dt.date(2025, 11, 5), dt.date(2026, 1, 21), dt.date(2026, 4, 10),
    ]  # fmt: skip
    assert list(batch.funds_failed) == ["IVV"]
    assert "IVV" in batch.messages[0] and "dated on or before 2026-04-10" in batch.messages[0]
