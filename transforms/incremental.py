"""Builds that cost what changed: the price marts updated from what changed since the last build.

A daily run adds one session per symbol, yet a full build recomputes and rewrites every row
of the five price marts (returns, risk, calendar_year_returns, relative_strength, pair_risk).
This module finds what changed and recomputes only that, with the same model SQL:

1. **What changed.** Each kept build records a fingerprint of ``staging.prices`` per symbol and
   month (session count and sum of ``hash(date, value)``; ``ops.price_fingerprints``) and the
   hash of the price models' SQL and of the configured pairs (``ops.price_build_state``). The
   next build compares. Models or pairs changed, no previous fingerprints, or a symbol gone:
   a full build (``plan`` says why); so is one with more than 2 M price rows to rebuild in
   full (the scratch database is in memory).
2. **Per symbol.** A symbol whose first month changed, or that is new (a re-base moves every
   adjusted close, a backfill adds older rows) is rebuilt in full. Every other changed symbol
   is recomputed from a *cut*: the first day of the earliest changed month among them (a new
   session, a late correction inside the re-fetched window). A pair with a changed leg is
   recomputed too (in full if either leg is), and so is its other leg.
3. **Scratch build.** The rows to recompute (in full, or from the symbol's last session on or
   before the cut minus 14 months: the longest look-back, ret_12m and the year's base, plus
   margin) are copied into an in-memory database attached as ``scratch``, and the unchanged
   price model SQL builds its marts there.
4. **Guards.** A tail symbol or pair with fewer than 254 sessions before the cut in the scratch
   input cannot be proven (vol_252 and pair_risk's 252-return windows would be short): the
   whole build falls back to a full one.
5. **Write back**, inside the build's transaction: delete the replaced rows and insert the
   scratch rows (``sql/incremental/*_delete.sql`` / ``*_insert.sql``). The three figures that
   run over a whole history (tr_index, drawdown / max_drawdown, streak) continue from the kept
   row before the cut; everything else is a window or a base the scratch rows hold.

The result equals a full build to ~1e-15 (tests/transforms/test_incremental.py checks every
column of every price mart at 1e-9 against a full rebuild, on the real snapshot and on a
synthetic universe: new sessions, a re-based symbol, a late correction, a new symbol, a
backfill). ``rotation rebuild`` forces a full build.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from rotation.sql import read as read_sql

log = logging.getLogger(__name__)

# The marts this module updates in place; every other model is built as usual.
PRICE_MARTS = (
    "marts.returns",
    "marts.risk",
    "marts.calendar_year_returns",
    "marts.relative_strength",
    "marts.pair_risk",
)
# Models the scratch build needs: the price marts and the staging views they read.
SCRATCH_MODELS = frozenset(
    {"staging.prices", "staging.daily_returns", "staging.pair_returns", *PRICE_MARTS}
)
SCRATCH = "scratch"  # the attached in-memory database's name, as written in sql/incremental
LOOKBACK_MONTHS = 14  # ret_12m's base is <= 12 months + a few days back; ytd's <= 12 months
MIN_SESSIONS_BEFORE_CUT = 254  # vol_252 / pair_risk need session > 252; one spare
# The scratch database is in memory: more rows to rebuild in full than this (a re-base of most
# of the universe) and a full build, which writes to the file and can spill, is the safer path.
SCRATCH_FULL_ROWS_LIMIT = 2_000_000


def _month_start(month_key: int) -> dt.date:
    return dt.date(month_key // 12, month_key % 12 + 1, 1)


def _months_before(day: dt.date, months: int) -> dt.date:
    key = day.year * 12 + day.month - 1 - months
    return _month_start(key)


@dataclass
class Plan:
    """What an incremental build recomputes; ``reason`` set means a full build instead."""

    reason: str | None = None
    cut: dt.date | None = None
    full_symbols: list[str] = field(default_factory=list)
    tail_symbols: list[str] = field(default_factory=list)
    full_pairs: list[str] = field(default_factory=list)
    tail_pairs: list[str] = field(default_factory=list)
    seconds: float | None = None  # fingerprints, plan and scratch build, before the write-back

    @property
    def full(self) -> bool:
        return self.reason is not None

    @property
    def nothing_changed(self) -> bool:
        return not self.full and not self.full_symbols and not self.tail_symbols

    def parameters(self) -> dict[str, object]:
        return {
            "full_symbols": self.full_symbols,
            "tail_symbols": self.tail_symbols,
            "full_pairs": self.full_pairs,
            "tail_pairs": self.tail_pairs,
            "cut": self.cut or dt.date(1, 1, 1),
        }

    def line(self) -> str:
        if self.full:
            return f"full build: {self.reason}"
        if self.nothing_changed:
            return "incremental build: no price changed since the last build"
        return (
            f"incremental build from {self.cut}: {len(self.tail_symbols)} symbol(s) and "
            f"{len(self.tail_pairs)} pair(s) from the cut, {len(self.full_symbols)} symbol(s) "
            f"and {len(self.full_pairs)} pair(s) in full"
            + (f" (changes found and recomputed in {self.seconds:.2f} s)" if self.seconds else "")
        )


def _bind(sql: str, values: Mapping[str, object]) -> dict[str, object]:
    """The named parameters ``sql`` mentions (DuckDB refuses unused ones)."""
    return {k: v for k, v in values.items() if f"${k}" in sql}


def _run(con: duckdb.DuckDBPyConnection, name: str, values: Mapping[str, object]) -> None:
    sql = read_sql(f"incremental/{name}.sql")
    con.execute(sql, _bind(sql, values))


def models_hash(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def pairs_now(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    """The configured pairs (``ops.pairs``): pair, small, large, kind, by name."""
    return con.execute(read_sql("incremental/pairs_now.sql")).fetchall()


def pairs_hash(con: duckdb.DuckDBPyConnection) -> str:
    return hashlib.sha256(repr(pairs_now(con)).encode()).hexdigest()


def take_fingerprints(con: duckdb.DuckDBPyConnection) -> None:
    """Fingerprint ``staging.prices`` now into ``temp.price_fingerprints_now`` (before the
    build's transaction: what the build reads, as nothing else writes meanwhile)."""
    fingerprints = read_sql("incremental/fingerprints_now.sql")
    con.execute(f"create or replace temp table price_fingerprints_now as\n{fingerprints}")


def record_state(con: duckdb.DuckDBPyConnection, state: Mapping[str, str]) -> None:
    """Inside a kept build's transaction: the fingerprints and hashes the marts now match."""
    _run(con, "clear_fingerprints", {})
    _run(con, "record_fingerprints", {})
    for key, value in state.items():
        _run(con, "record_state", {"key": key, "value": value})


def plan(
    con: duckdb.DuckDBPyConnection,
    state: Mapping[str, str],
    pairs: Sequence[tuple[str, str, str]],
) -> Plan:
    """Compare the fingerprints taken now with the last build's: what to recompute, or why a
    full build is needed. ``pairs`` are (pair, small, large) as in ``ops.pairs``."""
    built = dict(con.execute(read_sql("incremental/build_state.sql")).fetchall())
    if not built:
        return Plan(reason="no record of a previous build")
    for key, value in state.items():
        if built.get(key) != value:
            what = "price models' SQL" if key.startswith("models") else "configured pairs"
            return Plan(reason=f"the {what} changed since the last build")
    changed = con.execute(read_sql("incremental/changed_symbols.sql")).fetchall()
    full: set[str] = set()
    tail: dict[str, int] = {}
    for symbol, first_changed, first_now, first_built, exists_now, existed in changed:
        if not exists_now:
            return Plan(reason=f"{symbol} has no prices any more (its rows must go)")
        if not existed or first_changed <= min(first_now, first_built):
            full.add(symbol)  # new, re-based, backfilled or changed from its first month
        else:
            tail[symbol] = first_changed
    if not full and not tail:
        return Plan()
    cut_key = min(tail.values()) if tail else None
    first_months = dict(con.execute(read_sql("incremental/first_months.sql")).fetchall())

    def young(symbol: str) -> bool:
        """No session on or before the look-back start: its whole history is short, rebuilt
        in full (cheaply)."""
        return cut_key is None or first_months.get(symbol, 0) >= cut_key - LOOKBACK_MONTHS

    for symbol in [s for s in tail if young(s)]:
        full.add(symbol)
    # A pair with a leg that has no prices has no rows, before or after: nothing to update.
    pairs = [(p, s, lg) for p, s, lg in pairs if s in first_months and lg in first_months]
    # A pair with a changed leg is recomputed, with both legs; in full if either leg is.
    growing = True
    while growing:
        growing = False
        for _, small, large in pairs:
            legs = {small, large}
            if legs & full and not legs <= full:
                full |= legs
                growing = True
            elif legs & tail.keys() and not legs <= (full | tail.keys()):
                for leg in legs - full - tail.keys():
                    if young(leg):
                        full.add(leg)
                    else:
                        tail[leg] = cut_key or 0
                growing = True
    cut = _month_start(cut_key) if cut_key is not None else None
    tail_symbols = sorted(set(tail) - full)
    rows = dict(con.execute(read_sql("incremental/symbol_rows.sql")).fetchall())
    full_rows = sum(int(rows.get(symbol, 0)) for symbol in full)
    if full_rows > SCRATCH_FULL_ROWS_LIMIT:
        return Plan(
            reason=f"{len(full)} symbol(s) with {full_rows:,} price rows to rebuild in full, more "
            f"than the in-memory scratch build takes ({SCRATCH_FULL_ROWS_LIMIT:,})"
        )
    if tail_symbols and cut is None:  # only legs pulled in by full pairs: cannot happen
        return Plan(reason="internal: tail symbols without a cut")
    full_pairs = sorted(p for p, s, lg in pairs if {s, lg} & full)
    tail_pairs = sorted(
        p for p, s, lg in pairs if {s, lg} & set(tail_symbols) and p not in full_pairs
    )
    return Plan(
        cut=cut,
        full_symbols=sorted(full),
        tail_symbols=tail_symbols,
        full_pairs=full_pairs,
        tail_pairs=tail_pairs,
    )


def build_scratch(
    con: duckdb.DuckDBPyConnection, planned: Plan, create_statements: Sequence[str]
) -> list[tuple[str, int]]:
    """Attach the in-memory ``scratch`` database, fill it with the rows to recompute, build the
    price models there; return what the guards cannot prove (empty: the plan holds)."""
    main = con.execute(read_sql("build/current_database.sql")).fetchone()
    assert main is not None
    con.execute(f"attach ':memory:' as {SCRATCH}")
    for schema in ("raw", "ops", "staging", "marts"):
        con.execute(f"create schema {SCRATCH}.{schema}")
    values = planned.parameters()
    lookback = _months_before(planned.cut, LOOKBACK_MONTHS) if planned.cut else dt.date(1, 1, 1)
    _run(con, "scratch_prices", {**values, "lookback_start": lookback})
    _run(con, "scratch_pairs", {"pairs": planned.full_pairs + planned.tail_pairs})
    con.execute(f"use {SCRATCH}")
    try:
        for statement in create_statements:
            con.execute(statement)
    finally:
        con.execute(f'use "{str(main[0]).replace(chr(34), chr(34) * 2)}"')
    sql = read_sql("incremental/scratch_guards.sql")
    guard_values = {**values, "min_before": MIN_SESSIONS_BEFORE_CUT}
    return [(str(s), int(n)) for s, n in con.execute(sql, _bind(sql, guard_values)).fetchall()]


def drop_scratch(con: duckdb.DuckDBPyConnection) -> None:
    attached = con.execute(read_sql("build/database_attached.sql"), [SCRATCH]).fetchone()
    if attached:
        con.execute(f"detach {SCRATCH}")


def write_back(con: duckdb.DuckDBPyConnection, planned: Plan) -> None:
    """Inside the build's transaction: replace the recomputed rows of every price mart."""
    values = planned.parameters()
    for mart in PRICE_MARTS:
        name = mart.split(".", 1)[1]
        _run(con, f"{name}_delete", values)
        _run(con, f"{name}_insert", values)
