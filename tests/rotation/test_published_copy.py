"""The published copy: atomic, and readable by the DuckDB 1.x line.

DuckDB 2.0 writes storage version 69 by default, which duckdb 1.5.6 (the newest 1.x) refuses.
The copy is written in ``[storage] published_storage_version`` instead; the proof is opening
it with duckdb==1.5.6 in an environment of its own (built once per session with uv, from its
cache or the package registry; the tests skip with the reason when that install fails).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from rotation.db import DatabaseError, migrate, publish_copy
from rotation.settings import StorageSettings
from transforms import build_models

REPO = Path(__file__).resolve().parents[2]
OLD_DUCKDB = "1.5.6"

# Every table and view: its column types, row count and an order-independent digest of the
# rows as text, in UTC; the same script runs under duckdb 2.0 (here) and 1.5.6 (subprocess).
FINGERPRINT = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("set timezone = 'UTC'")
out = {}
objects = con.execute(
    "select schema_name, table_name from duckdb_tables() union all "
    "select schema_name, view_name from duckdb_views() where not internal order by 1, 2"
).fetchall()
for schema, name in objects:
    types = con.execute(
        "select list(data_type order by column_index) from duckdb_columns() "
        "where schema_name = ? and table_name = ?", [schema, name]).fetchone()[0]
    rows, digest = con.execute(
        f'select count(*), md5(coalesce(string_agg(cast(t as varchar), chr(10) '
        f'order by cast(t as varchar)), \\'\\')) from "{schema}"."{name}" as t').fetchone()
    out[f"{schema}.{name}"] = [types, rows, digest]
out["version"] = duckdb.__version__
print(json.dumps(out))
"""


@pytest.fixture(scope="session")
def old_duckdb_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Python with duckdb==1.5.6 and nothing else, in pytest's temporary folder."""
    uv = REPO / ".tools" / "bin" / "uv"
    uv_cmd = str(uv) if uv.exists() else shutil.which("uv")
    if uv_cmd is None:
        pytest.skip("uv is not installed (make install puts it in .tools/bin)")
    venv = tmp_path_factory.mktemp("duckdb-1x") / "venv"
    python = venv / "bin" / "python"
    try:
        subprocess.run([uv_cmd, "venv", "-q", str(venv)], check=True, capture_output=True,
                       timeout=120)  # fmt: skip
        subprocess.run(
            [uv_cmd, "pip", "install", "-q", "--python", str(python), f"duckdb=={OLD_DUCKDB}"],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        pytest.skip(f"cannot install duckdb=={OLD_DUCKDB} with uv: {detail.decode()[-300:]}")
    return python


@pytest.fixture(scope="module")
def working_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every migration and model (views included), and rows in the tables whose types are the
    least portable: JSON, VARCHAR[], TIMESTAMPTZ, STRUCT lists (marts.daily_dashboard)."""
    db = tmp_path_factory.mktemp("published") / "rotation.duckdb"
    con = duckdb.connect(str(db))
    migrate(con)
    con.execute(
        "insert into ops.runs (run_id, flow, as_of, started_at, finished_at, status, message) "
        "values ('r1', 'daily-run', '2025-09-26', now(), now(), 'completed', 'ok')"
    )
    con.execute("insert into ops.pairs values ('IWM/SPY', 'IWM', 'SPY', 'total_return')")
    con.execute(
        "insert into raw.prices (symbol, date, open, high, low, close, adj_close, "
        "adj_close_received, volume, adjustment, source, fetched_at, run_id) "
        "select s, date '2025-01-01' + i::int, 100 + i, 101 + i, 99 + i, 100 + i, 100 + i, "
        "100 + i, 1000, 'auto', 'test', now(), 'r1' from range(1, 40) r(i), "
        "(values ('IWM'), ('SPY')) v(s) where isodow(date '2025-01-01' + i::int) < 6"
    )
    con.execute(
        "insert into alerts.events (event_id, rule, subject, event_date, transition, kind, "
        "severity, value, threshold, title, body_text, body_html, slack_block, channels, "
        "suppressed, run_id, created_at) values ('e1', 'r', 'IWM', date '2025-09-26', 'fired', "
        "'risk', 'warning', 1.5, 1.0, 't', 'b', '<p>b</p>', '{\"type\": \"section\"}', "
        "['console', 'slack'], false, 'r1', now())"
    )
    build_models(con)
    con.close()
    return db


def _fingerprint(python: str, db: Path) -> dict[str, list[object]]:
    result = subprocess.run([python, "-c", FINGERPRINT, str(db)], capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_the_default_copy_opens_in_duckdb_1x_with_every_row(
    working_db: Path, old_duckdb_python: Path, tmp_path: Path
) -> None:
    version = StorageSettings().published_storage_version
    published = publish_copy(working_db, tmp_path / "rotation.read.duckdb", version)
    old = _fingerprint(str(old_duckdb_python), published)
    new = _fingerprint(sys.executable, working_db)
    assert old.pop("version") == OLD_DUCKDB and new.pop("version") == duckdb.__version__
    assert old == new  # same objects, types, row counts and rows (views stored as tables)
    assert old["raw.prices"][1] > 0 and old["staging.pair_returns"][1] > 0
    assert old["alerts.events"][1] == 1
    assert not list(tmp_path.glob(".*.tmp")), "the temporary file was left behind"


def test_the_writers_own_format_is_refused_by_duckdb_1x(
    working_db: Path, old_duckdb_python: Path, tmp_path: Path
) -> None:
    """Why the setting exists: a byte copy (storage v69) does not open in 1.5.6."""
    published = publish_copy(working_db, tmp_path / "plain.duckdb", "")
    result = subprocess.run(
        [str(old_duckdb_python), "-c", f"import duckdb; duckdb.connect({str(published)!r})"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0 and "version" in result.stderr


def test_views_are_tables_in_a_versioned_copy(working_db: Path, tmp_path: Path) -> None:
    published = publish_copy(working_db, tmp_path / "r.duckdb", "v1.0.0")
    con = duckdb.connect(str(published), read_only=True)
    try:
        views = con.execute("select count(*) from duckdb_views() where not internal").fetchone()
        kinds = con.execute(
            "select table_type from information_schema.tables "
            "where table_schema = 'staging' and table_name = 'pair_returns'"
        ).fetchall()
        macro = con.execute(
            "select count(*) from marts.cumulative_return(date '2025-01-02')"
        ).fetchone()
    finally:
        con.close()
    assert views == (0,) and kinds == [("BASE TABLE",)]
    assert macro is not None and macro[0] > 0  # table macros survive the copy


def test_a_failed_publish_keeps_the_previous_copy(working_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "r.duckdb"
    (tmp_path / ".r.duckdb.99999.tmp").write_text("left by a publisher killed mid-copy")
    publish_copy(working_db, target, "v1.0.0")
    assert not list(tmp_path.glob(".*.tmp")), "a stale temporary file was left"
    before = target.read_bytes()
    with pytest.raises(DatabaseError, match="publishing failed at attach_published"):
        publish_copy(working_db, target, "v0.0.1")  # not a storage version DuckDB knows
    assert target.read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))
