"""``rotation shell``: an interactive read-only SQL prompt on the published copy.

For people who do not have the ``duckdb`` CLI at hand. It reads the published copy, so a
query never blocks the scheduled writer; results print as tables. ``.tables`` lists what
there is, ``.quit`` (or Ctrl-D) leaves. Each input is one read statement
(``rotation.db.read_statement``): writes, ATTACH, COPY, INSTALL/LOAD and SET are refused with
one line, and the connection itself has no file system access.
"""

from __future__ import annotations

import duckdb

from cli.status import print_frame
from rotation.db import DatabaseError, read_statement
from rotation.sql import read as read_sql

PROMPT, MORE = "rotation> ", "     ...> "


def _tables(con: duckdb.DuckDBPyConnection) -> None:
    print_frame(con.execute(read_sql("status/shell_tables.sql")).df())


def run_shell(con: duckdb.DuckDBPyConnection, read=input) -> None:  # type: ignore[no-untyped-def]
    """Read statements (ending with ``;``) and print their results until ``.quit`` or EOF."""
    print("Read-only SQL on the published copy. End a statement with ';'. .tables, .quit")
    buffer: list[str] = []
    while True:
        try:
            line = read(MORE if buffer else PROMPT)
        except EOFError:
            print()
            return
        command = line.strip()
        if not buffer and command in {".quit", ".exit"}:
            return
        if not buffer and command == ".tables":
            _tables(con)
            continue
        buffer.append(line)
        if not command.endswith(";"):
            continue
        statement = "\n".join(buffer)
        buffer = []
        try:
            print_frame(con.execute(read_statement(con, statement)).df())
        except DatabaseError as exc:
            print(f"error: {exc}")
        except duckdb.Error as exc:
            print(f"error: {str(exc).splitlines()[0]}")
