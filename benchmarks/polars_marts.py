"""The price marts computed with polars: the peer a user would pick instead of SQL in DuckDB.

``benchmarks/marts_vs_pandas.py`` times it beside the DuckDB build and the pandas oracle
(``tests/transforms/pandas_oracle.py``), so the three must compute the same numbers:
``tests/transforms/test_polars_marts.py`` checks every column of every mart against the SQL
build on the real snapshot at 1e-9, like the pandas oracle.

It is written the way a polars user would write it, with polars' own tools (window
expressions ``.over``, ``rolling_*``, ``cum_max``, ``join_asof``), lazily, one plan per mart,
and no attempt to copy the SQL's tricks (per-month tables, prefix sums). Conventions are those
of docs/indicators.md: simple returns on adjusted closes, sample standard deviation (ddof=1)
annualised with sqrt(252), full windows only; period bases are the last close strictly before
the period starts, trailing-month bases the last close on or before the same day N months
earlier (polars' ``offset_by`` clamps the 31st to the month's last day, as the SQL does).

Input: a ``prices`` frame with symbol (str), date (date), value (f64); pairs as
(pair, small, large, kind) tuples. Output: every mart keyed by its SQL name.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import polars as pl

ANNUALISE = math.sqrt(252)
TRAILING_MONTHS = (1, 3, 6, 12)
VOL_WINDOWS = (21, 63, 252)
PAIR_WINDOWS = (63, 252)


def _base(
    rows: pl.LazyFrame, prices: pl.LazyFrame, anchor: pl.Expr, name: str, *, inclusive: bool
) -> pl.LazyFrame:
    """Add column ``name``: each row's symbol's last value on (or strictly before) ``anchor``."""
    left = rows.with_columns(anchor.alias("_anchor")).sort("symbol", "_anchor")
    right = prices.select("symbol", pl.col("date").alias("_anchor"), pl.col("value").alias(name))
    return left.join_asof(
        right.sort("symbol", "_anchor"),
        on="_anchor",
        by="symbol",
        strategy="backward",
        allow_exact_matches=inclusive,
        check_sortedness=False,
    ).drop("_anchor")


def returns(prices: pl.LazyFrame) -> pl.LazyFrame:
    """marts.returns: ret_1d, mtd, qtd, ytd, ret_1m/3m/6m/12m, tr_index."""
    out = prices.sort("symbol", "date").with_columns(
        (pl.col("value") / pl.col("value").shift(1).over("symbol") - 1).alias("ret_1d"),
        (pl.col("value") / pl.col("value").first().over("symbol")).alias("tr_index"),
    )
    periods = {"mtd": "1mo", "qtd": "1q", "ytd": "1y"}
    for column, every in periods.items():
        start = pl.col("date").dt.truncate(every)
        out = _base(out, prices, start, f"_{column}", inclusive=False)
    for months in TRAILING_MONTHS:
        anchor = pl.col("date").dt.offset_by(f"-{months}mo")
        out = _base(out, prices, anchor, f"_{months}m", inclusive=True)
    return out.select(
        "symbol",
        "date",
        "value",
        "ret_1d",
        *[(pl.col("value") / pl.col(f"_{c}") - 1).alias(c) for c in periods],
        *[(pl.col("value") / pl.col(f"_{m}m") - 1).alias(f"ret_{m}m") for m in TRAILING_MONTHS],
        "tr_index",
    ).sort("symbol", "date")


def calendar_year_returns(prices: pl.LazyFrame) -> pl.LazyFrame:
    """marts.calendar_year_returns: last close of the year / last close of the previous one."""
    years = (
        prices.sort("symbol", "date")
        .group_by("symbol", pl.col("date").dt.year().alias("year"), maintain_order=True)
        .agg(pl.col("date").last().alias("end_date"), pl.col("value").last().alias("end_value"))
        .sort("symbol", "year")
    )
    return years.with_columns(
        pl.col("end_date").shift(1).over("symbol").alias("start_date"),
        pl.col("end_value").shift(1).over("symbol").alias("start_value"),
    ).with_columns((pl.col("end_value") / pl.col("start_value") - 1).alias("ret"))


def risk(prices: pl.LazyFrame) -> pl.LazyFrame:
    """marts.risk: annualised rolling volatility, drawdown, max drawdown."""
    ret = pl.col("value") / pl.col("value").shift(1) - 1
    return (
        prices.sort("symbol", "date")
        .with_columns(
            *[
                (ret.rolling_std(w, ddof=1) * ANNUALISE).over("symbol").alias(f"vol_{w}")
                for w in VOL_WINDOWS
            ],
            (pl.col("value") / pl.col("value").cum_max() - 1).over("symbol").alias("drawdown"),
        )
        .with_columns(pl.col("drawdown").cum_min().over("symbol").alias("max_drawdown"))
    )


def pair_legs(prices: pl.LazyFrame, pairs: Iterable[tuple[str, str, str, str]]) -> pl.LazyFrame:
    """Both legs of each pair on the dates where both have a value, with pair-session returns."""
    keys = pl.LazyFrame(list(pairs), schema=["pair", "small", "large", "kind"], orient="row")
    small = prices.select(
        pl.col("symbol").alias("small"), "date", pl.col("value").alias("small_value")
    )
    large = prices.select(
        pl.col("symbol").alias("large"), "date", pl.col("value").alias("large_value")
    )
    legs = keys.join(small, on="small").join(large, on=["large", "date"]).sort("pair", "date")
    return legs.with_columns(
        (pl.col("small_value") / pl.col("small_value").shift(1) - 1)
        .over("pair")
        .alias("small_ret_1d"),
        (pl.col("large_value") / pl.col("large_value").shift(1) - 1)
        .over("pair")
        .alias("large_ret_1d"),
    )


def relative_strength(legs: pl.LazyFrame, symbol_returns: pl.LazyFrame) -> pl.LazyFrame:
    """marts.relative_strength from pair_legs() and returns() (for each leg's ytd)."""
    ratio = pl.col("small_value") / pl.col("large_value")
    spreads = [
        (
            (pl.col("small_value") / pl.col("small_value").shift(n) - 1)
            - (pl.col("large_value") / pl.col("large_value").shift(n) - 1)
        )
        .over("pair")
        .alias(f"spread_{n}d")
        for n in (20, 60)
    ]
    out = legs.with_columns(
        ratio.alias("ratio"),
        *[ratio.rolling_mean(w).over("pair").alias(f"ratio_ma{w}") for w in (50, 200)],
        *spreads,
        (pl.col("small_ret_1d") - pl.col("large_ret_1d")).sign().alias("_sign"),
    ).with_columns(
        *[
            (pl.col("ratio") / pl.col(f"ratio_ma{w}") - 1).alias(f"ratio_vs_ma{w}")
            for w in (50, 200)
        ]
    )
    # Streak: run length of equal signs of (small - large) daily return; a tie has sign 0.
    new_run = pl.col("_sign").ne_missing(pl.col("_sign").shift(1)).over("pair")
    out = out.with_columns(new_run.cast(pl.Int64).cum_sum().over("pair").alias("_run"))
    out = out.with_columns(
        (pl.col("_sign") * (pl.int_range(pl.len()).over("pair", "_run") + 1))
        .cast(pl.Int32)
        .alias("streak")
    )
    ytd = symbol_returns.select("symbol", "date", "ytd")
    out = out.join(
        ytd.rename({"symbol": "small", "ytd": "_small_ytd"}), on=["small", "date"], how="left"
    ).join(ytd.rename({"symbol": "large", "ytd": "_large_ytd"}), on=["large", "date"], how="left")
    return out.with_columns((pl.col("_small_ytd") - pl.col("_large_ytd")).alias("ytd_spread")).drop(
        "_sign", "_run", "_small_ytd", "_large_ytd"
    )


def pair_risk(legs: pl.LazyFrame) -> pl.LazyFrame:
    """marts.pair_risk: rolling correlation and beta (covariance / variance, ddof=1)."""
    x, y = pl.col("large_ret_1d"), pl.col("small_ret_1d")
    figures = []
    for w in PAIR_WINDOWS:
        figures.append(pl.rolling_corr(y, x, window_size=w).over("pair").alias(f"corr_{w}"))
        beta = pl.rolling_cov(y, x, window_size=w, ddof=1) / x.rolling_var(w, ddof=1)
        figures.append(beta.over("pair").alias(f"beta_{w}"))
    return legs.select("pair", "small", "large", "kind", "date", *figures)


def latest_indicators(
    strength: pl.LazyFrame, risks: pl.LazyFrame, pair_risks: pl.LazyFrame, rets: pl.LazyFrame
) -> pl.LazyFrame:
    """marts.latest_indicators: each pair's last row, with leg figures from the other frames."""
    out = strength.sort("pair", "date").group_by("pair", maintain_order=True).last()
    out = out.join(pair_risks.select("pair", "date", "corr_63", "beta_63"), on=["pair", "date"])
    for leg in ("small", "large"):
        leg_ytd = rets.select(
            pl.col("symbol").alias(leg), "date", pl.col("ytd").alias(f"{leg}_ytd")
        )
        leg_risk = risks.select(
            pl.col("symbol").alias(leg),
            "date",
            pl.col("vol_63").alias(f"{leg}_vol_63"),
            pl.col("drawdown").alias(f"{leg}_drawdown"),
        )
        out = out.join(leg_ytd, on=[leg, "date"]).join(leg_risk, on=[leg, "date"])
    return out.sort("pair")


def all_marts(
    prices: pl.DataFrame, pairs: Iterable[tuple[str, str, str, str]]
) -> dict[str, pl.DataFrame]:
    """Every mart, keyed by its SQL name: what one DuckDB build computes, collected together
    (``pl.collect_all``) so polars can share the common sub-plans across marts."""
    lazy = prices.lazy().select("symbol", "date", pl.col("value").cast(pl.Float64))
    rets = returns(lazy)
    risks = risk(lazy)
    legs = pair_legs(lazy, pairs)
    strength = relative_strength(legs, rets)
    pair_risks = pair_risk(legs)
    plans = {
        "marts.returns": rets,
        "marts.calendar_year_returns": calendar_year_returns(lazy),
        "marts.risk": risks,
        "marts.relative_strength": strength,
        "marts.pair_risk": pair_risks,
        "marts.latest_indicators": latest_indicators(strength, risks, pair_risks, rets),
    }
    frames = pl.collect_all(list(plans.values()))
    return dict(zip(plans, frames, strict=True))
