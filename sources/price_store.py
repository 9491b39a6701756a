"""Loading a validated price batch into ``raw.prices`` without mixing adjustment bases.

Yahoo's adjusted close is relative to the day it was downloaded: every later dividend
rescales all earlier history. Appending a new download to an old one therefore leaves a
false one-day move at the seam (``../shared/data/prices/stitched-2026-02-23`` shows ~-0.3% on
2025-09-16). The batch always overlaps what is stored (each run re-fetches a trailing window),
so the ratio new/stored on the common sessions *is* the basis change. Before re-basing, the
seam is judged (``sources.price_seams``): when the ratio steps, the side whose own returns
depart from the raw closes is the mixed one, and it is the one corrected. Every stored row the
batch does not replace (before it, after it, and days inside its range it lacks or
quarantined) moves to the new basis, in the same transaction as the upsert; the judgement is
kept in ``ops.price_seams`` and each re-basing in ``ops.price_rebases``.
``adj_close_received`` keeps what the vendor said.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from rotation.incidents import Incident
from rotation.records import Before
from rotation.sql import read as read_sql
from sources.price_seams import (
    BASIS_TOLERANCE,
    SAME_BASIS,
    UNDECIDED,
    SeamJudgement,
    judge_seam,
)

SEAM_CONFLICT = "basis_conflict"  # the incident kind of a seam the loader could not judge


@dataclass(frozen=True)
class Rebase:
    symbol: str
    factor: float
    rows: int
    side: str  # "before", "inside" or "after" the batch
    boundary: dt.date
    overlap_rows: int
    spread: float


@dataclass
class PriceLoad:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rebases: list[Rebase] = field(default_factory=list)
    seams: list[SeamJudgement] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated


def stored_context(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> dict[str, Before]:
    """Per symbol of ``frame``: the stored closes and volumes before the batch's first date,
    and the rows earlier runs held back as a level shift.

    A daily batch holds only the trailing window; its first rows are judged against the
    stored closes, its last bar's volume against the stored volumes, and a level shift that
    an earlier run held is confirmed when this download shows it again.
    """
    if frame.empty:
        return {}
    firsts = frame.groupby("symbol", as_index=False)["date"].min()
    firsts["date"] = pd.to_datetime(firsts["date"]).dt.date
    con.register("batch_firsts", firsts)
    try:
        rows = con.execute(read_sql("load/price_stored_context.sql")).fetchall()
    finally:
        con.unregister("batch_firsts")
    held: dict[str, list[tuple[dt.date, float]]] = {}
    for symbol, day, close in con.execute(
        read_sql("load/price_held_shifts.sql"), {"symbols": sorted(set(frame["symbol"]))}
    ).fetchall():
        if day is not None and close is not None:
            held.setdefault(symbol, []).append((day, float(close)))
    return {
        symbol: Before(
            close,
            adjustment,
            tuple(v for v in volumes if v is not None),
            tuple(c for c in closes or () if c is not None),
            tuple(held.get(symbol, ())),
        )
        for symbol, close, adjustment, volumes, closes in rows
    }


def stored_extent(
    con: duckdb.DuckDBPyConnection, symbols: list[str]
) -> dict[str, tuple[int, dt.date | None]]:
    """Per symbol: how many rows are stored and the latest stored date (0, None when none)."""
    found = {
        symbol: (int(count), latest)
        for symbol, count, latest in con.execute(
            read_sql("load/price_stored_extent.sql"), [symbols]
        ).fetchall()
    }
    return {s: found.get(s, (0, None)) for s in symbols}


def _judge_seams(con: duckdb.DuckDBPyConnection) -> list[SeamJudgement]:
    overlap = con.execute(read_sql("load/price_rebase_factors.sql")).df()
    return [
        judge_seam(str(symbol), rows.reset_index(drop=True))
        for symbol, rows in overlap.groupby("symbol", sort=True)
    ]


def _rebase_stored(
    con: duckdb.DuckDBPyConnection,
    seams: dict[str, SeamJudgement],
    incoming: pd.DataFrame,
    run_id: str,
) -> list[Rebase]:
    """Move every stored row the batch does not replace onto the batch's basis."""
    outside = con.execute(read_sql("load/price_stored_outside_batch.sql")).df()
    parts = []
    for symbol, rows in outside.groupby("symbol", sort=True):
        seam = seams.get(str(symbol))
        if seam is None or seam.decision == SAME_BASIS:
            continue
        part = rows.assign(factor=seam.stored_factors(rows["date"]))
        parts.append(part[(part["factor"] - 1).abs() > BASIS_TOLERANCE])
    if not parts or all(p.empty for p in parts):
        return []
    factors = pd.concat(parts, ignore_index=True)
    factors["date"] = pd.to_datetime(factors["date"]).dt.date
    con.register("stored_factors", factors)
    try:
        con.execute(read_sql("load/price_rebase_apply.sql"))
    finally:
        con.unregister("stored_factors")
    span = incoming.groupby("symbol")["date"].agg(["min", "max"])
    rebases = []
    for symbol, rows in factors.groupby("symbol", sort=True):
        seam = seams[str(symbol)]
        first, last = span.loc[symbol, "min"], span.loc[symbol, "max"]
        side = np.where(rows["date"] < first, "before", np.where(rows["date"] > last, "after",
                                                                    "inside"))  # fmt: skip
        for (where, factor), group in rows.groupby([side, rows["factor"].round(12)], sort=False):
            boundary = last if where == "after" else first
            rebase = Rebase(str(symbol), float(factor), len(group), str(where), boundary,
                            seam.overlap_rows, seam.spread)  # fmt: skip
            con.execute(
                read_sql("load/price_rebase_record.sql"),
                {"run_id": run_id, "symbol": rebase.symbol, "factor": rebase.factor,
                 "rows": rebase.rows, "overlap_rows": rebase.overlap_rows,
                 "spread": rebase.spread, "side": rebase.side, "boundary": rebase.boundary},
            )  # fmt: skip
            rebases.append(rebase)
    return rebases


