"""The valuation context of ``rotation status``: the vendor P/E cross-check (and, where loaded,
the S&P 500's long-run P/E and CAPE percentiles).

Apart from ``cli.status`` (prices, pairs, runs) so the fundamentals can grow without
touching the screen everyone else edits; plain reads of the published copy, SQL in ``sql/``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
from rich.console import Console
from rich.table import Table

from rotation.sql import read as read_sql


def _exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    found = con.execute(read_sql("build/table_exists.sql"), [schema, name]).fetchone()
    return bool(found and found[0])


def _records(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description or ()]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    return [
        {key: (v.isoformat() if hasattr(v, "isoformat") else v) for key, v in row.items()}
        for row in rows
    ]


def collect_valuation_context(con: duckdb.DuckDBPyConnection, today: dt.date) -> dict[str, Any]:
    """``fund_pe_check``: per fund, the latest compared quote on or before ``today``."""
    context: dict[str, Any] = {
        "fund_pe_check": [],
        "large_cap_context": None,
        "valuation_coverage": [],
    }
    if _exists(con, "marts", "valuation_coverage"):
        sql = read_sql("reporting/valuation_coverage.sql")
        context["valuation_coverage"] = _records(con.execute(sql))
    if _exists(con, "marts", "fund_pe_cross_check"):
        sql = read_sql("ops/fund_pe_gaps.sql")
        context["fund_pe_check"] = _records(con.execute(sql, [today]))
    if _exists(con, "marts", "shiller_context"):
        sql = read_sql("reporting/shiller_latest.sql")
        found = _records(con.execute(sql, [today]))
        context["large_cap_context"] = found[0] if found else None
    return context


def render_valuation_context(status: dict[str, Any], console: Console) -> None:
    coverage = status.get("valuation_coverage", [])
    if coverage:
        table = Table(title="Valuation coverage: members by earnings status (latest session)")
        for column in ("fund", "status", "members", "weight", "example reason"):
            table.add_column(column, justify="right" if column in ("members", "weight") else "left")
        for r in coverage:
            table.add_row(
                r["fund"],
                r["status"],
                str(r["members"]),
                f"{(r['weight'] or 0):.1%}",
                (r["reason"] or "")[:70],
            )
        console.print(table)
    shiller = status.get("large_cap_context")
    if shiller:
        table = Table(title="S&P 500 in its own history since 1871 (Shiller)")
        for column in ("measure", "month", "value", "percentile", "months ranked"):
            table.add_column(column, justify="left" if column == "measure" else "right")
        for label, key in (("trailing P/E", "pe"), ("CAPE", "cape")):
            if shiller.get(key) is None:
                continue
            table.add_row(
                label,
                str(shiller[f"{key}_month"])[:7],
                f"{shiller[key]:.1f}",
                f"{shiller[f'{key}_percentile']:.0%}",
                str(shiller[f"{key}_months"]),
            )
        console.print(table)
    rows = status.get("fund_pe_check", [])
    if not rows:
        return
    table = Table(title="Vendor P/E cross-check (Yahoo vs built from members)")
    for column in ("fund", "session", "vendor P/E", "reported", "built P/E", "gap", "verdict"):
        table.add_column(column, justify="left" if column == "fund" else "right", no_wrap=True)
    for r in rows:
        beyond = bool(r["beyond_tolerance"])
        verdict = f"{'beyond' if beyond else 'within'} ±{r['tolerance']:.0%}"
        table.add_row(
            r["fund"],
            str(r["session"])[:10],
            f"{r['vendor_pe']:.1f}",
            f"{r['reported_value']:g} ({r['reported_as']})",
            f"{r['built_pe']:.1f}",
            f"{r['gap']:+.0%}",
            verdict,
            style="red" if beyond else "",
        )
    console.print(table)
