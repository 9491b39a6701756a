"""The DuckDB file: connections, the single-writer lock and numbered migrations.

DuckDB lets one process open a file read-write, and a read-only opener blocks the writer too.
So writes take an OS file lock (``<db>.lock``) for their whole duration: a second writer waits
or fails with a clear message instead of DuckDB's "Conflicting lock is held", and a lock left
by a killed process disappears with the process (``flock`` is released by the kernel).
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

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
SCHEMA_DIR = SQL_DIR / "schema"


class DatabaseError(RuntimeError):
    """An expected database problem, with a message a user can act on."""


class DatabaseLockedError(DatabaseError):
    """Another process holds the database (or its writer lock)."""


def _is_remote(path: str | Path) -> bool:
    return str(path).startswith("md:")


def connect(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database file, turning DuckDB's lock conflict into a readable error."""
    if not _is_remote(path):
        path = Path(path)
        if read_only and not path.exists():
            raise DatabaseError(f"database {path} does not exist yet: run `rotation run` first")
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseLockedError(
                f"database {path} is in use by another process; "
                "ad-hoc readers should open the published copy (see README)"
            ) from exc
        raise DatabaseError(f"cannot open database {path}: {exc}") from exc


@contextmanager
def writer_lock(db_path: str | Path, *, timeout_s: float = 0.0) -> Iterator[None]:
    """Hold the single-writer lock for the database at ``db_path``.

    ``timeout_s`` > 0 waits for a running writer to finish (a scheduled run that overlaps a
    manual one); 0 fails at once with the holder's pid.
    """
    if _is_remote(db_path):
        yield  # MotherDuck arbitrates writers itself
        return
    lock_path = Path(f"{db_path}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
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
    con.execute("create schema if not exists ops")
    con.execute(
        """create table if not exists ops.schema_migrations (
               version integer primary key, name varchar not null,
               checksum varchar not null, applied_at timestamptz not null default now())"""
    )
    applied = dict(con.execute("select version, checksum from ops.schema_migrations").fetchall())
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
                "insert into ops.schema_migrations (version, name, checksum) values (?, ?, ?)",
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
    con = connect(db_path, read_only=True)
    try:
        yield con
    finally:
        con.close()


def publish_copy(db_path: str | Path, published_path: str | Path) -> Path | None:
    """Refresh the read-only copy ad-hoc readers open, atomically.

    DuckDB allows one read-write process, and a reader blocks the writer too, so people never
    open the working file: after each committed run the writer checkpoints (so the copy holds
    what is still in the ``.wal``), copies the file next to the target and renames it into
    place. A reader sees the previous finished run or this one, never half of one.
    """
    if _is_remote(db_path):
        return None  # MotherDuck serves concurrent readers itself
    source, target = Path(db_path), Path(published_path)
    con = connect(source)
    try:
        con.execute("checkpoint")
    finally:
        con.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, temporary)
    os.replace(temporary, target)
    return target
