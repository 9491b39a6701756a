"""The model runner: discovery, dependency order, the errors, the one-transaction build."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from rotation.settings import Pair
from transforms import ModelBuildError, ModelError, build_models, discover_models, sync_pairs


def write(sql_dir: Path, relative: str, text: str) -> Path:
    path = sql_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_dependency_order_kinds_and_report(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    # written so that alphabetical order (a, b, c) is the wrong build order
    write(tmp_path, "marts/a_top.sql", "select n * 2 as n from marts.b_middle\n")
    write(
        tmp_path,
        "marts/b_middle.sql",
        "-- reads staging.c_base (a mention in a comment is not a reference: marts.nothing)\n"
        "with base as (select n from staging.c_base where 'marts.nothing' <> '')\n"
        "select n + 1 as n from base\n",
    )
    write(tmp_path, "staging/c_base.sql", "select unnest([1, 2, 3]) as n;\n")
    models = discover_models(tmp_path)
    assert [m.qualified_name for m in models] == ["staging.c_base", "marts.b_middle", "marts.a_top"]
    assert models[1].depends_on == frozenset({"staging.c_base"})

    report = build_models(con, tmp_path).models
    assert [(r.model, r.kind, r.rows) for r in report] == [
        ("staging.c_base", "view", None),
        ("marts.b_middle", "table", 3),
        ("marts.a_top", "table", 3),
    ]
    assert all(r.seconds >= 0 for r in report)
    assert report[1].as_dict() == {
        "model": "marts.b_middle", "kind": "table", "rows": 3, "seconds": report[1].seconds
    }  # fmt: skip
    assert con.execute("select sum(n) from marts.a_top").fetchone()[0] == (2 + 3 + 4) * 2
    # a second build replaces, it does not fail or duplicate
    build_models(con, tmp_path)
    assert con.execute("select count(*) from marts.a_top").fetchone()[0] == 3


def test_cycle_names_the_files(tmp_path: Path) -> None:
    write(tmp_path, "marts/one.sql", "select * from marts.two\n")
    write(tmp_path, "marts/two.sql", "select * from marts.one\n")
    with pytest.raises(ModelError, match="cycle") as err:
        discover_models(tmp_path)
    assert "one.sql" in str(err.value) and "two.sql" in str(err.value)


def test_missing_reference_names_the_file_and_the_model(tmp_path: Path) -> None:
    write(tmp_path, "marts/orphan.sql", "select * from staging.not_there\n")
    with pytest.raises(ModelError) as err:
        discover_models(tmp_path)
    message = str(err.value)
    assert "orphan.sql" in message and "staging.not_there" in message
    assert str(tmp_path / "staging" / "not_there.sql") in message


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("create table marts.x as select 1\n", "create"),
        ("select 1; select 2\n", "select, select"),
        ("-- nothing but a comment\n", "nothing"),
    ],
)
def test_a_model_file_is_one_select(tmp_path: Path, text: str, found: str) -> None:
    write(tmp_path, "marts/bad.sql", text)
    with pytest.raises(ModelError, match=f"bad.sql.*found {found}"):
        discover_models(tmp_path)


def test_unparseable_and_misnamed_files(tmp_path: Path) -> None:
    write(tmp_path, "marts/broken.sql", "select from where\n")
    with pytest.raises(ModelError, match=r"broken\.sql: does not parse"):
        discover_models(tmp_path)
    (tmp_path / "marts" / "broken.sql").unlink()
    write(tmp_path, "marts/Bad-Name.sql", "select 1\n")
    with pytest.raises(ModelError, match=r"Bad-Name\.sql"):
        discover_models(tmp_path)
    (tmp_path / "marts" / "Bad-Name.sql").unlink()
    write(tmp_path, "marts/deeper/nested.sql", "select 1\n")
    with pytest.raises(ModelError, match=r"nested\.sql.*not built"):
        discover_models(tmp_path)


def test_failing_model_rolls_back_the_whole_build(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    write(tmp_path, "staging/good.sql", "select 1 as n\n")
    write(tmp_path, "marts/kept.sql", "select n from staging.good\n")
    build_models(con, tmp_path)  # a first, good build
    write(tmp_path, "staging/good.sql", "select 2 as n\n")
    write(tmp_path, "marts/kept.sql", "select n, n as m from staging.good\n")
    failing = write(tmp_path, "marts/zz_fails.sql", "select n / 'x'::integer from marts.kept\n")
    with pytest.raises(ModelBuildError) as err:
        build_models(con, tmp_path)
    assert err.value.path == failing
    assert str(failing) in str(err.value) and "rolled back" in str(err.value)
    # the models built before the failure in that call are back to the first build
    assert con.execute("select * from marts.kept").fetchall() == [(1,)]
    assert con.execute("select * from staging.good").fetchall() == [(1,)]
    exists = con.execute(
        "select count(*) from information_schema.tables where table_name = 'zz_fails'"
    ).fetchone()[0]
    assert exists == 0


def test_parameterised_model_becomes_a_table_macro(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    write(tmp_path, "staging/numbers.sql", "select unnest(range(10)) as n\n")
    write(
        tmp_path,
        "marts/at_least.sql",
        "-- parameters: low, high\nselect n from staging.numbers where n >= low and n < high\n",
    )
    report = build_models(con, tmp_path).models
    assert ("marts.at_least", "macro", None) in [(r.model, r.kind, r.rows) for r in report]
    assert con.execute("select count(*) from marts.at_least(3, 7)").fetchone()[0] == 4
    build_models(con, tmp_path)  # replacing a macro works too


def test_a_model_that_changes_kind_replaces_the_old_object(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    write(tmp_path, "staging/shape.sql", "select 1 as n\n")
    build_models(con, tmp_path)
    (tmp_path / "staging" / "shape.sql").unlink()
    write(tmp_path, "marts/shape.sql", "select 2 as n\n")
    write(tmp_path, "staging/shape.sql", "select 3 as n\n")
    build_models(con, tmp_path)
    con.execute("drop view staging.shape")
    (tmp_path / "staging" / "shape.sql").unlink()
    # marts.shape was a table; make it a macro, then a table again
    write(tmp_path, "marts/shape.sql", "-- parameters: k\nselect k as n\n")
    build_models(con, tmp_path)
    assert con.execute("select n from marts.shape(5)").fetchone()[0] == 5
    write(tmp_path, "marts/shape.sql", "select 6 as n\n")
    build_models(con, tmp_path)
    assert con.execute("select n from marts.shape").fetchone()[0] == 6


def test_sync_pairs_replaces_rows(con: duckdb.DuckDBPyConnection) -> None:
    sync_pairs(con, [Pair.parse("IWM/SPY"), Pair.parse("^RUT/^GSPC")])
    sync_pairs(con, [Pair.parse("^RUT/^GSPC"), Pair.parse("IWC/SPY")])
    rows = con.execute("select * from ops.pairs order by pair").fetchall()
    assert rows == [
        ("IWC/SPY", "IWC", "SPY", "total_return"),
        ("^RUT/^GSPC", "^RUT", "^GSPC", "price_index"),
    ]
    with pytest.raises(ValueError, match="IWC/SPY"):
        sync_pairs(con, [Pair.parse("IWC/SPY"), Pair.parse("IWC/SPY")])
    assert con.execute("select count(*) from ops.pairs").fetchone()[0] == 2
    sync_pairs(con, [])
    assert con.execute("select count(*) from ops.pairs").fetchone()[0] == 0
