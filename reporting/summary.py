"""The markdown summary of a run, for the Prefect artifact the flow publishes.

What a person checking on an unattended pipeline wants from one screen: did the run finish,
what it fetched and loaded per source, what was quarantined and why, where the rotation stands
(the headline indicators), which alerts fired, and a link to the full report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from reporting import queries, reading
from reporting.queries import Unavailable
from reporting.report import in_headline_order

MAX_MESSAGES = 20
MAX_ALERTS = 30


def _cell(value: object) -> str:
    """Markdown table cell: pipes and newlines would break the table."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _sources(summary: Mapping[str, Any]) -> list[str]:
    sources = summary.get("sources") or []
    if not sources:
        return ["Nothing was fetched."]
    rows = []
    for s in sources:
        state = (
            "blocked (previous data kept)"
            if s.get("blocked")
            else "skipped"
            if s.get("skipped")
            else "loaded"
        )
        rows.append(
            [
                s.get("source", "?"),
                s.get("fetched", 0),
                s.get("loaded", 0),
                s.get("unchanged", 0),
                s.get("quarantined", 0),
                state,
            ]
        )
    out = [
        _table(
            ["source", "fetched", "loaded (new or changed)", "unchanged", "quarantined", "batch"],
            rows,
        )
    ]
    messages = [
        f"- **{s.get('source', '?')}**: {m}" for s in sources for m in s.get("messages", [])
    ]
    if messages:
        out.append("\n".join(messages[:MAX_MESSAGES]))
        if len(messages) > MAX_MESSAGES:
            out.append(f"- … and {len(messages) - MAX_MESSAGES} more messages")
    return out


def _damage(summary: Mapping[str, Any]) -> list[str]:
    """The run's incidents (ops.incidents), one line each: what was kept out, and why."""
    damage = summary.get("damage") or []
    if not damage:
        return ["None: every configured symbol and source delivered readable data."]
    lines = [f"- {_cell(line)}" for line in damage[:MAX_MESSAGES]]
    if len(damage) > MAX_MESSAGES:
        lines.append(f"- … and {len(damage) - MAX_MESSAGES} more (see `rotation status`)")
    return ["The rest of the run loaded; each line is an incident until a run finds it whole.", "",
            *lines]  # fmt: skip


def _member_damage(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The members' and companies' open incidents, one row each (capped): the detail behind
    their source's one line above and its one alert."""
    result = queries.run_query(con, "member_incidents", [])
    if isinstance(result, Unavailable) or result.empty:
        return []
    rows = [
        [r["source"], r["subject"], r["kind"], r["detail"]]
        for _, r in result.head(MAX_MESSAGES).iterrows()
    ]
    more = len(result) - MAX_MESSAGES
    tail = [f"… and {more} more (see `rotation status`)"] if more > 0 else []
    return [
        f"{len(result)} members or companies with open damage:",
        "",
        _table(["source", "member", "kind", "detail"], rows),
        *tail,
    ]


def _quarantine(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    result = queries.run_query(con, "run_quarantine", [run_id])
    if isinstance(result, Unavailable):
        return [f"_Quarantine not readable: {result}._"]
    if result.empty:
        return ["No rows quarantined."]
    rows = [
        [r["source"], r["reason"], r["quarantined_rows"], r["example"]]
        for _, r in result.iterrows()
    ]
    return [_table(["source", "reason", "rows", "example key"], rows)]


def _indicators(con: duckdb.DuckDBPyConnection, as_of: dt.date | None) -> list[str]:
    result = in_headline_order(queries.run_query(con, "snapshot", [as_of or dt.date.max]))
    if isinstance(result, Unavailable):
        return [f"_No indicators yet: {result}._"]
    if result.empty:
        return ["_No pair has indicators yet._"]
    rows = []
    for _, r in result.iterrows():
        trend = reading.trend(r["ratio_vs_ma50"], r["ratio_vs_ma200"], r["ma200_change_20d"])
        rows.append(
            [
                f"**{r['pair']}**",
                f"{r['date']:%Y-%m-%d}",
                reading.pct(r["ratio_vs_ma50"]),
                reading.pct(r["ratio_vs_ma200"]),
                reading.pct(r["spread_20d"]),
                reading.pct(r["ytd_spread"]),
                "n/a" if pd.isna(r["streak"]) else f"{int(r['streak']):+d}",
                trend.text,
            ]
        )
    header = [
        "pair",
        "session",
        "vs 50-avg",
        "vs 200-avg",
        "20-session spread",
        "YTD spread",
        "streak",
        "reading",
    ]
    return [_table(header, rows)]


def _alerts(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    result = queries.run_query(con, "run_alerts", [run_id, MAX_ALERTS])
    if isinstance(result, Unavailable):
        return [f"_No alerts table yet: {result}._"]
    if result.empty:
        return ["No new alerts in this run."]
    rows = [
        [
            f"{r['event_date']:%Y-%m-%d}",
            r["severity"],
            r["transition"],
            r["title"],
            r["subject"],
            "yes" if r["suppressed"] else "no",
        ]
        for _, r in result.iterrows()
    ]
    return [
        _table(["session", "severity", "transition", "alert", "subject", "recorded only"], rows)
    ]


def run_summary_markdown(
    summary: Mapping[str, Any],
    con: duckdb.DuckDBPyConnection,
    *,
    report_path: str | Path | None = None,
) -> str:
    """Markdown for the run's artifact, from the dict ``flows.daily`` returns and the database.

    ``con`` is read only (the published copy is fine). A skipped run (market closed) gets one
    line; a run's quarantine and alerts are looked up by its ``run_id``.
    """
    status = summary.get("status", "unknown")
    as_of_text = summary.get("as_of")
    as_of = dt.date.fromisoformat(as_of_text) if as_of_text else None
    lines = [f"# Rotation run for {as_of_text or 'unknown date'}: {status}", ""]
    if summary.get("message"):
        lines += [str(summary["message"]), ""]
    if status == "skipped":
        return "\n".join(lines)
    run_id = str(summary.get("run_id", ""))
    lines += ["## Fetched and loaded", "", *_sources(summary), ""]
    lines += ["## Damage contained", "", *_damage(summary), ""]
    members = _member_damage(con)
    if members:
        lines += ["### Per member", "", *members, ""]
    lines += ["## Quarantined", "", *_quarantine(con, run_id), ""]
    lines += ["## Headline indicators", "", *_indicators(con, as_of), ""]
    lines += ["## Alerts", "", *_alerts(con, run_id), ""]
    if report_path is not None:
        path = Path(report_path)
        uri = path.resolve().as_uri() if not str(report_path).startswith("http") else report_path
        lines += ["## Report", "", f"[{path.name}]({uri})", ""]
    return "\n".join(lines)
