"""Copy the breadth settings the marts read into ``ops.breadth_settings`` before a build.

The breadth model compares members with a configured benchmark; keeping the value in a table
(rather than formatting it into the model) keeps the model one plain select and the value a
parameter.
"""

from __future__ import annotations

import duckdb

from rotation.db import SQL_DIR


def sync_breadth_settings(con: duckdb.DuckDBPyConnection, benchmark: str) -> None:
    """Store ``[breadth] benchmark`` for ``marts.breadth``."""
    con.execute((SQL_DIR / "load" / "breadth_settings.sql").read_text(), [benchmark])
