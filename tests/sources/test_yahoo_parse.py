"""The price parsers on every real snapshot under ../shared/data/prices, and on broken input.

Row counts are recounted here from the raw text (non-blank lines after the header), and a few
values are checked against the file by hand, so a parser that skipped or shifted rows fails.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rotation.records import PRICE_COLUMNS
from sources.price_csv import CLASSIC_HEADER, parse_price_csv
from sources.prices import PriceFormatError
from sources.yahoo import frame_from_yfinance

# snapshot → symbol → (header lines, adjustment, first date, last date)
SNAPSHOTS: dict[str, dict[str, tuple[int, str, str, str]]] = {
    "yahoo-csv-2025-09-26": {
        "SPY": (1, "raw", "1993-01-29", "2025-09-26"),
        "IWM": (1, "raw", "2000-05-26", "2025-09-26"),
        "IWB": (1, "raw", "2000-05-19", "2025-09-26"),
        "^GSPC": (1, "raw", "1927-12-30", "2025-09-26"),
        "^VIX": (1, "raw", "1990-01-02", "2025-09-25"),
    },
    "yfinance-2026-03-10": {
        "SPY": (3, "auto", "2007-01-03", "2026-03-10"),
        "IWM": (3, "auto", "2007-01-03", "2026-03-10"),
    },
    "stitched-2026-02-23": {
        "SPY": (1, "auto", "1993-01-29", "2026-02-23"),
        "IWM": (1, "auto", "2000-05-26", "2026-02-23"),
        "^RUT": (1, "auto", "1987-09-10", "2026-02-23"),
        "^VIX": (1, "auto", "1990-01-02", "2026-02-23"),
        "HYG": (1, "auto", "2007-04-11", "2026-02-23"),
    },
    "broken-adj-2022-11-18": {
        "SPY": (1, "raw", "2000-01-03", "2022-11-18"),
        "IWM": (1, "raw", "2000-05-26", "2022-11-18"),
        "^RUT": (1, "raw", "2000-01-03", "2022-11-18"),
        "^GSPC": (1, "raw", "2000-01-03", "2022-11-18"),
    },
    # A broker's lower-case bars with extra columns (wap, count) and no adjusted close.
    "ibkr-2026-08-21": {
        "SPY": (1, "unadjusted", "2016-06-28", "2026-08-21"),
        "^GSPC": (1, "unadjusted", "2016-06-28", "2026-08-21"),
        "^RUT": (1, "unadjusted", "2016-06-28", "2026-08-21"),
    },
    # Timestamps written in UTC (midnight New York = 04:00+00:00).
    "single-venue-2025-04-04": {
        sym: (1, "raw", "2018-11-01" if sym == "SPY" else "2020-07-27", "2025-04-04")
        for sym in ("IJR", "IWB", "IWC", "IWM", "IWN", "IWO", "SPY")
    },
    "yfinance-multiheader-2026-06-24": {"^RUT": (3, "auto", "2021-06-25", "2026-06-24")},
}
CASES = [(snap, sym) for snap, files in SNAPSHOTS.items() for sym in files]


def _read(shared_data: Path, snapshot: str, symbol: str) -> tuple[Path, pd.DataFrame]:
    path = shared_data / "prices" / snapshot / f"{symbol}.csv"
    return path, parse_price_csv(path.read_bytes(), symbol, origin=str(path))


def _row(frame: pd.DataFrame, day: str) -> pd.Series:
    rows = frame.loc[frame["date"] == pd.Timestamp(day)]
    assert len(rows) == 1, f"expected one row on {day}, found {len(rows)}"
    return rows.iloc[0]


def test_the_table_names_every_snapshot_file(shared_data: Path) -> None:
    on_disk = {(p.parent.name, p.stem) for p in (shared_data / "prices").glob("*/*.csv")}
    assert on_disk == set(CASES)


@pytest.mark.parametrize(("snapshot", "symbol"), CASES, ids=[f"{a}/{b}" for a, b in CASES])
def test_every_real_file_parses_whole(shared_data: Path, snapshot: str, symbol: str) -> None:
    header_lines, adjustment, first, last = SNAPSHOTS[snapshot][symbol]
    path, frame = _read(shared_data, snapshot, symbol)

    data_lines = [ln for ln in path.read_text().splitlines()[header_lines:] if ln.strip()]
    assert len(frame) == len(data_lines)
    assert list(frame.columns) == PRICE_COLUMNS
    assert frame["date"].dtype == "datetime64[ns]"
    assert (frame["date"] == frame["date"].dt.normalize()).all()
    for column in ["open", "high", "low", "close", "adj_close", "volume", "dividends", "splits"]:
        assert frame[column].dtype == "float64", column
    assert set(frame["symbol"]) == {symbol}
    assert set(frame["adjustment"]) == {adjustment}
    assert frame["date"].iloc[0] == pd.Timestamp(first)
    assert frame["date"].iloc[-1] == pd.Timestamp(last)
    assert frame["date"].is_monotonic_increasing
    # CSV snapshots carry no actions columns.
    assert (frame["dividends"] == 0.0).all() and (frame["splits"] == 0.0).all()
    if adjustment in ("auto", "unadjusted"):
        assert frame["adj_close"].equals(frame["close"])
    # Every date field in the file is in the frame, in order (a UTC stamp of midnight in New
    # York, 04:00+00:00 or 05:00+00:00, is that same calendar date).
    assert list(frame["date"].dt.strftime("%Y-%m-%d")) == [
        ln.split(",")[0][:10] for ln in data_lines
    ]


def test_classic_values_match_the_file(shared_data: Path) -> None:
    _, iwm = _read(shared_data, "yahoo-csv-2025-09-26", "IWM")
    # 2025-09-26,239.619995,241.675003,239.334396,240.229996,240.229996,13249970
    last = _row(iwm, "2025-09-26")
    assert (last["open"], last["high"], last["low"]) == (239.619995, 241.675003, 239.334396)
    assert last["close"] == 240.229996 and last["adj_close"] == 240.229996
    assert last["volume"] == 13249970.0
    # 2000-05-26,45.531250,45.718750,45.312500,45.718750,32.835991,74800: raw close, adj below
    first = _row(iwm, "2000-05-26")
    assert first["close"] == 45.71875 and first["adj_close"] == 32.835991

    _, spx = _read(shared_data, "yahoo-csv-2025-09-26", "^GSPC")
    assert _row(spx, "1927-12-30")["close"] == 17.66


def test_vix_null_rows_are_kept_as_nan(shared_data: Path) -> None:
    _, vix = _read(shared_data, "yahoo-csv-2025-09-26", "^VIX")
    value_columns = ["open", "high", "low", "close", "adj_close", "volume"]
    all_null = vix[value_columns].isna().all(axis=1)
    assert int(all_null.sum()) == 323
    assert vix[value_columns].isna().any(axis=1).sum() == 323  # no partly-null rows
    # line 36: 1990-02-19,null,null,null,null,null,null (Presidents' Day)
    holiday = _row(vix, "1990-02-19")
    assert all(math.isnan(holiday[c]) for c in value_columns)
    assert holiday["symbol"] == "^VIX" and holiday["adjustment"] == "raw"


def test_yfinance_three_row_values_match_the_file(shared_data: Path) -> None:
    _, iwm = _read(shared_data, "yfinance-2026-03-10", "IWM")
    # Close,High,Low,Open,Volume:
    # 2026-03-10,253.36000061035156,257.6499938964844,252.39999389648438,252.9600067138672,55785000
    last = _row(iwm, "2026-03-10")
    assert last["close"] == 253.36000061035156 and last["adj_close"] == 253.36000061035156
    assert last["high"] == 257.6499938964844 and last["low"] == 252.39999389648438
    assert last["open"] == 252.9600067138672 and last["volume"] == 55785000.0
    assert _row(iwm, "2007-01-03")["close"] == 60.52890396118164


def test_stitched_values_and_quirks_are_as_delivered(shared_data: Path) -> None:
    _, rut = _read(shared_data, "stitched-2026-02-23", "^RUT")
    last = _row(rut, "2026-02-23")
    assert last["close"] == 2620.988525390625 and last["volume"] == 0.0  # intraday, volume 0
    _, vix = _read(shared_data, "stitched-2026-02-23", "^VIX")
    assert _row(vix, "2025-09-08")["close"] == 15.279999732971191  # wrong in the source; kept
    _, spy = _read(shared_data, "stitched-2026-02-23", "SPY")
    # Close,High,Low,Open: 2025-11-17,663.7088012695312,671.72…,660.21…,667.7269573864955
    row = _row(spy, "2025-11-17")
    assert row["close"] == 663.7088012695312 and row["open"] == 667.7269573864955


def test_broken_adj_close_is_read_as_written(shared_data: Path) -> None:
    _, spy = _read(shared_data, "broken-adj-2022-11-18", "SPY")
    first = _row(spy, "2000-01-03")
    assert first["close"] == 145.4375 and first["adj_close"] == 96.55506
    assert _row(spy, "2022-11-18")["adj_close"] == _row(spy, "2022-11-18")["close"] == 396.03


# ---- malformed input ----------------------------------------------------------------------


def test_unknown_header_names_file_and_header() -> None:
    with pytest.raises(PriceFormatError) as err:
        parse_price_csv("Day,Open,Close\n2020-01-02,1,2\n", "SPY", origin="x/SPY.csv")
    assert "x/SPY.csv" in str(err.value) and "'Day,Open,Close'" in str(err.value)


def test_empty_file_is_an_error() -> None:
    with pytest.raises(PriceFormatError, match=r"x/SPY.csv: empty file"):
        parse_price_csv(b"", "SPY", origin="x/SPY.csv")


def test_header_only_file_is_an_empty_frame() -> None:
    frame = parse_price_csv(",".join(CLASSIC_HEADER) + "\n", "SPY", origin="f.csv")
    assert frame.empty and list(frame.columns) == PRICE_COLUMNS
    assert frame["date"].dtype == "datetime64[ns]"


def test_yfinance_header_with_another_ticker_is_rejected() -> None:
    text = (
        "Price,Close,High,Low,Open,Volume\n"
        "Ticker,SPY,SPY,SPY,SPY,SPY\n"
        "Date,,,,,\n"
        "2026-03-10,1,2,0.5,1,100\n"
    )
    with pytest.raises(PriceFormatError) as err:
        parse_price_csv(text, "IWM", origin="snap/IWM.csv")
    message = str(err.value)
    assert "snap/IWM.csv line 2" in message and "SPY" in message and "IWM" in message


def test_yfinance_header_cut_short_is_rejected() -> None:
    with pytest.raises(PriceFormatError, match=r"three header lines"):
        parse_price_csv("Price,Close,High,Low,Open,Volume\n", "SPY", origin="f.csv")


def test_unparseable_date_names_file_and_line() -> None:
    text = (
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2020-01-02,1,2,0.5,1.5,1.4,100\n"
        "\n"
        "02/01/2020,1,2,0.5,1.5,1.4,100\n"
    )
    with pytest.raises(PriceFormatError) as err:
        parse_price_csv(text, "SPY", origin="dir/SPY.csv")
    assert "dir/SPY.csv line 4" in str(err.value) and "'02/01/2020'" in str(err.value)


def test_unparseable_date_in_three_row_layout_counts_header_lines() -> None:
    text = (
        "Price,Close,High,Low,Open,Volume\n"
        "Ticker,SPY,SPY,SPY,SPY,SPY\n"
        "Date,,,,,\n"
        "not-a-date,1,2,0.5,1,9\n"
    )
    with pytest.raises(PriceFormatError, match=r"f.csv line 4: cannot parse date 'not-a-date'"):
        parse_price_csv(text, "SPY", origin="f.csv")


def test_garbage_number_names_line_and_column() -> None:
    text = "Date,Close,High,Low,Open,Volume\n2020-01-02,1,2,0.5,1,100\n2020-01-03,1,abc,0.5,1,100\n"
    with pytest.raises(PriceFormatError, match=r"f.csv line 3: high 'abc' is not a number"):
        parse_price_csv(text, "SPY", origin="f.csv")


def test_wrong_field_count_names_line() -> None:
    text = "Date,Open,High,Low,Close,Adj Close,Volume\n2020-01-02,1,2,0.5,1.5,1.4\n"
    with pytest.raises(PriceFormatError, match=r"f.csv line 2: expected 7 fields .* found 6"):
        parse_price_csv(text, "SPY", origin="f.csv")


def test_bom_crlf_empty_cells_and_duplicates() -> None:
    data = (
        "\ufeffDate,Open,High,Low,Close,Adj Close,Volume\r\n"
        "2020-01-03,1,2,0.5,1.5,1.4,100\r\n"
        "2020-01-02,,null,0.5,1.5,1.4,100\r\n"
        "2020-01-03,1,2,0.5,1.6,1.5,200\r\n"
    ).encode()
    frame = parse_price_csv(data, "SPY", origin="f.csv")
    assert list(frame["date"].dt.strftime("%Y-%m-%d")) == ["2020-01-02", "2020-01-03", "2020-01-03"]
    assert np.isnan(frame["open"].iloc[0]) and np.isnan(frame["high"].iloc[0])
    # Duplicates are kept, in the order the file gave them (validation reports them).
    assert list(frame["close"].iloc[1:]) == [1.5, 1.6]


def test_yfinance_csv_saved_with_adj_close_and_actions_is_raw() -> None:
    text = (
        "Price,Adj Close,Close,Dividends,High,Low,Open,Stock Splits,Volume\n"
        "Ticker,AAPL,AAPL,AAPL,AAPL,AAPL,AAPL,AAPL,AAPL\n"
        "Date,,,,,,,,\n"
        "2020-08-31,125.8,129.04,0.0,131.0,126.0,127.58,4.0,225702700\n"
    )
    row = parse_price_csv(text, "AAPL", origin="f.csv").iloc[0]
    assert row["adjustment"] == "raw"
    assert (row["close"], row["adj_close"], row["splits"], row["dividends"]) == (
        129.04,
        125.8,
        4.0,
        0.0,
    )


# ---- yfinance frames -------------------------------------------------------------------------


def _yf_like(per_ticker: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Assemble per-ticker frames the way yf.download(group_by='column') does (multi.py)."""
    index = None
    for df in per_ticker.values():
        index = df.index if index is None else index.union(df.index)
    frames = {t: df.reindex(index) for t, df in per_ticker.items()}
    data = pd.concat(
        frames.values(), axis=1, sort=True, keys=frames.keys(), names=["Ticker", "Price"]
    )
    data.columns = data.columns.swaplevel(0, 1)
    return data.sort_index(level=0, axis=1)


