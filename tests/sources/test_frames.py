"""A load statement that fails inside a transaction is reported by its own error."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from sources.frames import registered


def test_the_real_error_survives_an_aborted_transaction() -> None:
    con = duckdb.connect()
    con.execute("create table t (shares bigint)")
    frame = pd.DataFrame({"shares": [10**20]}, dtype=object)
    con.execute("begin transaction")
    with (
        pytest.raises(duckdb.ConversionException, match="out of range"),
        registered(con, "batch", frame),
    ):
        con.execute("insert into t select shares from batch")
    con.execute("rollback")
    with registered(con, "batch", pd.DataFrame({"shares": [5]})):  # the name is free again
        con.execute("insert into t select shares from batch")
    assert con.execute("select * from t").fetchall() == [(5,)]
