"""Read-only means read-only: every write path through `rotation query` and `rotation shell`
is refused with one line, and the working and published databases stay byte-identical.

The commands run in-process (``cli.main.main``): the same code path as the console script,
without a Python start-up per statement.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from cli.main import main
from cli.shell import run_shell
from rotation.db import migrate, publish_copy, reading


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def databases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    """A working database with a row, its published copy, a CSV outside the data folder."""
    data = tmp_path / "data"
    working = data / "rotation.duckdb"
    data.mkdir()
    con = duckdb.connect(str(working))
    migrate(con)
    con.execute(
        "insert into ops.runs (run_id, flow, as_of, started_at, finished_at, status, message) "
        "values ('r1', 'daily-run', '2025-09-26', now(), now(), 'completed', 'ok')"
    )
    con.close()
    published = publish_copy(working, data / "rotation.read.duckdb")
    outside = tmp_path / "outside.csv"
    outside.write_text("a\n1\n")
    monkeypatch.setenv("ROTATION_STORAGE_PATH", str(working))
    monkeypatch.delenv("ROTATION_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    paths = {"working": working, "published": published, "outside": outside, "tmp": tmp_path}
    before = {name: _digest(paths[name]) for name in ("working", "published")}
    yield paths
    after = {name: _digest(paths[name]) for name in ("working", "published")}
    assert after == before, "a reader changed a database file"
    assert sorted(p.name for p in data.iterdir()) == sorted(
        ["rotation.duckdb", "rotation.read.duckdb"]
    ), "a reader created a file in the data folder"


# (statement, what the one-line error says). {working}, {tmp}, {outside} are filled in.
WRITE_PATHS = [
    ("attach '{working}' as w (read_write)", "ATTACH statements are refused"),
    ("attach '{working}' as w (read_only)", "ATTACH statements are refused"),
    ("attach ':memory:' as m", "ATTACH statements are refused"),
    ("copy ops.runs to '{working}'", "COPY statements are refused"),
    ("copy (select 1 as a) to '{tmp}/out.csv'", "COPY statements are refused"),
    ("copy ops.runs from '{outside}'", "COPY statements are refused"),
    ("copy from database rotation to memory", "COPY FROM DATABASE"),
    ("export database '{tmp}/exported'", "EXPORT statements are refused"),
    ("install httpfs", "INSTALL/LOAD statements are refused"),
    ("load httpfs", "INSTALL/LOAD statements are refused"),
    ("set enable_external_access = true", "SET/RESET/USE statements are refused"),
    ("reset lock_configuration", "SET/RESET/USE statements are refused"),
    ("pragma enable_profiling", "PRAGMA"),
    ("delete from ops.runs", "DELETE statements are refused"),
    ("update ops.runs set status = 'x'", "UPDATE statements are refused"),
    ("insert into ops.runs (run_id) values ('x')", "INSERT statements are refused"),
    ("create table t as select 1", "CREATE statements are refused"),
    ("create temp table t as select 1", "CREATE statements are refused"),
    ("drop table ops.runs", "DROP statements are refused"),
    ("detach rotation", "DETACH statements are refused"),
    ("select 1; delete from ops.runs", "one statement per call, found 2"),
    ("select 1; select 2", "one statement per call, found 2"),
    # File readers: the connection has no file system access at all (see READER_CONFIG).
    ("select * from read_text('/etc/passwd')", "disabled by configuration"),
    ("select * from read_csv('{outside}')", "disabled by configuration"),
    ("select * from '{outside}'", "disabled by configuration"),
    ("select * from read_blob('{working}')", "disabled by configuration"),
    ("select * from read_duckdb('{working}')", "disabled by configuration"),
    ("from '{working}'", "disabled by configuration"),
    ("select * from glob('{tmp}/*')", "disabled by configuration"),
]


@pytest.mark.parametrize(("statement", "message"), WRITE_PATHS)
def test_query_refuses_with_one_line_and_changes_nothing(
    databases: dict[str, Path], capsys: pytest.CaptureFixture[str], statement: str, message: str
) -> None:
    sql = statement.format(**{k: str(v) for k, v in databases.items()})
    assert main(["query", sql]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_query_still_reads(databases: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    for sql in ("select run_id from ops.runs", "describe ops.runs", "show tables",
                "summarize ops.runs", "call pragma_table_info('ops.runs')",
                "explain select 1", "pivot ops.runs on status using count(*)"):  # fmt: skip
        assert main(["query", sql, "--format", "csv"]) == 0, capsys.readouterr().err
    assert "r1" in capsys.readouterr().out


def test_shell_refuses_every_write_path(
    databases: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [s.format(**{k: str(v) for k, v in databases.items()}) + ";" for s, _ in WRITE_PATHS]
    feed = iter([*lines, "select 'still here' as answer;"])

    def read(prompt: str) -> str:
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    with reading(databases["published"]) as con:
        run_shell(con, read=read)
    out = capsys.readouterr().out
    errors = [line for line in out.splitlines() if line.startswith("error: ")]
    assert len(errors) == len(WRITE_PATHS)
    for (_, message), line in zip(WRITE_PATHS, errors, strict=True):
        assert message in line, line
    assert "still here" in out


def test_the_connection_itself_refuses_without_the_statement_check(
    databases: dict[str, Path],
) -> None:
    """Defence in depth: a reader's connection refuses files and settings even when a
    statement reaches DuckDB unchecked (as in a Python session using ``reading()``)."""
    with reading(databases["published"]) as con:
        for sql in (f"attach '{databases['working']}' as w",
                    f"copy ops.runs to '{databases['tmp']}/x.csv'",
                    f"select * from read_csv('{databases['outside']}')",
                    "install httpfs", "set enable_external_access = true",
                    "set allowed_directories = ['/']"):  # fmt: skip
            with pytest.raises(duckdb.Error):
                con.execute(sql)
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("delete from ops.runs")


def test_a_reader_does_not_block_the_writer(databases: dict[str, Path]) -> None:
    with reading(databases["published"]) as con:
        assert con.execute("select count(*) from ops.runs").fetchone() == (1,)
        writer = subprocess.run(
            [sys.executable, "-c",
             f"import duckdb; duckdb.connect({str(databases['working'])!r}).close()"],
            capture_output=True, text=True,
        )  # fmt: skip
        assert writer.returncode == 0, writer.stderr


BAD_RULE = (
    '[[rules]]\nname = "x"\nfamily = "nope"\nindicator = "spread_20d"\nsubject = "IWM/IWB"\n'
    'direction = "above"\nthreshold = 0.05\nseverity = "info"\nkind = "catalyst"\n'
    'title = "t"\nmeaning = "m"\n'
)


def test_bad_alert_rules_stop_a_run_before_anything_is_fetched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad rule found at the alerts stage would fail a run whose prices were committed."""
    config = tmp_path / "rotation.toml"
    config.write_text(BAD_RULE)
    monkeypatch.delenv("ROTATION_STORAGE_PATH", raising=False)
    monkeypatch.chdir(tmp_path)
    replay = tmp_path / "replay"
    replay.mkdir()
    args = ["--config", str(config), "run", "--replay", str(replay), "--date", "2025-09-26"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: [[rules]] rule 'x': family 'nope'") and err.count("\n") == 1
    assert not (tmp_path / "data").exists()  # nothing fetched, nothing written


def test_the_flows_check_the_rules_first(tmp_path: Path) -> None:
    """Deployments start the flow without the CLI: the flow's first step checks them too."""
    from alerts import AlertsError
    from flows.daily import _settings

    config = tmp_path / "rotation.toml"
    config.write_text(BAD_RULE)
    with pytest.raises(AlertsError, match="family 'nope'"):
        _settings(str(config))
