"""Every indicator of the marts, on real prices, against an independent pandas computation.

The oracle (``pandas_oracle.py``) follows the quantstats / empyrical conventions: simple
returns on adjusted closes, sample standard deviation (ddof=1), annualised with sqrt(252),
full rolling windows only. Tolerance 1e-9, relative for values above 1 in size.

Prices are loaded straight into ``raw.prices`` by a tiny loader here (pandas read_csv), not by
sources/: this test is about the SQL, and must not break when the parsers change.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from types import ModuleType

import duckdb
import numpy as np
import pandas as pd
import pytest

from rotation.settings import Pair
from transforms import build_models, sync_pairs

TOLERANCE = 1e-9
ETF_SNAPSHOT = "prices/yahoo-csv-2025-09-26"  # SPY, IWM, IWB, ^GSPC, ^VIX (Adj Close)
INDEX_SNAPSHOT = "prices/stitched-2026-02-23"  # ^RUT (a price index: Close is its value)
PAIRS = [Pair.parse(p) for p in ("IWM/SPY", "IWM/IWB", "^RUT/^GSPC", "^RUT/^RUI")]


def _load_oracle() -> ModuleType:
    path = Path(__file__).with_name("pandas_oracle.py")
    spec = importlib.util.spec_from_file_location("pandas_oracle", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


oracle = _load_oracle()


def _read_csv(path: Path) -> pd.DataFrame:
    """One snapshot CSV as (symbol, date, close, adj_close); literal 'null' rows are left out
    (in the pipeline quality/ quarantines them: here they are simply not prices)."""
    frame = pd.read_csv(path, na_values=["null"])
    adj = "Adj Close" if "Adj Close" in frame.columns else "Close"
    out = pd.DataFrame(
        {
            "symbol": path.stem,
            "date": pd.to_datetime(frame["Date"]).dt.date,
            "close": frame["Close"].astype(float),
            "adj_close": frame[adj].astype(float),
        }
    )
    return out.dropna(subset=["close", "adj_close"])


def _load(con: duckdb.DuckDBPyConnection, frames: list[pd.DataFrame]) -> pd.DataFrame:
    batch = pd.concat(frames, ignore_index=True)
    batch["adj_close_received"] = batch["adj_close"]
    batch["adjustment"] = "raw"
    batch["source"] = "test"
    batch["fetched_at"] = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    batch["run_id"] = "test"
    con.register("batch", batch)
    con.execute("insert into raw.prices by name select * from batch")
    con.unregister("batch")
    return batch.rename(columns={"adj_close": "value"})[["symbol", "date", "value"]]


@pytest.fixture(scope="module")
def built(shared_data: Path) -> tuple[duckdb.DuckDBPyConnection, dict[str, pd.DataFrame]]:
    from rotation.db import migrate

    con = duckdb.connect()
    migrate(con)
    frames = [_read_csv(p) for p in sorted((shared_data / ETF_SNAPSHOT).glob("*.csv"))]
    frames.append(_read_csv(shared_data / INDEX_SNAPSHOT / "^RUT.csv"))
    prices = _load(con, frames)
    sync_pairs(con, PAIRS)
    build_models(con)
    expected = oracle.all_marts(prices, [(p.name, p.small, p.large, p.kind) for p in PAIRS])
    yield con, expected
    con.close()


KEYS = {
    "marts.returns": ["symbol", "date"],
    "marts.calendar_year_returns": ["symbol", "year"],
    "marts.risk": ["symbol", "date"],
    "marts.relative_strength": ["pair", "date"],
    "marts.pair_risk": ["pair", "date"],
    "marts.latest_indicators": ["pair"],
}
COLUMNS = {
    "marts.returns": [
        "value", "ret_1d", "mtd", "qtd", "ytd", "ret_1m", "ret_3m", "ret_6m", "ret_12m",
        "tr_index",
    ],
    "marts.calendar_year_returns": ["start_value", "end_value", "ret"],
    "marts.risk": ["value", "vol_21", "vol_63", "vol_252", "drawdown", "max_drawdown"],
    "marts.relative_strength": [
        "small_value", "large_value", "small_ret_1d", "large_ret_1d", "ratio", "ratio_ma50",
        "ratio_ma200", "ratio_vs_ma50", "ratio_vs_ma200", "spread_20d", "spread_60d",
        "ytd_spread", "streak",
    ],
    "marts.pair_risk": ["corr_63", "corr_252", "beta_63", "beta_252"],
    "marts.latest_indicators": [
        "ratio", "ratio_vs_ma50", "ratio_vs_ma200", "spread_20d", "spread_60d", "ytd_spread",
        "streak", "small_ret_1d", "large_ret_1d", "small_ytd", "large_ytd", "corr_63",
        "beta_63", "small_vol_63", "large_vol_63", "small_drawdown", "large_drawdown",
    ],
}  # fmt: skip


def _normalise(frame: pd.DataFrame, keys: list[str], columns: list[str]) -> pd.DataFrame:
    out = frame[keys + columns].copy()
    for key in keys:
        if key == "date":
            out[key] = pd.to_datetime(out[key]).astype("datetime64[ns]")
        elif key == "year":
            out[key] = out[key].astype("int64")
    for column in columns:
        out[column] = pd.to_numeric(out[column]).astype("float64")
    return out.sort_values(keys, ignore_index=True)


@pytest.mark.parametrize("mart", list(KEYS))
def test_mart_matches_pandas(built, mart: str) -> None:
    con, expected = built
    keys, columns = KEYS[mart], COLUMNS[mart]
    got = _normalise(con.sql(f"from {mart}").df(), keys, columns)
    want = _normalise(expected[mart], keys, columns)
    assert len(got) > 0
    assert got[keys].equals(want[keys]), f"{mart}: the rows (keys) differ from pandas"
    for column in columns:
        a, b = got[column].to_numpy(), want[column].to_numpy()
        null_a, null_b = np.isnan(a), np.isnan(b)
        mismatch = np.flatnonzero(null_a != null_b)
        assert mismatch.size == 0, (
            f"{mart}.{column}: NULL in one and not the other at "
            f"{got.loc[mismatch[:3], keys].to_dict('records')} (sql {a[mismatch[:3]]}, "
            f"pandas {b[mismatch[:3]]})"
        )
        err = np.abs(a - b) / np.maximum(1.0, np.abs(b))
        worst = int(np.nanargmax(np.where(null_a, -1.0, err))) if len(err) else 0
        assert np.nanmax(np.where(null_a, 0.0, err)) <= TOLERANCE, (
            f"{mart}.{column}: sql {a[worst]!r} vs pandas {b[worst]!r} at "
            f"{got.loc[worst, keys].to_dict()}"
        )


def test_real_pairs_cover_what_the_data_allows(built) -> None:
    """IWM/SPY from 2000, ^RUT/^GSPC from 1987; ^RUT/^RUI has no ^RUI data so no rows."""
    con, _ = built
    first = dict(
        con.execute("select pair, min(date) from marts.relative_strength group by pair").fetchall()
    )
    assert first == {
        "IWM/SPY": dt.date(2000, 5, 26),
        "IWM/IWB": dt.date(2000, 5, 26),
        "^RUT/^GSPC": dt.date(1987, 9, 10),
    }


def test_cumulative_return_macro_is_the_tr_index_ratio(built) -> None:
    """From the last session before 2025-01-01 (2024-12-31) to 2025-09-26, for IWM."""
    con, expected = built
    rets = expected["marts.returns"].set_index(["symbol", "date"])
    base = rets.loc[("IWM", pd.Timestamp("2024-12-31")), "value"]
    end = rets.loc[("IWM", pd.Timestamp("2025-09-26")), "value"]
    got = con.execute(
        """select base_date, cumulative_return from marts.cumulative_return(date '2025-01-01')
           where symbol = 'IWM' and date = date '2025-09-26'"""
    ).fetchone()
    assert got[0] == dt.date(2024, 12, 31)
    assert got[1] == pytest.approx(end / base - 1, abs=TOLERANCE)


def test_every_audit_passes_on_the_real_snapshot(built) -> None:
    """The build on the real snapshot was kept, and every audit of sql/audits finds nothing
    on it (the real series include 1987, 2008 and 2020 and ^VIX's doubling of 2018-02-05)."""
    from rotation.settings import PricesSettings
    from transforms import audit_parameters, discover_audits
    from transforms.audits import run_audits

    con, _ = built
    audits = discover_audits(Path(__file__).resolve().parents[2] / "sql")
    results = run_audits(con, audits, audit_parameters(PricesSettings()))
    assert len(results) == len(audits) > 0
    assert [r.line() for r in results if r.failed] == []
    assert (
        con.execute("select max(ret_1d) from marts.returns where symbol = '^VIX'").fetchone()[0]
        > PricesSettings().max_daily_move
    )  # the override is what lets ^VIX pass


def _load_polars_peer() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "polars_marts.py"
    spec = importlib.util.spec_from_file_location("polars_marts", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def polars_marts(built) -> dict[str, pd.DataFrame]:
    """The benchmark's polars peer (benchmarks/polars_marts.py) on the same real prices, as
    pandas frames (column by column: no pyarrow here)."""
    pl = pytest.importorskip("polars", reason="polars is a development dependency")
    peer = _load_polars_peer()
    con, _ = built
    rows = con.execute("select symbol, date, adj_close as value from raw.prices").fetchall()
    prices = pl.DataFrame(
        rows, schema={"symbol": pl.String, "date": pl.Date, "value": pl.Float64}, orient="row"
    )
    marts = peer.all_marts(prices, [(p.name, p.small, p.large, p.kind) for p in PAIRS])
    return {
        name: pd.DataFrame({c: frame[c].to_numpy() for c in frame.columns})
        for name, frame in marts.items()
    }


@pytest.mark.parametrize("mart", list(KEYS))
def test_polars_peer_matches_sql(built, polars_marts, mart: str) -> None:
    """The benchmark compares the DuckDB build with polars only because both compute the same
    numbers: every column of every mart, at the same 1e-9."""
    con, _ = built
    keys, columns = KEYS[mart], COLUMNS[mart]
    got = _normalise(con.sql(f"from {mart}").df(), keys, columns)
    peer = _normalise(polars_marts[mart], keys, columns)
    assert len(got) > 0
    assert got[keys].equals(peer[keys]), f"{mart}: the rows (keys) differ from polars"
    for column in columns:
        a, b = got[column].to_numpy(), peer[column].to_numpy()
        null_a, null_b = np.isnan(a), np.isnan(b)
        mismatch = np.flatnonzero(null_a != null_b)
        assert mismatch.size == 0, (
            f"{mart}.{column}: NULL in one and not the other at "
            f"{got.loc[mismatch[:3], keys].to_dict('records')} (sql {a[mismatch[:3]]}, "
            f"polars {b[mismatch[:3]]})"
        )
        err = np.abs(a - b) / np.maximum(1.0, np.abs(b))
        worst = int(np.nanargmax(np.where(null_a, -1.0, err))) if len(err) else 0
        assert np.nanmax(np.where(null_a, 0.0, err)) <= TOLERANCE, (
            f"{mart}.{column}: sql {a[worst]!r} vs polars {b[worst]!r} at "
            f"{got.loc[worst, keys].to_dict()}"
        )
