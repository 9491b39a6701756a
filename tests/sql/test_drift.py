"""Guards against drift between sql/ and what is built and tested.

Every file under the model layer folders is a model the runner builds, and every model is
named in some test under tests/ (as ``schema.name``, or as the quoted file stem ``"name"`` in
a test that lists the files it builds): a new SQL file without a test fails here. The same
holds for sql/audits: every audit file runs in the build and is named in a test. Every mart table
declares its key in a ``-- grain:`` header, which the generated ``unique_keys`` audit checks.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from transforms import LAYERS, build_models, discover_audits, discover_models, project_audits

REPO = Path(__file__).resolve().parents[2]
SQL_DIR = REPO / "sql"


def _model_files() -> set[Path]:
    return {p for layer in LAYERS for p in (SQL_DIR / layer).rglob("*.sql")}


def test_every_model_file_is_discovered() -> None:
    discovered = {m.path for m in discover_models(SQL_DIR)}
    assert discovered == _model_files()


def test_the_whole_sql_folder_builds_on_an_empty_database(con: duckdb.DuckDBPyConnection) -> None:
    report = build_models(con, SQL_DIR)
    assert {r.model for r in report.models} == {f"{p.parent.name}.{p.stem}" for p in _model_files()}


def _mentions(text: str, name: str) -> set[str]:
    return {form for form in (f"{layer}.{name}" for layer in LAYERS) if form in text} | {
        quoted for quoted in (f'"{name}"', f"'{name}'") if quoted in text
    }


def test_every_model_is_named_in_a_test() -> None:
    tests_text = "\n".join(
        p.read_text() for p in (REPO / "tests").rglob("*.py") if p.name != Path(__file__).name
    )
    untested = sorted(
        m.qualified_name
        for m in discover_models(SQL_DIR)
        if not {m.qualified_name, f'"{m.name}"', f"'{m.name}'"} & _mentions(tests_text, m.name)
    )
    assert untested == [], f"models with no test naming them: {untested}"


def _audit_files() -> set[Path]:
    return set((SQL_DIR / "audits").rglob("*.sql"))


def test_every_audit_file_is_discovered_and_runs_in_the_build(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert _audit_files(), "sql/audits is empty"
    assert {a.path for a in discover_audits(SQL_DIR)} == _audit_files()
    report = build_models(con, SQL_DIR)
    assert {a.audit for a in report.audits} == {p.stem for p in _audit_files()} | {"unique_keys"}
    assert report.kept and not report.failed_audits  # an empty database offends nothing


def test_every_audit_is_named_in_a_test() -> None:
    tests_text = "\n".join(
        p.read_text() for p in (REPO / "tests").rglob("*.py") if p.name != Path(__file__).name
    )
    untested = sorted(
        a.name
        for a in discover_audits(SQL_DIR)
        if f'"{a.name}"' not in tests_text and f"'{a.name}'" not in tests_text
    )
    assert untested == [], f"audits with no test naming them: {untested}"


def test_every_mart_table_declares_its_grain_and_the_audit_checks_it() -> None:
    models = discover_models(SQL_DIR)
    tables = {m.qualified_name for m in models if m.kind == "table"}
    undeclared = sorted(m.qualified_name for m in models if m.kind == "table" and not m.grain)
    assert undeclared == [], f"mart tables without a '-- grain:' header: {undeclared}"
    (generated,) = [a for a in project_audits(SQL_DIR) if a.name == "unique_keys"]
    assert sorted(tables - generated.depends_on) == [], "mart tables unique_keys does not check"
    for table in tables:
        assert f"from {table} " in generated.sql, f"unique_keys reads no rows of {table}"
