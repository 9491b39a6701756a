"""The vendor P/E cross-check: marts.fund_pe_cross_check by hand, and the incidents it raises.

Built on the hand-made funds of tests/sql/test_fund_valuation.py: on 2025-03-03 the built
P/E of IWM is 40 and of IVV 20. The vendor says IWM 45 (gap +12.5 %, inside the 25 %
tolerance) and IVV 0.04 (a yield: 25, gap +25 %, not beyond) then 0.02 (50, gap +150 %).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from pipeline.fundamentals import cross_check_fund_pe
from rotation.db import migrate
from tests.sql.test_fund_valuation import MODELS, _setup
from transforms import build_models

SESSION = dt.date(2025, 3, 3)


def _vendor(con: duckdb.DuckDBPyConnection, fund: str, reported: float) -> None:
    pe, how = (1 / reported, "reciprocal") if reported < 1 else (reported, "multiple")
    con.execute(
        """insert or replace into raw.fund_pe values
           (?, ?, ?, ?, ?, 'f.json', 't', '2025-03-03 22:00:00+00', 't')""",
        [fund, SESSION, reported, pe, how],
    )


def _built(db_path: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(db_path)) as con:
        migrate(con)
        _setup(con, tmp_path)
        target = tmp_path / "sql" / "marts" / "fund_pe_cross_check.sql"
        target.symlink_to(Path(__file__).resolve().parents[2] / "sql/marts/fund_pe_cross_check.sql")
        _vendor(con, "IWM", 45.0)
        _vendor(con, "IVV", 0.04)
        con.execute("delete from raw.prices where date = '2025-09-02'")
        build_models(con, tmp_path / "sql")


def test_gap_and_verdict_by_hand(db_path: Path, tmp_path: Path) -> None:
    assert "marts/fund_pe_cross_check.sql" not in MODELS
    _built(db_path, tmp_path)
    with duckdb.connect(str(db_path)) as con:
        rows = con.execute(
            "select fund, vendor_pe, built_pe, gap, beyond_tolerance"
            " from marts.fund_pe_cross_check order by fund"
        ).fetchall()
    assert rows == [
        ("IVV", pytest.approx(25.0), pytest.approx(20.0), pytest.approx(0.25), False),
        ("IWM", 45.0, pytest.approx(40.0), pytest.approx(0.125), False),
    ]


def test_a_gap_beyond_tolerance_is_one_incident_resolved_when_it_closes(
    db_path: Path, tmp_path: Path
) -> None:
    _built(db_path, tmp_path)
    lines = cross_check_fund_pe(str(db_path), SESSION, run_id="r1")
    assert len(lines) == 2 and not _open(db_path)
    with duckdb.connect(str(db_path)) as con:
        _vendor(con, "IVV", 0.02)
        build_models(con, tmp_path / "sql")
    for run in ("r2", "r3"):  # seen twice: still one incident
        cross_check_fund_pe(str(db_path), SESSION, run_id=run)
    (incident,) = _open(db_path)
    assert incident[:3] == ("fund_pe", "IVV", "pe_gap")
    assert "vendor P/E 50.00 (reported 0.02, read as a yield) vs built 20.00" in incident[3]
    assert "gap +150.0% (tolerance 25%)" in incident[3]
    with duckdb.connect(str(db_path)) as con:
        con.execute("update ops.fund_pe_settings set tolerance = 2.0")
        build_models(con, tmp_path / "sql")
    cross_check_fund_pe(str(db_path), SESSION, run_id="r4")
    assert not _open(db_path)


def _open(db_path: Path) -> list[tuple]:
    with duckdb.connect(str(db_path)) as con:
        return con.execute(
            "select source, subject, kind, detail from ops.incidents where resolved_at is null"
        ).fetchall()


def test_status_shows_the_cross_check(db_path: Path, tmp_path: Path) -> None:
    import io

    from rich.console import Console

    from cli.status import collect_status, render_status

    _built(db_path, tmp_path)
    with duckdb.connect(str(db_path), read_only=True) as con:
        status = collect_status(con, dt.date(2025, 3, 4))
    assert [(r["fund"], r["session"], r["beyond_tolerance"]) for r in status["fund_pe_check"]] == [
        ("IVV", "2025-03-03", False),
        ("IWM", "2025-03-03", False),
    ]
    assert {"source": "fund_pe"}.items() <= next(
        s for s in status["sources"] if s["source"] == "fund_pe"
    ).items()
    out = io.StringIO()
    render_status(status, Console(file=out, width=200))
    assert "0.04 (reciprocal)" in out.getvalue() and "within ±25%" in out.getvalue()
