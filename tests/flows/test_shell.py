"""``rotation shell``: statements across lines, errors on one line, read-only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from cli.shell import run_shell


def scripted(lines: list[str]) -> object:
    feed: Iterator[str] = iter(lines)

    def read(prompt: str) -> str:
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    return read


def test_shell_runs_statements_and_survives_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "r.duckdb"
    writer = duckdb.connect(str(db))
    writer.execute("create schema marts; create table marts.t as select 42 as answer")
    writer.close()
    con = duckdb.connect(str(db), read_only=True)
    run_shell(con, read=scripted([".tables", "select answer", "from marts.t;",
                                  "delete from marts.t;", "select 1 as still_here;"]))  # fmt: skip
    out = capsys.readouterr().out
    assert "marts" in out and "42" in out
    assert "error:" in out and "read-only" in out
    assert "still_here" in out
    con.close()


# Statement types the Python API has no name for raise ValueError, not duckdb.Error
# (issue 15): each must be one line, and the shell must keep running.
UNKNOWN_TYPES = ["UPDATE EXTENSIONS", "UPDATE EXTENSIONS (httpfs)"]


def test_statement_types_the_client_does_not_know_are_one_line_in_the_shell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "r.duckdb"
    duckdb.connect(str(db)).close()
    con = duckdb.connect(str(db), read_only=True)
    run_shell(con, read=scripted([f"{s};" for s in UNKNOWN_TYPES] + ["select 1 as still_here;"]))
    out = capsys.readouterr().out
    assert out.count("error: query refused: not a read statement") == len(UNKNOWN_TYPES)
    assert "still_here" in out and "Traceback" not in out
    con.close()


@pytest.mark.parametrize("sql", UNKNOWN_TYPES)
def test_statement_types_the_client_does_not_know_are_one_line_in_query(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sql: str
) -> None:
    from cli.main import main
    from rotation.db import publish_copy, writing

    db = tmp_path / "data" / "rotation.duckdb"
    db.parent.mkdir()
    with writing(db):
        pass
    publish_copy(db, db.with_name("rotation.read.duckdb"))
    config = tmp_path / "rotation.toml"
    config.write_text(f'[storage]\npath = "{db}"\n')
    assert main(["--config", str(config), "query", sql]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a read statement" in err[0]