def _bars(
    dates: list[str], closes: list[float], *, adj: bool = True, actions: bool = True
) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "Open": closes,
            "High": closes,
            "Low": closes,
            "Close": closes,
            "Volume": [10] * len(dates),
        },
        index=pd.DatetimeIndex(pd.to_datetime(dates), name="Date").astype("datetime64[s]"),
    )
    if adj:
        df["Adj Close"] = [c * 0.9 for c in closes]
    if actions:
        df["Dividends"] = 0.0
        df["Stock Splits"] = 0.0
    return df


def test_frame_from_yfinance_raw_with_actions_drops_only_padding() -> None:
    spy = _bars(["2020-01-02", "2020-01-03"], [10.0, 11.0])
    spy.loc[pd.Timestamp("2020-01-03"), "Dividends"] = 0.5
    vix = _bars(["2020-01-03", "2020-01-06"], [20.0, 21.0])
    vix.loc[pd.Timestamp("2020-01-06"), ["Open", "High"]] = np.nan  # partly null: kept
    frame = frame_from_yfinance(_yf_like({"SPY": spy, "^VIX": vix}), ["SPY", "^VIX", "IWC"])

    assert list(frame.columns) == PRICE_COLUMNS
    assert list(zip(frame["symbol"], frame["date"].dt.strftime("%m-%d"), strict=True)) == [
        ("SPY", "01-02"), ("SPY", "01-03"), ("^VIX", "01-03"), ("^VIX", "01-06"),
    ]  # fmt: skip
    assert set(frame["adjustment"]) == {"raw"}
    assert list(frame["adj_close"]) == pytest.approx([9.0, 9.9, 18.0, 18.9])
    assert list(frame["dividends"]) == [0.0, 0.5, 0.0, 0.0]
    assert np.isnan(frame["open"].iloc[3]) and frame["close"].iloc[3] == 21.0
    assert frame["date"].dtype == "datetime64[ns]"


