"""Guards for issue 17's rule: every SQL statement sits in ``sql/`` and is loaded one way.

- every path the code names under ``sql/`` (``"load/upsert_prices.sql"``) exists;
- every ``.sql`` file is used: the runner and the migrations find theirs by folder
  (``FOUND_BY_FOLDER``); a file elsewhere is named by its path in the code, or belongs to a
  folder the code reads by a formatted path (``f"reporting/{name}.sql"``) and its name is a
  quoted string in the code (``run_query(con, "pairs", …)``) or matches a formatted name
  (``f"{name}_delete"``);
- no plain string literal in the code is an SQL statement, and no module but ``rotation.sql``
  builds a path to the ``sql/`` folder (f-strings may still wrap a file's statement around
  identifiers: the runner's ``create or replace <kind> <name> as``, see docs/architecture.md);
- ``rotation.sql.read`` reads from the checkout, caches, and refuses paths outside ``sql/``.

The code scanned is every Python package of the project, except tests (benchmarks/ is
scanned for paths but not for statements: see ``NOT_SCANNED_FOR_SQL``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from rotation import sql

REPO = Path(__file__).resolve().parents[2]
SQL_ROOT = REPO / "sql"
# Folders whose files are found by walking the folder: the model runner (staging, marts),
# its audits, and the migrations.
FOUND_BY_FOLDER = ("staging", "marts", "audits", "schema")
# Not scanned for SQL literals: benchmarks/, whose scaffolding fills throw-away databases
# with synthetic rows and is not the product.
NOT_SCANNED_FOR_SQL = ("benchmarks",)
_SQL_PATH = re.compile(r"^[a-z_]+(?:/[a-z0-9_]+)+\.sql$")
# Lower-case keywords, as the project writes SQL (a docstring starts with a capital).
_STATEMENT = re.compile(
    r"^\s*(?:select\s|with\s+\w+\s+as\b|insert\s+into\s|update\s+\S+\s+set\s|"
    r"delete\s+from\s|create\s|drop\s|alter\s|merge\s+into\s|copy\s|attach\s|detach\s)"
)


def _code_files() -> list[Path]:
    skip = {"tests", "sql", "docs", "deploy", "data"}
    top = [d for d in REPO.iterdir() if d.is_dir() and d.name not in skip and d.name[0] != "."]
    return sorted(p for folder in top for p in folder.rglob("*.py"))


def _literals() -> tuple[set[str], list[str], list[tuple[str, int, str]]]:
    """(plain string literals, formatted-string patterns as regexes, SQL-looking literals)."""
    plain: set[str] = set()
    patterns: list[str] = []
    statements: list[tuple[str, int, str]] = []
    for path in _code_files():
        relative = path.relative_to(REPO)
        tree = ast.parse(path.read_text(), filename=str(path))
        inside_fstrings = {
            id(part)
            for node in ast.walk(tree)
            if isinstance(node, ast.JoinedStr)
            for part in node.values
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                patterns.append(
                    "".join(
                        re.escape(part.value) if isinstance(part, ast.Constant) else "[a-z0-9_]+"
                        for part in node.values
                    )
                )
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in inside_fstrings
            ):
                plain.add(node.value)
                scanned = relative.parts[0] not in NOT_SCANNED_FOR_SQL
                if scanned and _STATEMENT.match(node.value):
                    statements.append((str(relative), node.lineno, node.value.strip()[:60]))
    return plain, patterns, statements


PLAIN, PATTERNS, STATEMENTS = _literals()


def _sql_files() -> list[str]:
    return sorted(p.relative_to(SQL_ROOT).as_posix() for p in SQL_ROOT.rglob("*.sql"))


def test_every_sql_path_named_in_the_code_exists() -> None:
    named = sorted(text for text in PLAIN if _SQL_PATH.match(text))
    assert len(named) > 50, "the scan found too few SQL paths: is it still reading the code?"
    missing = [text for text in named if not (SQL_ROOT / text).is_file()]
    assert missing == [], f"SQL files named in the code but not under sql/: {missing}"


def _referenced(relative: str) -> bool:
    stem = relative.rpartition("/")[2].removesuffix(".sql")
    if relative.split("/")[0] in FOUND_BY_FOLDER or relative in PLAIN:
        return True
    read_by_format = any(
        re.fullmatch(pattern, relative) for pattern in PATTERNS if pattern.endswith(r"\.sql")
    )
    # a formatted name counts when it has a word of its own (f"{name}_delete", not f"{a}_{b}")
    named = stem in PLAIN or any(
        re.fullmatch(pattern, stem)
        for pattern in PATTERNS
        if len(re.sub(r"\\|\[a-z0-9_\]\+", "", pattern).strip("_.")) >= 4
    )
    return read_by_format and named


def test_every_sql_file_is_used_by_the_code() -> None:
    files = _sql_files()
    assert len(files) > 100
    unused = [relative for relative in files if not _referenced(relative)]
    assert unused == [], f"SQL files no code reads (or a runner finds by folder): {unused}"


def test_no_sql_statement_is_written_in_python() -> None:
    assert STATEMENTS == [], (
        "SQL statements in Python; move each to its own file under sql/ and load it with "
        f"rotation.sql.read: {STATEMENTS}"
    )


def test_only_rotation_sql_knows_where_the_sql_folder_is() -> None:
    builds_the_path = re.compile(r"""(?:/\s*["']sql["'])|(?:["']sql["']\s*/)""")
    offenders = [
        str(p.relative_to(REPO))
        for p in _code_files()
        if p.relative_to(REPO).parts[0] not in NOT_SCANNED_FOR_SQL
        and p != REPO / "rotation" / "sql.py"
        and builds_the_path.search(p.read_text())
    ]
    assert offenders == [], f"modules building their own path to sql/: {offenders}"


def test_read_finds_the_checkouts_sql_and_caches_it() -> None:
    assert sql.ROOT == SQL_ROOT  # no rotation/sql_files in a checkout
    text = sql.read("load/upsert_prices.sql")
    assert text == (SQL_ROOT / "load" / "upsert_prices.sql").read_text()
    assert sql.read("load/upsert_prices.sql") is text


@pytest.mark.parametrize("outside", ["../pyproject.toml", "/etc/hostname", "load/../../x.sql"])
def test_read_refuses_paths_outside_the_sql_folder(outside: str) -> None:
    with pytest.raises(ValueError, match="relative to sql/"):
        sql.read(outside)


def test_a_missing_file_names_itself() -> None:
    with pytest.raises(FileNotFoundError, match=r"load/no_such_statement\.sql"):
        sql.read("load/no_such_statement.sql")
