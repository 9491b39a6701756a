"""The DuckDB file: migrations applied once, the single-writer lock, readable lock errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from rotation.db import (
    SCHEMA_DIR,
    DatabaseError,
    DatabaseLockedError,
    connect,
    migrate,
    publish_copy,
    transaction,
    writer_lock,
)


def test_migrations_apply_once_and_are_recorded() -> None:
    con = duckdb.connect()
    applied = migrate(con)
    assert [m.version for m in applied] == sorted(m.version for m in applied)
    assert migrate(con) == []  # second time: nothing to do
    recorded = con.execute("select count(*) from ops.schema_migrations").fetchone()
    assert recorded == (len(applied),)
    schemas = {
        r[0] for r in con.execute("select schema_name from information_schema.schemata").fetchall()
    }
    assert {"raw", "staging", "marts", "alerts", "ops"} <= schemas


def test_an_applied_migration_that_changed_is_refused(tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(SCHEMA_DIR, schema)
    con = duckdb.connect()
    migrate(con, schema)
    first = sorted(schema.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with pytest.raises(DatabaseError, match="changed after it was applied"):
        migrate(con, schema)


def test_a_failing_migration_leaves_nothing_behind(tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    schema.mkdir()
    (schema / "001_ok.sql").write_text("create table t (a int);")
    (schema / "002_bad.sql").write_text("create table u (a int); select * from missing_table;")
    con = duckdb.connect()
    with pytest.raises(duckdb.Error):
        migrate(con, schema)
    assert con.execute("select version from ops.schema_migrations").fetchall() == [(1,)]
    tables = {
        r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
    }
    assert "u" not in tables


def test_transaction_rolls_back_on_error() -> None:
    con = duckdb.connect()
    con.execute("create table t (a int)")
    with pytest.raises(ZeroDivisionError), transaction(con):
        con.execute("insert into t values (1)")
        raise ZeroDivisionError
    assert con.execute("select count(*) from t").fetchone() == (0,)


def test_writer_lock_names_the_holder_and_is_released_on_exit(db_path: Path) -> None:
    with writer_lock(db_path):
        child = subprocess.run(
            [sys.executable, "-c",
             "import sys; from rotation.db import writer_lock\n"
             f"with writer_lock({str(db_path)!r}): pass"],
            capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2],
        )  # fmt: skip
        assert child.returncode != 0
        assert f"another writer (pid {os.getpid()})" in child.stderr
    with writer_lock(db_path):  # released: we can take it again
        pass


def test_a_killed_writer_does_not_leave_a_stale_lock(db_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import time; from rotation.db import writer_lock\n"
         f"with writer_lock({str(db_path)!r}):\n    print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    with pytest.raises(DatabaseLockedError), writer_lock(db_path):
        pass
    holder.kill()
    holder.wait()
    started = time.monotonic()
    with writer_lock(db_path, timeout_s=5):
        pass
    assert time.monotonic() - started < 5


def test_duckdb_lock_conflict_becomes_a_readable_error(db_path: Path) -> None:
    connect(db_path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, time\n"
         f"c = duckdb.connect({str(db_path)!r}); print('open', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(DatabaseLockedError, match="in use by another process"):
            connect(db_path, read_only=True)
    finally:
        holder.kill()
        holder.wait()


def test_reading_a_database_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="does not exist yet"):
        connect(tmp_path / "absent.duckdb", read_only=True)


def test_published_copy_holds_committed_rows_and_can_be_read_alongside(db_path: Path) -> None:
    con = connect(db_path)
    con.execute("create table t as select range as a from range(1000)")
    con.close()
    published = publish_copy(db_path, db_path.with_name("read.duckdb"))
    assert published is not None
    reader = connect(published, read_only=True)
    writer = connect(db_path)  # the reader of the copy does not block the writer
    writer.execute("insert into t values (-1)")
    writer.close()
    assert reader.execute("select count(*) from t").fetchone() == (1000,)
    reader.close()
