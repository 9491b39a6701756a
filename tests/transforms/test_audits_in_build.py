"""Audits inside the build: a failed blocking audit keeps the previous marts, a failed warning
keeps the new ones, each failure is one incident, and a later clean build resolves it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from rotation import incidents
from rotation.settings import PricesSettings, Settings
from transforms import AuditError, AuditRun, ModelError, build_models, discover_audits

SESSION = dt.date(2025, 1, 3)


def write(sql_dir: Path, relative: str, text: str) -> Path:
    path = sql_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def audit_incidents(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        """select subject, kind, detail, first_run_id, last_run_id, resolved_run_id
           from ops.incidents where source = 'audits' order by subject, first_seen"""
    ).fetchall()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A tiny project: a mart of numbers from a staging view over a table the test fills, a
    blocking audit (no negative n) and a warning audit (no n above $ceiling)."""
    write(tmp_path, "staging/numbers.sql", "select n from main.numbers\n")
    write(tmp_path, "marts/numbers.sql", "select n, n * 10 as tens from staging.numbers\n")
    write(
        tmp_path,
        "audits/no_negative_numbers.sql",
        "-- severity: blocking\nselect n from marts.numbers where n < 0 order by n\n",
    )
    write(
        tmp_path,
        "audits/numbers_below_ceiling.sql",
        "-- audits.numbers_below_ceiling\n-- Severity: Warning\n"
        "select n, $ceiling as ceiling from marts.numbers where n > $ceiling order by n;\n",
    )
    return tmp_path


@pytest.fixture
def numbers(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute("create table main.numbers (n integer)")
    return con


def test_a_failed_blocking_audit_keeps_the_previous_marts(
    numbers: duckdb.DuckDBPyConnection, project: Path
) -> None:
    con, params = numbers, {"ceiling": 100}
    con.execute("insert into main.numbers values (1), (2)")
    first = build_models(con, project, parameters=params, run=AuditRun("run-1", SESSION))
    assert first.kept and [a.offending for a in first.audits] == [0, 0]
    assert audit_incidents(con) == []

    con.execute("insert into main.numbers values (-5), (-7), (3)")
    second = build_models(con, project, parameters=params, run=AuditRun("run-2", SESSION))
    assert not second.kept
    assert [a.audit for a in second.blocked_by] == ["no_negative_numbers"]
    assert "rolled back" in second.line() and "no_negative_numbers" in second.line()
    # the previous build's mart is what readers see
    assert con.execute("select n, tens from marts.numbers order by n").fetchall() == [
        (1, 10),
        (2, 20),
    ]
    [(subject, kind, detail, first_run, last_run, resolved)] = audit_incidents(con)
    assert (subject, kind, first_run, last_run, resolved) == (
        "no_negative_numbers",
        "audit_failed",
        "run-2",
        "run-2",
        None,
    )
    assert detail == (
        "audit no_negative_numbers (blocking) found 2 offending rows: {n=-7}; {n=-5}; "
        "build rolled back, previous marts kept"
    )

    # seen again by a later run: still one incident, refreshed
    build_models(con, project, parameters=params, run=AuditRun("run-3", SESSION))
    assert [(r[0], r[3], r[4], r[5]) for r in audit_incidents(con)] == [
        ("no_negative_numbers", "run-2", "run-3", None)
    ]

    # the data is repaired: the build is kept and the incident resolved by that run
    con.execute("delete from main.numbers where n < 0")
    fixed = build_models(con, project, parameters=params, run=AuditRun("run-4", SESSION))
    assert fixed.kept
    assert con.execute("select count(*) from marts.numbers").fetchone()[0] == 3
    assert [(r[0], r[5]) for r in audit_incidents(con)] == [("no_negative_numbers", "run-4")]
    assert incidents.open_incidents(con) == []


def test_a_failed_warning_audit_keeps_the_new_build_and_records_it(
    numbers: duckdb.DuckDBPyConnection, project: Path
) -> None:
    con = numbers
    con.execute("insert into main.numbers values (1), (150)")
    report = build_models(con, project, parameters={"ceiling": 100}, run=AuditRun("run-1"))
    assert report.kept
    [warning] = report.failed_audits
    assert (warning.audit, warning.severity, warning.offending) == (
        "numbers_below_ceiling",
        "warning",
        1,
    )
    assert warning.sample == ({"n": 150, "ceiling": 100},)
    assert "1 warning(s): numbers_below_ceiling" in report.line()
    assert con.execute("select max(n) from marts.numbers").fetchone()[0] == 150
    [row] = audit_incidents(con)
    assert row[0] == "numbers_below_ceiling"
    assert row[2] == (
        "audit numbers_below_ceiling (warning) found 1 offending row: {n=150, ceiling=100}; "
        "recorded, build kept (warning)"
    )
    # the same parameter, raised, clears it
    build_models(con, project, parameters={"ceiling": 1000}, run=AuditRun("run-2"))
    assert incidents.open_incidents(con) == []


def test_without_a_run_nothing_is_recorded(
    numbers: duckdb.DuckDBPyConnection, project: Path
) -> None:
    numbers.execute("insert into main.numbers values (-1)")
    report = build_models(numbers, project, parameters={"ceiling": 100})
    assert not report.kept
    assert audit_incidents(numbers) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("select n from marts.numbers\n", "must declare '-- severity: blocking'"),
        ("-- severity: fatal\nselect 1\n", "found 'fatal'"),
        ("-- severity: warning\nselect 1; select 2\n", "exactly one select"),
        ("-- severity: warning\ndelete from marts.numbers\n", "exactly one select"),
        ("-- severity: warning\nselect * from marts.not_there\n", "reads marts.not_there"),
    ],
)
def test_a_malformed_audit_names_its_file(
    numbers: duckdb.DuckDBPyConnection, project: Path, text: str, message: str
) -> None:
    bad = write(project, "audits/zz_bad.sql", text)
    with pytest.raises(AuditError, match=message) as err:
        build_models(numbers, project, parameters={"ceiling": 100})
    assert str(bad) in str(err.value)