def test_frame_from_yfinance_auto_adjusted_without_actions() -> None:
    raw = _yf_like({"IWM": _bars(["2020-01-02"], [5.0], adj=False, actions=False)})
    frame = frame_from_yfinance(raw, ["iwm"])
    row = frame.iloc[0]
    assert row["symbol"] == "iwm" and row["adjustment"] == "auto"
    assert row["adj_close"] == row["close"] == 5.0
    assert (row["dividends"], row["splits"]) == (0.0, 0.0)


def test_frame_from_yfinance_tz_aware_index_and_ticker_first_columns() -> None:
    bars = _bars(["2020-01-02", "2020-01-03"], [1.0, 2.0])
    bars.index = bars.index.tz_localize("America/New_York")
    by_ticker = pd.concat({"SPY": bars}, axis=1, names=["Ticker", "Price"])
    frame = frame_from_yfinance(by_ticker, ["SPY"])
    assert list(frame["date"]) == [pd.Timestamp("2020-01-02"), pd.Timestamp("2020-01-03")]


def test_frame_from_yfinance_empty_and_flat() -> None:
    empty = pd.DataFrame(columns=pd.MultiIndex.from_tuples([], names=["Price", "Ticker"]))
    assert frame_from_yfinance(empty, ["SPY"]).empty
    assert list(frame_from_yfinance(None, ["SPY"]).columns) == PRICE_COLUMNS
    flat = _bars(["2020-01-02"], [3.0])
    assert frame_from_yfinance(flat, ["SPY"])["close"].tolist() == [3.0]
    with pytest.raises(PriceFormatError, match=r"flat columns"):
        frame_from_yfinance(flat, ["SPY", "IWM"])


