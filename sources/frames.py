"""Registering a pandas frame with DuckDB for one load statement, without masking its error.

After a statement fails inside a transaction DuckDB refuses every further call on that
connection, ``unregister`` included ("Current transaction is aborted (please ROLLBACK)"). A
plain ``finally: con.unregister(...)`` therefore replaced the real cause (a value out of range
for its column, named by DuckDB) with that secondary message, and the user was told about an
aborted transaction instead of the value. Here the original error always wins.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import duckdb
import pandas as pd


@contextlib.contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> Iterator[None]:
    """``frame`` visible as ``name`` inside the block; unregistered after, errors preserved."""
    con.register(name, frame)
    try:
        yield
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # the connection may refuse: keep the cause
            con.unregister(name)
        raise
    con.unregister(name)
