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
