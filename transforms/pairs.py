"""Mirror the configured pairs into ``ops.pairs`` so the SQL models can join them.

Configuration (``rotation.settings.Pair``) is the source of truth; the table is a copy that
makes the pairs visible to SQL and to ad-hoc readers. It is replaced before each build so a
pair removed from the configuration disappears from the marts too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Protocol

import duckdb

from rotation.sql import read as read_sql


class PairLike(Protocol):
    """What sync_pairs reads from a pair (``rotation.settings.Pair`` has all four)."""

    @property
    def name(self) -> str: ...

    @property
    def small(self) -> str: ...

    @property
    def large(self) -> str: ...

    @property
    def kind(self) -> str: ...


def sync_pairs(con: duckdb.DuckDBPyConnection, pairs: Iterable[PairLike]) -> int:
    """Make ``ops.pairs`` hold exactly ``pairs``, in one transaction; return how many.

    Rows are upserted and the others deleted, rather than delete-all then insert: DuckDB can
    trip its unique check when one transaction deletes and re-inserts the same key.
    """
    rows = [(p.name, p.small, p.large, p.kind) for p in pairs]
    names = [r[0] for r in rows]
    duplicates = sorted(n for n, times in Counter(names).items() if times > 1)
    if duplicates:
        raise ValueError(f"pair(s) configured twice: {', '.join(duplicates)}")
    stored = con.execute(read_sql("ops/pairs_stored.sql")).fetchall()
    if sorted(stored) == sorted(rows):
        return len(rows)  # the daily case: nothing to write
    con.execute("begin transaction")
    try:
        con.execute(read_sql("ops/pairs_prune.sql"), [names])
        if rows:
            # one statement over four lists (unnest zips them): executemany costs ~3 ms a row
            con.execute(
                read_sql("ops/pairs_upsert.sql"),
                [list(column) for column in zip(*rows, strict=True)],
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return len(rows)
