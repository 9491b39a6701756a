"""An independent pandas computation of every indicator the SQL marts hold.

It is the oracle of ``test_indicators_vs_pandas.py`` and the peer of
``benchmarks/marts_vs_pandas.py`` (which loads this file by path), so the benchmark times two
implementations that are proven to produce the same numbers.

Conventions, the same as quantstats / empyrical / ffn: simple returns on adjusted closes
(``value``), sample standard deviation (ddof=1), annualised with sqrt(252), rolling figures
only over full windows (pandas' default ``min_periods`` = window). Where SQL uses one method
this file deliberately uses another that must agree: period bases by ``merge_asof`` on the
period start (SQL: the previous period's last close via ``lag``), trailing-month bases by
``merge_asof`` on ``date - DateOffset(months=N)`` (SQL: a RANGE window frame), the streak by
run-length grouping (SQL: the running max of the run's first session).

Input everywhere: a ``prices`` frame with columns symbol, date (datetime64), value, sorted or
not; pairs as (pair, small, large, kind) tuples.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

ANNUALISE = math.sqrt(252)
TRAILING_MONTHS = (1, 3, 6, 12)
VOL_WINDOWS = (21, 63, 252)
PAIR_WINDOWS = (63, 252)


def _sorted(prices: pd.DataFrame) -> pd.DataFrame:
    out = prices[["symbol", "date", "value"]].sort_values(["symbol", "date"], ignore_index=True)
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    return out


def _last_close_before(
    rows: pd.DataFrame, anchors: pd.Series, prices: pd.DataFrame, *, inclusive: bool
) -> np.ndarray:
    """For each row: the symbol's last value on (or strictly before) its anchor date."""
    left = pd.DataFrame({"symbol": rows["symbol"], "anchor": anchors, "row": np.arange(len(rows))})
    left = left.sort_values("anchor", kind="stable")
    right = prices[["symbol", "date", "value"]].sort_values("date", kind="stable")
    merged = pd.merge_asof(
        left,
        right.rename(columns={"value": "base"}),
        left_on="anchor",
        right_on="date",
        by="symbol",
        allow_exact_matches=inclusive,
        direction="backward",
    )
    return merged.sort_values("row")["base"].to_numpy()


def returns(prices: pd.DataFrame) -> pd.DataFrame:
    """marts.returns: ret_1d, mtd, qtd, ytd, ret_1m/3m/6m/12m, tr_index."""
    out = _sorted(prices)
    by_symbol = out.groupby("symbol", sort=False)["value"]
    out["ret_1d"] = out["value"] / by_symbol.shift(1) - 1
    for column, freq in (("mtd", "M"), ("qtd", "Q"), ("ytd", "Y")):
        period_start = out["date"].dt.to_period(freq).dt.start_time.astype("datetime64[ns]")
        base = _last_close_before(out, period_start, out, inclusive=False)
        out[column] = out["value"] / base - 1
    for months in TRAILING_MONTHS:
        anchor = (out["date"] - pd.DateOffset(months=months)).astype("datetime64[ns]")
        base = _last_close_before(out, anchor, out, inclusive=True)
        out[f"ret_{months}m"] = out["value"] / base - 1
    out["tr_index"] = out["value"] / by_symbol.transform("first")
    return out


def calendar_year_returns(prices: pd.DataFrame) -> pd.DataFrame:
    """marts.calendar_year_returns: last close of the year / last close of the previous one."""
    out = _sorted(prices)
    out["year"] = out["date"].dt.year
    years = out.groupby(["symbol", "year"], as_index=False).agg(
        end_date=("date", "last"), end_value=("value", "last")
    )
    previous = years.groupby("symbol")[["end_date", "end_value"]].shift(1)
    years["start_date"] = previous["end_date"]
    years["start_value"] = previous["end_value"]
    years["ret"] = years["end_value"] / years["start_value"] - 1
    return years


def risk(prices: pd.DataFrame) -> pd.DataFrame:
    """marts.risk: annualised rolling volatility, drawdown, max drawdown."""
    out = _sorted(prices)
    by_symbol = out.groupby("symbol", sort=False)
    ret = out["value"] / by_symbol["value"].shift(1) - 1
    for window in VOL_WINDOWS:
        rolled = ret.groupby(out["symbol"], sort=False).rolling(window).std(ddof=1)
        out[f"vol_{window}"] = rolled.reset_index(level=0, drop=True) * ANNUALISE
    out["drawdown"] = out["value"] / by_symbol["value"].cummax() - 1
    out["max_drawdown"] = out["drawdown"].groupby(out["symbol"], sort=False).cummin()
    return out