def _record_seam(con: duckdb.DuckDBPyConnection, seam: SeamJudgement, run_id: str) -> None:
    con.execute(
        read_sql("load/price_seam_record.sql"),
        {"run_id": run_id, "symbol": seam.symbol, "overlap_rows": seam.overlap_rows,
         "basis_steps": len(seam.steps), "stored_breaks": seam.stored_breaks,
         "batch_breaks": seam.batch_breaks, "decision": seam.decision, "factor": seam.factor,
         "evidence": json.dumps(seam.evidence())},
    )  # fmt: skip


def _seam_message(seam: SeamJudgement) -> str:
    steps = ", ".join(f"{s['date']} ({s['broke']} broke)" for s in seam.steps)
    what = {
        "stored_mixed": "the stored history mixed bases; the batch replaces the overlap and "
        "every other stored row moves to the basis of its stretch",
        "batch_mixed": "the new download mixed bases; its older stretches were brought onto "
        "its latest basis before loading",
        "undecided": "could not tell which side mixed bases; the batch replaces the overlap",
    }[seam.decision]
    return (
        f"{seam.symbol}: new/stored adjusted close varies by {seam.spread:.2%} over "
        f"{seam.overlap_rows} common sessions, steps at {steps}: {what}"
    )


def load_prices(
    con: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    *,
    source: str,
    run_id: str,
    fetched_at: dt.datetime,
) -> PriceLoad:
    """Judge the seam, re-base stored history to the batch's basis, then upsert the batch.

    Call inside ``rotation.db.transaction`` together with the batch's quarantine rows, so a
    killed process leaves the whole batch or none of it.
    """
    result = PriceLoad()
    if frame.empty:
        return result
    incoming = frame.copy()
    incoming["date"] = pd.to_datetime(incoming["date"]).dt.date
    incoming["adj_close_received"] = incoming["adj_close"]
    con.register("incoming", incoming)
    try:
        seams = {seam.symbol: seam for seam in _judge_seams(con)}
        for seam in seams.values():
            if seam.decision == SAME_BASIS:
                continue
            _record_seam(con, seam, run_id)
            result.seams.append(seam)
            if seam.steps:
                result.warnings.append(_seam_message(seam))
            if seam.decision == UNDECIDED:
                result.incidents.append(
                    Incident("prices", seam.symbol, SEAM_CONFLICT, _seam_message(seam))
                )
            mine = (incoming["symbol"] == seam.symbol).to_numpy()
            incoming.loc[mine, "adj_close"] *= seam.batch_factors(incoming.loc[mine, "date"])
        con.unregister("incoming")
        con.register("incoming", incoming)  # the corrected batch
        result.rebases = _rebase_stored(con, seams, incoming, run_id)
        counts = con.execute(read_sql("load/price_batch_changes.sql")).fetchone()
        assert counts is not None
        result.inserted, result.updated = int(counts[0]), int(counts[1])
        result.unchanged = len(incoming) - result.inserted - result.updated
        con.execute(read_sql("load/upsert_prices.sql"), [source, fetched_at, run_id])
    finally:
        con.unregister("incoming")
    return result
