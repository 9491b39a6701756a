"""Isolation: an audit's damage pinned on its subjects holds those subjects, not the build.

A blocking audit that declares ``-- subject: symbol`` names, in each offending row, the symbol
the damage belongs to (a level shift in one fund, a re-basing gone wrong in one member). Rolling
the whole build back for it would keep every other symbol's marts at the day before, on every
run until someone repairs that one series (issue 15). Instead, inside the build's transaction
and after the audits ran, each held subject's rows in every mart table whose ``-- grain:``
names the subject's column are put back as the previous build committed them (or left out when
there was none: a new symbol's damage is not shown at all). A held symbol holds the pairs it is
a leg of too (``ops.pairs``), in the marts keyed by ``pair``.

The previous rows are read through a second connection to the same database: it sees the last
committed build, which the build's own transaction has not replaced yet (DuckDB's MVCC).

What is not held: marts that aggregate many subjects into one row (breadth, the dashboard);
one member among thousands moves them by its share, and the incident says which symbol it was.
The held symbols' fingerprints are forgotten (``sql/incremental/forget_fingerprints.sql``), so
the next incremental build recomputes them from their prices and audits them again: a repaired
series comes back, a still damaged one is held again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import duckdb

from rotation.sql import read as read_sql
from transforms.audits import AuditResult
from transforms.grain import Grain

log = logging.getLogger(__name__)

PAIR = "pair"
SYMBOL = "symbol"


@dataclass(frozen=True)
class HeldRows:
    """One mart's rows of held subjects: how many the build made, how many were put back."""

    mart: str
    column: str
    subjects: tuple[str, ...]
    removed: int
    restored: int


def held_subjects(results: Iterable[AuditResult]) -> dict[str, set[str]]:
    """Subject column -> the subjects the audits hold."""
    held: dict[str, set[str]] = {}
    for result in results:
        if result.held and result.subject:
            held.setdefault(result.subject, set()).update(result.held)
    return held


def _table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, name = qualified.split(".", 1)
    row = con.execute(read_sql("build/table_exists.sql"), [schema, name]).fetchone()
    return bool(row and row[0])


def _pairs_of(con: duckdb.DuckDBPyConnection, symbols: Sequence[str]) -> set[str]:
    if not _table_exists(con, "ops.pairs"):
        return set()
    rows = con.execute(read_sql("ops/pairs_of_symbols.sql"), [list(symbols)]).fetchall()
    return {str(r[0]) for r in rows}


def _legs_of(con: duckdb.DuckDBPyConnection, pairs: Sequence[str]) -> set[str]:
    if not _table_exists(con, "ops.pairs"):
        return set()
    rows = con.execute(read_sql("ops/pair_legs.sql"), [list(pairs)]).fetchall()
    return {str(leg) for row in rows for leg in row}


def hold(
    con: duckdb.DuckDBPyConnection, grains: Iterable[Grain], held: Mapping[str, set[str]]
) -> list[HeldRows]:
    """Inside the build's transaction on ``con``: put the held subjects' rows of every mart
    keyed by their column back as the last committed build had them. Returns what was done."""
    wanted = {column: set(subjects) for column, subjects in held.items() if subjects}
    if not wanted:
        return []
    pairs = _pairs_of(con, sorted(wanted[SYMBOL])) if SYMBOL in wanted else set()
    if pairs:
        wanted.setdefault(PAIR, set()).update(pairs)
    done: list[HeldRows] = []
    previous = con.cursor()  # another connection: it sees the last committed build
    try:
        previous.execute("begin transaction")
        for grain in sorted(grains, key=lambda g: g.model):
            for column in grain.columns:
                if column not in wanted:
                    continue
                subjects = sorted(wanted[column])
                done.append(_put_back(con, previous, grain.model, column, subjects))
                break
        previous.execute("rollback")
    finally:
        previous.close()
    symbols = set(wanted.get(SYMBOL, set())) | _legs_of(con, sorted(held.get(PAIR, set())))
    if symbols and _table_exists(con, "ops.price_fingerprints"):
        con.execute(read_sql("incremental/forget_fingerprints.sql"), {"symbols": sorted(symbols)})
    for item in (d for d in done if d.removed or d.restored):
        log.warning(
            "held %s %s in %s: %d new row(s) replaced by %d of the previous build",
            item.column,
            ", ".join(item.subjects[:5]) + (" …" if len(item.subjects) > 5 else ""),
            item.mart,
            item.removed,
            item.restored,
        )
    return done


def _put_back(
    con: duckdb.DuckDBPyConnection,
    previous: duckdb.DuckDBPyConnection,
    mart: str,
    column: str,
    subjects: list[str],
) -> HeldRows:
    # identifiers come from '-- grain:' headers, checked against [a-z_][a-z0-9_]* when read
    where = f"list_contains($subjects, cast({column} as varchar))"
    removed_row = con.execute(f"select count(*) from {mart} where {where}", {"subjects": subjects})
    counted = removed_row.fetchone()
    removed = int(counted[0]) if counted else 0
    con.execute(f"delete from {mart} where {where}", {"subjects": subjects})
    restored = 0
    if _table_exists(previous, mart):
        rows = previous.execute(f"select * from {mart} where {where}", {"subjects": subjects}).df()
        restored = len(rows)
        if restored:
            con.register("held_previous_rows", rows)
            try:
                con.execute(f"insert into {mart} by name select * from held_previous_rows")
            except duckdb.Error as exc:  # the mart's columns changed since: leave them out
                log.warning("%s: previous rows of %s not put back (%s)", mart, subjects, exc)
                restored = 0
            finally:
                con.unregister("held_previous_rows")
    return HeldRows(mart, column, tuple(subjects), removed, restored)