def test_frame_from_yfinance_without_close_is_rejected() -> None:
    raw = _yf_like({"SPY": _bars(["2020-01-02"], [3.0]).drop(columns=["Close"])})
    with pytest.raises(PriceFormatError, match=r"lacks column\(s\) \['Close'\]"):
        frame_from_yfinance(raw, ["SPY"])


# ---- layouts read by column name -------------------------------------------------------------


def test_broker_bars_are_read_by_name_and_labelled_unadjusted(shared_data: Path) -> None:
    _, spy = _read(shared_data, "ibkr-2026-08-21", "SPY")
    # 2016-06-28,201.5,203.2,201.12,203.2,123612836.0,202.086,507942.0 (wap, count ignored)
    row = _row(spy, "2016-06-28")
    assert (row["open"], row["high"], row["low"], row["close"]) == (201.5, 203.2, 201.12, 203.2)
    assert row["volume"] == 123612836.0
    # No adjusted close in the file: the close is the broker's, dividends not taken out.
    assert row["adjustment"] == "unadjusted" and row["adj_close"] == row["close"]
    # 2026-08-20,765.96,768.15,762.04,762.6,45520300.0,, (empty wap and count are fine)
    assert _row(spy, "2026-08-20")["close"] == 762.6
    _, rut = _read(shared_data, "ibkr-2026-08-21", "^RUT")
    assert _row(rut, "2016-06-28")["volume"] == 0.0  # an index's zero volume is kept as 0