def test_a_missing_parameter_rolls_back_and_names_it(
    numbers: duckdb.DuckDBPyConnection, project: Path
) -> None:
    numbers.execute("insert into main.numbers values (1)")
    with pytest.raises(
        AuditError, match=r"numbers_below_ceiling\.sql: needs parameter\(s\) ceiling"
    ):
        build_models(numbers, project, parameters={})
    assert (
        numbers.execute(
            "select count(*) from information_schema.tables where table_name = 'numbers' "
            "and table_schema = 'marts'"
        ).fetchone()[0]
        == 0
    )


def test_audit_parameters_are_only_those_the_sql_mentions(project: Path) -> None:
    audits = {a.name: a for a in discover_audits(project)}
    assert audits["numbers_below_ceiling"].parameters == frozenset({"ceiling"})
    assert audits["numbers_below_ceiling"].severity == "warning"
    assert audits["no_negative_numbers"].parameters == frozenset()
    assert audits["no_negative_numbers"].depends_on == frozenset({"marts.numbers"})


def test_the_flow_stage_audits_with_the_configured_limits(db_path: Path) -> None:
    """pipeline.stages.build_models on a database file: a 40% one-day move in SPY (loaded behind
    the price suite's back) holds SPY's marts at the previous build (the rest is kept) until
    the configured limit allows it."""
    from pipeline import stages
    from rotation.db import writing

    def load(rows: list[tuple[str, str, float]]) -> None:
        with writing(str(db_path)) as con:
            con.executemany(
                """insert or replace into raw.prices (symbol, date, close, adj_close,
                       adj_close_received, adjustment, source, fetched_at, run_id)
                   values (?, ?, ?, ?, ?, 'raw', 'test', now(), 'test')""",
                [(s, dt.date.fromisoformat(day), v, v, v) for s, day, v in rows],
            )

    settings = Settings()
    load([("SPY", "2025-01-02", 500.0), ("SPY", "2025-01-03", 505.0)])
    assert stages.build_models(str(db_path), settings, "run-1", SESSION).kept

    load([("SPY", "2025-01-06", 707.0), ("IWM", "2025-01-03", 200.0), ("IWM", "2025-01-06", 201.0)])
    report = stages.build_models(str(db_path), settings, "run-2", SESSION)
    assert report.kept and report.blocked_by == []
    assert report.held_subjects == {"symbol": ["SPY"], "pair": ["IWC/SPY", "IWM/SPY"]}
    assert "held 1 symbol(s) at their previous marts" in report.line()
    assert report.damage == [
        "audits daily_moves_within_bounds: symbol SPY held at the previous marts"
    ]
    with writing(str(db_path)) as con:
        assert con.execute(
            "select symbol, max(date) from marts.returns group by symbol order by symbol"
        ).fetchall() == [("IWM", dt.date(2025, 1, 6)), ("SPY", SESSION)]
        [open_one] = incidents.open_incidents(con)
    assert open_one["subject"] == "daily_moves_within_bounds"
    assert "symbol=SPY, date=2025-01-06" in open_one["detail"]

    allowed = Settings(prices=PricesSettings(max_daily_move_overrides={"SPY": 0.5}))
    assert stages.build_models(str(db_path), allowed, "run-3", SESSION).kept
    with writing(str(db_path)) as con:
        assert con.execute("select max(date) from marts.returns").fetchone()[0] == dt.date(
            2025, 1, 6
        )
        assert incidents.open_incidents(con) == []