def pair_legs(prices: pd.DataFrame, pairs: Iterable[tuple[str, str, str, str]]) -> pd.DataFrame:
    """Both legs of each pair on the dates where both have a value, with pair-session returns."""
    data = _sorted(prices)
    by_symbol = {symbol: g[["date", "value"]] for symbol, g in data.groupby("symbol")}
    frames = []
    for pair, small, large, kind in pairs:
        if small not in by_symbol or large not in by_symbol:
            continue
        legs = (
            by_symbol[small]
            .merge(by_symbol[large], on="date", suffixes=("_small", "_large"))
            .sort_values("date")
        )
        legs = legs.rename(columns={"value_small": "small_value", "value_large": "large_value"})
        legs.insert(0, "pair", pair)
        legs.insert(1, "small", small)
        legs.insert(2, "large", large)
        legs.insert(3, "kind", kind)
        frames.append(legs)
    out = pd.concat(frames, ignore_index=True)
    by_pair = out.groupby("pair", sort=False)
    out["small_ret_1d"] = out["small_value"] / by_pair["small_value"].shift(1) - 1
    out["large_ret_1d"] = out["large_value"] / by_pair["large_value"].shift(1) - 1
    return out


def relative_strength(legs: pd.DataFrame, symbol_returns: pd.DataFrame) -> pd.DataFrame:
    """marts.relative_strength from pair_legs() and returns() (for each leg's ytd)."""
    out = legs.copy()
    by_pair = out.groupby("pair", sort=False)
    out["ratio"] = out["small_value"] / out["large_value"]
    for window in (50, 200):
        rolled = out["ratio"].groupby(out["pair"], sort=False).rolling(window).mean()
        out[f"ratio_ma{window}"] = rolled.reset_index(level=0, drop=True)
        out[f"ratio_vs_ma{window}"] = out["ratio"] / out[f"ratio_ma{window}"] - 1
    for n in (20, 60):
        small_n = out["small_value"] / by_pair["small_value"].shift(n) - 1
        large_n = out["large_value"] / by_pair["large_value"].shift(n) - 1
        out[f"spread_{n}d"] = small_n - large_n
    ytd = symbol_returns[["symbol", "date", "ytd"]]
    out = out.merge(
        ytd.rename(columns={"symbol": "small", "ytd": "small_ytd"}), on=["small", "date"]
    ).merge(ytd.rename(columns={"symbol": "large", "ytd": "large_ytd"}), on=["large", "date"])
    out["ytd_spread"] = out["small_ytd"] - out["large_ytd"]
    # Streak: run-length of equal signs of (small - large) daily return; a tie has sign 0.
    sign = np.sign(out["small_ret_1d"] - out["large_ret_1d"])
    previous = sign.groupby(out["pair"], sort=False).shift(1)
    new_run = ~((sign == previous) | (sign.isna() & previous.isna()))
    run_id = new_run.groupby(out["pair"], sort=False).cumsum()
    length = out.groupby([out["pair"], run_id], sort=False).cumcount() + 1
    out["streak"] = sign * length
    return out.drop(columns=["small_ytd", "large_ytd"])


def pair_risk(legs: pd.DataFrame) -> pd.DataFrame:
    """marts.pair_risk: rolling correlation and beta (covariance / variance, ddof=1)."""
    out = legs[["pair", "small", "large", "kind", "date"]].copy()
    for window in PAIR_WINDOWS:
        corr, beta = [], []
        for _, g in legs.groupby("pair", sort=False):
            small_roll = g["small_ret_1d"].rolling(window)
            corr.append(small_roll.corr(g["large_ret_1d"]))
            cov = small_roll.cov(g["large_ret_1d"], ddof=1)
            beta.append(cov / g["large_ret_1d"].rolling(window).var(ddof=1))
        out[f"corr_{window}"] = pd.concat(corr)
        out[f"beta_{window}"] = pd.concat(beta)
    return out


def latest_indicators(
    strength: pd.DataFrame, risks: pd.DataFrame, pair_risks: pd.DataFrame, rets: pd.DataFrame
) -> pd.DataFrame:
    """marts.latest_indicators: each pair's last row, with leg figures from the other frames."""
    last = strength.sort_values("date").groupby("pair").tail(1)
    out = last.merge(pair_risks[["pair", "date", "corr_63", "beta_63"]], on=["pair", "date"])
    for leg in ("small", "large"):
        leg_ytd = rets[["symbol", "date", "ytd"]].rename(
            columns={"symbol": leg, "ytd": f"{leg}_ytd"}
        )
        leg_risk = risks[["symbol", "date", "vol_63", "drawdown"]].rename(
            columns={"symbol": leg, "vol_63": f"{leg}_vol_63", "drawdown": f"{leg}_drawdown"}
        )
        out = out.merge(leg_ytd, on=[leg, "date"]).merge(leg_risk, on=[leg, "date"])
    return out.sort_values("pair", ignore_index=True)


def all_marts(
    prices: pd.DataFrame, pairs: Iterable[tuple[str, str, str, str]]
) -> dict[str, pd.DataFrame]:
    """Every mart, keyed by its SQL name: what one build computes."""
    rets = returns(prices)
    risks = risk(prices)
    legs = pair_legs(prices, pairs)
    strength = relative_strength(legs, rets)
    pair_risks = pair_risk(legs)
    return {
        "marts.returns": rets,
        "marts.calendar_year_returns": calendar_year_returns(prices),
        "marts.risk": risks,
        "marts.relative_strength": strength,
        "marts.pair_risk": pair_risks,
        "marts.latest_indicators": latest_indicators(strength, risks, pair_risks, rets),
    }
