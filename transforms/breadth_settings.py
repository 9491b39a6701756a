"""Copy the breadth settings the marts read into ``ops.breadth_settings`` before a build.

The breadth models compare members with a configured benchmark and flag thrusts and
divergences at configured levels; keeping the value in a table
(rather than formatting it into the model) keeps the model one plain select and the value a
parameter.
"""

from __future__ import annotations

import duckdb

from rotation.settings import BreadthSettings
from rotation.sql import read as read_sql


def sync_breadth_settings(con: duckdb.DuckDBPyConnection, breadth: BreadthSettings) -> None:
    """Store the ``[breadth]`` values ``marts.breadth`` and ``marts.breadth_signals`` read."""
    con.execute(
        read_sql("load/breadth_settings.sql"),
        [
            breadth.benchmark,
            breadth.thrust_low,
            breadth.thrust_high,
            breadth.thrust_sessions,
            breadth.divergence_sessions,
            breadth.divergence_min_drop,
        ],
    )
