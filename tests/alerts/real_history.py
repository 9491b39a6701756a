"""Build a database from the real price and FRED history in ../shared/data, then backtest.

Used by tests/alerts/test_backtest_real.py and, as a script, to produce the threshold table
in docs/alerts.md:

    .venv/bin/python tests/alerts/real_history.py [--start 2001-01-01] [--end 2025-09-25]

A deliberately small loader straight into raw.prices / raw.fred_observations (not the
pipeline's sources/ and quality/): the alerts only need the marts built from these rows. The
classic Yahoo CSVs' last row (2025-09-26) is an intraday snapshot, so history stops at
2025-09-25; ^RUT comes from the stitched snapshot, cut at the same date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import duckdb
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
LAST_FINAL = dt.date(2025, 9, 25)
YAHOO = ("SPY", "IWM", "IWB", "^GSPC", "^VIX")
FRED = ("BAMLH0A0HYM2", "BAMLC0A0CM", "ICSA", "DGS10", "DGS2", "NFCI", "UNRATE", "VIXCLS")


def _prices(data: Path) -> pd.DataFrame:
    frames = []
    for symbol in YAHOO:
        df = pd.read_csv(data / "prices" / "yahoo-csv-2025-09-26" / f"{symbol}.csv")
        df = df.dropna(subset=["Close", "Adj Close"])  # ^VIX: literal null rows
        frames.append(
            pd.DataFrame(
                {
                    "symbol": symbol,
                    "date": pd.to_datetime(df["Date"]).dt.date,
                    "close": df["Close"].astype(float),
                    "adj_close": df["Adj Close"].astype(float),
                }
            )
        )
    rut = pd.read_csv(data / "prices" / "stitched-2026-02-23" / "^RUT.csv")
    frames.append(
        pd.DataFrame(
            {
                "symbol": "^RUT",
                "date": pd.to_datetime(rut["Date"]).dt.date,
                "close": rut["Close"].astype(float),
                "adj_close": rut["Close"].astype(float),
            }
        )
    )
    out = pd.concat(frames, ignore_index=True)
    return out[out["date"] <= LAST_FINAL]


def load_real_history(con: duckdb.DuckDBPyConnection, data: Path = SHARED_DATA) -> None:
    """Fill raw.prices and raw.fred_observations, sync the default pairs, build the models."""
    from rotation.settings import PricesSettings
    from transforms.pairs import sync_pairs
    from transforms.runner import build_models

    prices = _prices(data)  # noqa: F841  (read by the SQL below)
    con.execute(
        """insert into raw.prices (symbol, date, close, adj_close, adj_close_received,
                                   adjustment, source, fetched_at, run_id)
           select symbol, date, close, adj_close, adj_close, 'raw', 'replay:shared-data',
                  now(), 'alerts-backtest'
           from prices"""
    )
    fred = []
    for series in FRED:
        df = pd.read_csv(data / "fred" / f"{series}.csv")
        values = pd.to_numeric(df[series], errors="coerce")
        fred.append(
            pd.DataFrame(
                {
                    "series_id": series,
                    "date": pd.to_datetime(df["observation_date"]).dt.date,
                    "value": values,
                }
            ).dropna()
        )
    observations = pd.concat(fred, ignore_index=True)  # noqa: F841
    con.execute(
        """insert into raw.fred_observations (series_id, date, value, source, fetched_at, run_id)
           select series_id, date, value, 'replay:shared-data',
                  timestamptz '2025-11-08 00:00:00+00', 'alerts-backtest'
           from observations"""
    )
    sync_pairs(con, PricesSettings().pairs)
    build_models(con)


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(REPO))
    from alerts import backtest, load_rules
    from rotation.db import migrate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2001, 1, 1))
    parser.add_argument("--end", type=dt.date.fromisoformat, default=LAST_FINAL)
    parser.add_argument("--rules", help="a TOML file with [[rules]] (default: built-in set)")
    args = parser.parse_args(argv)
    tables: list = []
    if args.rules:
        import tomllib

        tables = tomllib.loads(Path(args.rules).read_text()).get("rules", [])
    con = duckdb.connect()
    migrate(con)
    load_real_history(con)
    table = backtest(con, load_rules(tables), args.start, args.end)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_colwidth", 70)
    print(table.drop(columns=["fire_dates"]).to_string(index=False))
    print()
    for row in table.itertuples():
        print(f"{row.rule} [{row.subject}]: {row.fire_dates}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