def test_utc_timestamps_map_to_the_new_york_session() -> None:
    text = (
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2020-07-27 04:00:00+00:00,1,2,0.5,1.5,1.5,10\n"  # midnight New York (EDT)
        "2020-07-29 03:30:00+00:00,1,2,0.5,1.5,1.5,10\n"  # 23:30 on the 28th in New York
        "2020-12-01T05:00:00Z,1,2,0.5,1.5,1.5,10\n"  # midnight New York (EST)
        "2020-12-02 00:00:00,1,2,0.5,1.5,1.5,10\n"  # no offset: New York wall clock
    )
    frame = parse_price_csv(text, "IWM", origin="f.csv")
    assert list(frame["date"].dt.strftime("%Y-%m-%d")) == [
        "2020-07-27", "2020-07-28", "2020-12-01", "2020-12-02",
    ]  # fmt: skip


def test_single_venue_utc_file_has_new_york_dates(shared_data: Path) -> None:
    _, iwm = _read(shared_data, "single-venue-2025-04-04", "IWM")
    # 2025-04-04 04:00:00+00:00,182.47,184.02,176.69,181.27,181.27,2392598.0
    last = _row(iwm, "2025-04-04")
    assert (last["open"], last["close"], last["volume"]) == (182.47, 181.27, 2392598.0)
    assert last["adjustment"] == "raw"


