"""Loading a validated price batch into ``raw.prices`` without mixing adjustment bases.

Yahoo's adjusted close is relative to the day it was downloaded: every later dividend
rescales all earlier history. Appending a new download to an old one therefore leaves a
false one-day move at the seam (``../shared/data/prices/stitched-2026-02-23`` shows ~-0.3% on
2025-09-16). The batch always overlaps what is stored (each run re-fetches a trailing window),
so the ratio new/stored on the common sessions *is* the basis change: stored rows outside the
batch are multiplied by it in the same transaction as the upsert, and the re-basing is logged
in ``ops.price_rebases``. ``adj_close_received`` keeps what the vendor said.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from rotation.db import SQL_DIR
from rotation.records import Before

BASIS_TOLERANCE = 1e-6  # a ratio closer to 1 than this is the same basis (float rounding)
SPREAD_WARNING = 1e-3  # a ratio that varies more than this over the overlap is suspicious


def _sql(name: str) -> str:
    return (SQL_DIR / "load" / name).read_text()


@dataclass(frozen=True)
class Rebase:
    symbol: str
    factor: float
    rows: int
    side: str  # "before" or "after" the batch
    boundary: dt.date
    overlap_rows: int
    spread: float


@dataclass
class PriceLoad:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rebases: list[Rebase] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated


def stored_context(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> dict[str, Before]:
    """Per symbol of ``frame``: the last stored close and volumes before the batch's first date.

    A daily batch holds only the trailing window; its first row's move and its last bar's
    volume are judged against this stored history.
    """
    if frame.empty:
        return {}
    firsts = frame.groupby("symbol", as_index=False)["date"].min()
    firsts["date"] = pd.to_datetime(firsts["date"]).dt.date
    con.register("batch_firsts", firsts)
    try:
        rows = con.execute(
            """with recent as (
                   select p.symbol, p.date, p.close, p.adjustment, p.volume,
                          row_number() over (partition by p.symbol order by p.date desc) as n
                   from batch_firsts as f
                   join raw.prices as p on p.symbol = f.symbol and p.date < f.date
                   qualify n <= 20
               )
               select symbol, arg_max(close, date), arg_max(adjustment, date),
                      list(volume order by date)
               from recent group by symbol"""
        ).fetchall()
    finally:
        con.unregister("batch_firsts")
    return {
        symbol: Before(close, adjustment, tuple(v for v in volumes if v is not None))
        for symbol, close, adjustment, volumes in rows
    }


def stored_extent(
    con: duckdb.DuckDBPyConnection, symbols: list[str]
) -> dict[str, tuple[int, dt.date | None]]:
    """Per symbol: how many rows are stored and the latest stored date (0, None when none)."""
    found = {
        symbol: (int(count), latest)
        for symbol, count, latest in con.execute(
            "select symbol, count(*), max(date) from raw.prices "
            "where list_contains(?, symbol) group by 1",
            [symbols],
        ).fetchall()
    }
    return {s: found.get(s, (0, None)) for s in symbols}


def _rebase(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[list[Rebase], list[str]]:
    rebases: list[Rebase] = []
    warnings: list[str] = []
    for symbol, overlap, f_before, f_after, spread, first, last in con.execute(
        _sql("price_rebase_factors.sql")
    ).fetchall():
        if spread is not None and spread > SPREAD_WARNING:
            warnings.append(
                f"{symbol}: new/stored adjusted close varies by {spread:.2%} over {overlap} "
                "common sessions: the stored history mixed adjustment bases; the new batch "
                "replaces it where they overlap"
            )
        for side, factor, condition, boundary in (
            ("before", f_before, "date < ?", first),
            ("after", f_after, "date > ?", last),
        ):
            if factor is None or abs(factor - 1) <= BASIS_TOLERANCE:
                continue
            where = f"symbol = ? and {condition}"  # condition is one of two fixed strings
            count = con.execute(
                f"select count(*) from raw.prices where {where}", [symbol, boundary]
            ).fetchone()
            rows = int(count[0]) if count else 0
            if rows == 0:
                continue
            con.execute(
                f"update raw.prices set adj_close = adj_close * ? where {where}",
                [factor, symbol, boundary],
            )
            con.execute(
                """insert into ops.price_rebases (run_id, symbol, factor, rows_rebased,
                       overlap_rows, overlap_ratio_spread, side, boundary_date)
                   values (?, ?, ?, ?, ?, ?, ?, ?)""",
                [run_id, symbol, factor, rows, overlap, spread, side, boundary],
            )
            rebases.append(Rebase(symbol, factor, rows, side, boundary, overlap, spread or 0.0))
    return rebases, warnings


def load_prices(
    con: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    *,
    source: str,
    run_id: str,
    fetched_at: dt.datetime,
) -> PriceLoad:
    """Re-base stored history to the batch's basis, then upsert the batch.

    Call inside ``rotation.db.transaction`` together with the batch's quarantine rows, so a
    killed process leaves the whole batch or none of it.
    """
    result = PriceLoad()
    if frame.empty:
        return result
    incoming = frame.copy()
    incoming["date"] = pd.to_datetime(incoming["date"]).dt.date
    con.register("incoming", incoming)
    try:
        result.rebases, result.warnings = _rebase(con, run_id)
        counts = con.execute(
            """select
                   count(*) filter (where p.symbol is null),
                   count(*) filter (where p.symbol is not null and (
                       p.open is distinct from b.open or p.high is distinct from b.high
                       or p.low is distinct from b.low or p.close is distinct from b.close
                       or p.adj_close is distinct from b.adj_close
                       or p.volume is distinct from b.volume
                       or p.dividends is distinct from b.dividends
                       or p.splits is distinct from b.splits
                       or p.adjustment is distinct from b.adjustment))
               from incoming as b
               left join raw.prices as p on p.symbol = b.symbol and p.date = b.date"""
        ).fetchone()
        assert counts is not None
        result.inserted, result.updated = int(counts[0]), int(counts[1])
        result.unchanged = len(incoming) - result.inserted - result.updated
        con.execute(_sql("upsert_prices.sql"), [source, fetched_at, run_id])
    finally:
        con.unregister("incoming")
    return result