def test_a_sample_is_plain_json(numbers: duckdb.DuckDBPyConnection, project: Path) -> None:
    """What the run stores in ops.runs.details: dates as text, NaN as text (JSON has none)."""
    write(
        project,
        "audits/no_nan.sql",
        "-- severity: warning\n"
        "select date '2025-01-03' as day, 'nan'::double as x, 0.1234567 as y\n",
    )
    numbers.execute("insert into main.numbers values (1)")
    report = build_models(numbers, project, parameters={"ceiling": 100})
    [failed] = report.failed_audits
    assert failed.as_dict()["sample"] == [{"day": "2025-01-03", "x": "nan", "y": 0.123457}]
    assert json.loads(json.dumps(failed.as_dict(), allow_nan=False))["offending"] == 1


def test_a_declared_grain_is_audited_and_a_duplicated_key_blocks_the_build(
    numbers: duckdb.DuckDBPyConnection, project: Path
) -> None:
    """The ``-- grain:`` header is all a mart needs: the runner generates ``unique_keys``."""
    write(
        project,
        "marts/numbers.sql",
        "-- marts.numbers\n-- grain: n\nselect n, n * 10 as tens from staging.numbers\n",
    )
    con, params = numbers, {"ceiling": 100}
    con.execute("insert into main.numbers values (1), (2)")
    first = build_models(con, project, parameters=params, run=AuditRun("run-1", SESSION))
    assert first.kept and "unique_keys" in [a.audit for a in first.audits]

    con.execute("insert into main.numbers values (2), (3)")
    second = build_models(con, project, parameters=params, run=AuditRun("run-2", SESSION))
    assert [a.audit for a in second.blocked_by] == ["unique_keys"]
    assert con.execute("select n from marts.numbers order by n").fetchall() == [(1,), (2,)]
    [(subject, _, detail, *_)] = audit_incidents(con)
    assert subject == "unique_keys"
    assert detail.startswith(
        "audit unique_keys (blocking) found 1 offending row: "
        "{mart=marts.numbers, key=2, mart_rows=2, expected_rows=1}"
    )


