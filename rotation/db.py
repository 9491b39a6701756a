"""The DuckDB file: connections, the single-writer lock, migrations and the published copy.

DuckDB lets one process open a file read-write, and a read-only opener blocks the writer too.
So writes take an OS file lock (``<db>.lock``) for their whole duration: a second writer waits
or fails with a clear message instead of DuckDB's "Conflicting lock is held", and a lock left
by a killed process disappears with the process (``flock`` is released by the kernel).

People never open the working file. After each committed run the writer publishes a copy in a
storage version the DuckDB 1.x line can open, and readers open that copy through
``reading()``: read-only, no file system or network access, configuration locked, one
read statement per call. DuckDB's ``read_only`` alone is not enough: such a connection still
runs ``ATTACH … (READ_WRITE)``, ``COPY … TO`` any path, ``read_text`` and ``INSTALL``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from rotation.sql import ROOT as SQL_DIR
from rotation.sql import read as read_sql

SCHEMA_DIR = SQL_DIR / "schema"


class DatabaseError(RuntimeError):
    """An expected database problem, with a message a user can act on."""


class DatabaseLockedError(DatabaseError):
    """Another process holds the database (or its writer lock)."""


class ReadOnlyError(DatabaseError):
    """A reader asked for something a read-only connection refuses (a write, a file, two
    statements at once)."""


# A reader's connection: no file system or network access beyond the database it opened (no
# ATTACH of the working file, no COPY TO, no read_csv/read_text, no INSTALL), and no SET that
# could switch that back on. Measured on DuckDB 2.0: allowing even the data folder
# (allowed_directories) lets `from 'data/rotation.duckdb'` attach the working file and block
# the writer, and `COPY … TO 'data/…'` write there, so readers get no directory at all.
READER_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "lock_configuration": True,
}

# Statement kinds a reader may run. Everything else (ATTACH, DETACH, COPY, EXPORT,
# INSTALL/LOAD, SET, CREATE, INSERT, ...) is refused before DuckDB sees it, with one line.
# PIVOT parses as MULTI; DESCRIBE, SHOW and SUMMARIZE parse as SELECT. PRAGMA is refused
# because DuckDB 2.0 parses `COPY FROM DATABASE` and `IMPORT DATABASE` as PRAGMA; the
# read-only pragmas are table functions (`call pragma_table_info('marts.returns')`).
READ_STATEMENTS = frozenset(
    {
        duckdb.StatementType.SELECT,
        duckdb.StatementType.EXPLAIN,
        duckdb.StatementType.CALL,
        duckdb.StatementType.MULTI,
    }
)
_STATEMENT_NAMES = {
    duckdb.StatementType.LOAD: "INSTALL/LOAD",
    duckdb.StatementType.PRAGMA: "PRAGMA (and COPY FROM DATABASE, IMPORT DATABASE)",
    duckdb.StatementType.SET: "SET/RESET/USE",
}


def _refuse_remote(path: str | Path) -> None:
    if str(path).startswith("md:"):
        raise DatabaseError(
            f"{path}: MotherDuck (md:) databases are not supported; use a file path"
        )


def connect(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database file, turning DuckDB's lock conflict into a readable error.

    A read-only connection is a reader's: external access off and configuration locked
    (``READER_CONFIG``).
    """
    _refuse_remote(path)
    path = Path(path)
    if read_only and not path.exists():
        raise DatabaseError(f"database {path} does not exist yet: run `rotation run` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if read_only:
            return duckdb.connect(str(path), read_only=True, config=READER_CONFIG)
        return duckdb.connect(str(path))
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseLockedError(
                f"database {path} is in use by another process; "
                "ad-hoc readers should open the published copy (see README)"
            ) from exc
        raise DatabaseError(f"cannot open database {path}: {exc}") from exc


_HELD_FOR_RUN: set[str] = set()  # lock files this process holds for a whole run (run_lock)


@contextmanager
def writer_lock(db_path: str | Path, *, timeout_s: float = 0.0) -> Iterator[None]:
    """Hold the single-writer lock for the database at ``db_path``.

    ``timeout_s`` > 0 waits for a running writer to finish (a scheduled run that overlaps a
    manual one); 0 fails at once with the holder's pid.

    Inside :func:`run_lock` for the same database (the command holds it for the whole run)
    it passes through: a second ``flock`` on a new descriptor would wait for the process itself.
    """
    _refuse_remote(db_path)
    lock_path = Path(f"{db_path}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    if str(lock_path.resolve()) in _HELD_FOR_RUN:
        yield
        return
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
                    raise DatabaseLockedError(
                        f"another writer (pid {holder}) is running against {db_path}"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


@contextmanager
def run_lock(db_path: str | Path, *, timeout_s: float = 0.0) -> Iterator[None]:
    """The writer lock, held by a command for a whole run (``rotation run``, ``backfill``).

    Taken before Prefect starts, so the loser of two runs started together gets one line (or
    waits, by ``timeout_s``) instead of a traceback from inside the flow; the flow and its
    failure hook call :func:`writer_lock` again inside and pass through.
    """
    with writer_lock(db_path, timeout_s=timeout_s):
        key = str(Path(f"{db_path}.lock").resolve())
        _HELD_FOR_RUN.add(key)
        try:
            yield
        finally:
            _HELD_FOR_RUN.discard(key)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()[:16]


def discover_migrations(schema_dir: Path = SCHEMA_DIR) -> list[Migration]:
    """Numbered files ``NNN_name.sql`` under ``sql/schema``, in order."""
    migrations = []
    for path in sorted(schema_dir.glob("*.sql")):
        number, _, name = path.stem.partition("_")
        if not number.isdigit() or not name:
            raise DatabaseError(f"migration file {path.name} must be named NNN_name.sql")
        migrations.append(Migration(int(number), name, path.read_text()))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise DatabaseError(f"duplicate migration numbers in {schema_dir}")
    return migrations


def migrate(con: duckdb.DuckDBPyConnection, schema_dir: Path = SCHEMA_DIR) -> list[Migration]:
    """Apply the migrations not yet recorded in ``ops.schema_migrations``; return them.

    Each migration runs in its own transaction with its bookkeeping row, so a crash leaves
    either both or neither. An applied file that was edited afterwards is an error: schema
    changes go in a new numbered file.
    """
    con.execute(read_sql("ops/schema_migrations_create.sql"))
    applied = dict(con.execute(read_sql("ops/schema_migrations_applied.sql")).fetchall())
    done = []
    for migration in discover_migrations(schema_dir):
        if migration.version in applied:
            if applied[migration.version] != migration.checksum:
                raise DatabaseError(
                    f"migration {migration.version:03d}_{migration.name}.sql changed after it "
                    "was applied; add a new numbered migration instead"
                )
            continue
        con.execute("begin transaction")
        try:
            con.execute(migration.sql)
            con.execute(
                read_sql("ops/schema_migrations_record.sql"),
                [migration.version, migration.name, migration.checksum],
            )
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        done.append(migration)
    return done


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Everything inside commits together or not at all (a killed run leaves no half batch)."""
    con.execute("begin transaction")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


@contextmanager
def writing(db_path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-write connection with the schema up to date.

    The caller holds ``writer_lock`` for the whole run; each stage opens and closes its own
    connection (30-40 ms), so no connection object crosses a task boundary.
    """
    con = connect(db_path)
    try:
        migrate(con)
        yield con
    finally:
        con.close()


@contextmanager
def reading(db_path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A reader's connection (see ``READER_CONFIG``); the caller passes the published copy."""
    con = connect(db_path, read_only=True)
    try:
        yield con
    finally:
        con.close()


def read_statement(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """The one read statement in ``sql``, or ``ReadOnlyError`` saying why not.

    One statement per call: with several, DuckDB runs them all and shows only the last
    result, so a write hidden before a SELECT would go unseen.
    """
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise ReadOnlyError(f"query failed: {str(exc).splitlines()[0]}") from None
    except ValueError:  # a statement kind the Python API has no name for (UPDATE EXTENSIONS)
        raise ReadOnlyError("query refused: not a read statement") from None
    if not statements:
        raise ReadOnlyError("no statement given")
    if len(statements) != 1:
        raise ReadOnlyError(
            f"one statement per call, found {len(statements)}: run them one at a time"
        )
    try:
        kind = statements[0].type
    except ValueError:  # a statement type the Python API has no name for (UPDATE EXTENSIONS)
        raise ReadOnlyError(
            "query refused: not a read statement (a statement type this client does not know)"
        ) from None
    if kind not in READ_STATEMENTS:
        name = _STATEMENT_NAMES.get(kind, kind.name.replace("_", " "))
        raise ReadOnlyError(
            f"{name} statements are refused: the published copy is read-only "
            "(SELECT, DESCRIBE, SHOW, SUMMARIZE, PIVOT, EXPLAIN, CALL are allowed)"
        )
    return sql


def publish_copy(
    db_path: str | Path, published_path: str | Path, storage_version: str = ""
) -> Path:
    """Refresh the read-only copy ad-hoc readers open, atomically.

    DuckDB allows one read-write process, and a reader blocks the writer too, so people never
    open the working file: after each committed run the writer checkpoints (so the copy holds
    what is still in the ``.wal``), writes the copy next to the target and renames it into
    place. A reader sees the previous finished run or this one, never half of one.

    ``storage_version`` (e.g. ``v1.4.0``) writes the copy in that DuckDB storage format with
    ``COPY FROM DATABASE``, so readers on the DuckDB 1.x line can open it (2.0's own format,
    v69, is refused by 1.5.6); empty copies the file byte for byte in the writer's format.
    """
    source, target = Path(db_path), Path(published_path)
    con = connect(source)
    try:
        con.execute("checkpoint")
    finally:
        con.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    # Leftovers of a publisher killed mid-copy: the caller holds the writer lock, so no other
    # publisher is writing one now.
    for stale in target.parent.glob(f".{target.name}.*.tmp*"):
        stale.unlink(missing_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        if storage_version:
            _copy_in_storage_version(source, temporary, storage_version)
        else:
            shutil.copyfile(source, temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
        Path(f"{temporary}.wal").unlink(missing_ok=True)
    return target


def _copy_in_storage_version(source: Path, target: Path, storage_version: str) -> None:
    """Copy every schema, table and macro of ``source`` into a new file ``target`` written in
    ``storage_version``, with each view stored as a table of its rows (see
    ``sql/publish/working_views.sql`` for why). Runs while the caller holds the writer lock."""
    con = duckdb.connect()
    try:
        _publish_step(con, "attach_working", {"path": str(source)})
        _publish_step(
            con, "attach_published", {"path": str(target), "storage_version": storage_version}
        )
        _publish_step(con, "copy_working_to_published", {})
        views = _publish_step(con, "working_views", {}).fetchall()
        for schema, view in views:
            # Identifiers from our own catalog, quoted; no value is formatted into SQL.
            name = f"{_quote(schema)}.{_quote(view)}"
            _publish_step(con, "drop_published_view", {}, name)
            _publish_step(con, "materialize_view", {}, name)
        _publish_step(con, "detach_published", {})
    finally:
        con.close()


def _publish_step(
    con: duckdb.DuckDBPyConnection, step: str, parameters: dict[str, str], name: str = ""
) -> duckdb.DuckDBPyConnection:
    sql = read_sql(f"publish/{step}.sql")
    if name:
        sql = sql.replace("__view__", name)
    try:
        return con.execute(sql, parameters or None)
    except duckdb.Error as exc:
        raise DatabaseError(f"publishing failed at {step}: {str(exc).splitlines()[0]}") from None


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