def test_column_order_and_case_do_not_matter(shared_data: Path) -> None:
    path = shared_data / "prices" / "yahoo-csv-2025-09-26" / "IWM.csv"
    original = parse_price_csv(path.read_bytes(), "IWM", origin=str(path))
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    shuffled = table[["Volume", "Adj Close", "Date", "Low", "Close", "High", "Open"]]
    shuffled.columns = [c.upper() for c in shuffled.columns]
    shuffled = shuffled.assign(EXTRA="x")
    frame = parse_price_csv(shuffled.to_csv(index=False), "IWM", origin="shuffled")
    pd.testing.assert_frame_equal(frame, original)


def test_a_missing_or_repeated_column_names_the_file() -> None:
    with pytest.raises(PriceFormatError, match=r"f.csv line 1: no volume column"):
        parse_price_csv("date,open,high,low,close\n2020-01-02,1,2,0.5,1\n", "SPY", origin="f.csv")
    with pytest.raises(PriceFormatError, match=r"column 'CLOSE' appears twice"):
        parse_price_csv("Date,Open,High,Low,Close,CLOSE,Volume\n", "SPY", origin="f.csv")


def test_the_date_column_need_not_come_first() -> None:
    text = "close,volume,DATE,low,high,open\n1.5,10,2020-01-02,0.5,2,1\n"
    row = parse_price_csv(text, "SPY", origin="f.csv").iloc[0]
    assert row["date"] == pd.Timestamp("2020-01-02")
    assert (row["open"], row["high"], row["low"], row["close"], row["volume"]) == (
        1.0, 2.0, 0.5, 1.5, 10.0,
    )  # fmt: skip
    assert row["adjustment"] == "unadjusted"  # lower-case names: not Yahoo's spelling


def test_frame_from_yfinance_utc_index_is_read_in_new_york() -> None:
    bars = _bars(["2020-07-27", "2020-07-28"], [1.0, 2.0])
    # Midnight in New York written in UTC, and a late-evening New York stamp after midnight UTC.
    bars.index = pd.DatetimeIndex(
        ["2020-07-27 04:00:00", "2020-07-29 02:00:00"], name="Date"
    ).tz_localize("UTC")
    frame = frame_from_yfinance(bars, ["SPY"])
    assert list(frame["date"]) == [pd.Timestamp("2020-07-27"), pd.Timestamp("2020-07-28")]