def test_a_grain_matching_another_model_finds_missing_and_extra_keys(
    numbers: duckdb.DuckDBPyConnection, project: Path
) -> None:
    """``-- grain matches:``: one row per row of the other model, compared per subject."""
    write(project, "staging/pairs.sql", "select n % 2 as parity, n from main.numbers\n")
    write(
        project,
        "marts/pairs.sql",
        "-- grain: parity, n\n-- grain matches: staging.pairs\n"
        "select parity, n from staging.pairs where n <> 4\n"
        "union all select 1, 99 union all select 0, 2\n",
    )
    numbers.execute("insert into main.numbers values (1), (2), (3), (4), (5)")
    report = build_models(numbers, project, parameters={"ceiling": 100})
    [failed] = report.blocked_by
    assert failed.audit == "unique_keys" and failed.offending == 3
    assert [(r["key"], r["mart_rows"], r["expected_rows"]) for r in failed.sample] == [
        ("0 2", 2, 1),
        ("0 4", 0, 1),
        ("1 99", 1, 0),
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("-- grain: n, n\n", "bad '-- grain:' line"),
        ("-- grain: n-1\n", "bad '-- grain:' line"),
        ("-- grain matches: staging.numbers\n", "without a '-- grain:' line"),
        ("-- grain: n\n-- grain matches: staging.numbers\n", "at least two columns"),
        ("-- grain: n, tens\n-- grain matches: numbers\n", "bad '-- grain matches:' line"),
    ],
)
def test_a_malformed_grain_header_names_its_file(
    numbers: duckdb.DuckDBPyConnection, project: Path, header: str, message: str
) -> None:
    bad = write(
        project, "marts/numbers.sql", header + "select n, n * 10 as tens from staging.numbers\n"
    )
    with pytest.raises(ModelError, match=message) as err:
        build_models(numbers, project, parameters={"ceiling": 100})
    assert str(bad) in str(err.value)


@pytest.fixture
def subjects(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> Path:
    """A mart keyed by (symbol, n) and a blocking audit that names the symbol of each
    negative n (``-- subject: symbol``)."""
    con.execute("create table main.readings (symbol varchar, n integer)")
    write(tmp_path, "staging/readings.sql", "select symbol, n from main.readings\n")
    write(
        tmp_path,
        "marts/readings.sql",
        "-- grain: symbol, n\nselect symbol, n, n * 10 as tens from staging.readings\n",
    )
    write(
        tmp_path,
        "audits/no_negative_readings.sql",
        "-- severity: blocking\n-- subject: symbol\n"
        "select symbol, n from marts.readings where n < 0 order by symbol, n\n",
    )
    return tmp_path


def marts_readings(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("select symbol, n from marts.readings order by symbol, n").fetchall()


def test_an_audit_with_a_subject_holds_that_subject_and_keeps_the_rest(
    con: duckdb.DuckDBPyConnection, subjects: Path
) -> None:
    con.execute("insert into main.readings values ('A', 1), ('B', 1)")
    assert build_models(con, subjects, parameters={}, run=AuditRun("run-1", SESSION)).kept

    con.execute("insert into main.readings values ('A', -1), ('B', 2), ('C', -3)")
    report = build_models(con, subjects, parameters={}, run=AuditRun("run-2", SESSION))
    assert report.kept and report.blocked_by == []
    assert report.held_subjects == {"symbol": ["A", "C"]}
    # A keeps its previous rows, C (no previous build) is left out, B is new
    assert marts_readings(con) == [("A", 1), ("B", 1), ("B", 2)]
    [(subject, _, detail, *_)] = audit_incidents(con)
    assert subject == "no_negative_readings"
    assert detail.endswith("symbol A, C held at the previous marts, the rest of the build kept")

    # repaired: A and C come back, the incident is resolved
    con.execute("delete from main.readings where n < 0")
    fixed = build_models(con, subjects, parameters={}, run=AuditRun("run-3", SESSION))
    assert fixed.kept and fixed.held == [] and incidents.open_incidents(con) == []


def test_damage_not_pinned_on_a_subject_still_rolls_the_whole_build_back(
    con: duckdb.DuckDBPyConnection, subjects: Path
) -> None:
    con.execute("insert into main.readings values ('A', 1), ('B', 1)")
    assert build_models(con, subjects, parameters={}).kept

    # a row with no subject: nobody to hold, the build goes
    con.execute("insert into main.readings values (null, -1), ('B', 2)")
    report = build_models(con, subjects, parameters={})
    assert [a.audit for a in report.blocked_by] == ["no_negative_readings"]
    assert marts_readings(con) == [("A", 1), ("B", 1)]

    # a broken key next to a subject's damage: the key blocks everything
    con.execute("delete from main.readings where symbol is null")
    con.execute("insert into main.readings values ('A', -1), ('B', 2)")
    report = build_models(con, subjects, parameters={})
    assert [a.audit for a in report.blocked_by] == ["unique_keys"]
    assert marts_readings(con) == [("A", 1), ("B", 1)]
