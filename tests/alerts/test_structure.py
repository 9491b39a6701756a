"""alerts/ owns its event and its SQL: one row mapping by name, no inline SQL, no import circle."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest

from alerts.channels import CHANNELS, build_channels
from alerts.deliver import pending
from alerts.events import EVENT_COLUMNS, Event, fetch_rows
from alerts.rules import CHANNEL_NAMES, AlertsError
from alerts.store import insert_event
from rotation import sql
from rotation.settings import AlertsSettings, Secrets

ALERTS = Path(__file__).resolve().parents[2] / "alerts"

EVENT = Event(
    event_id="e1",
    rule="iwm_drawdown_10",
    subject="IWM",
    event_date=dt.date(2024, 12, 19),
    transition="reminder",
    kind="risk",
    severity="warning",
    value=-0.11,
    threshold=-0.10,
    title="IWM 10% below its peak",
    body_text="text",
    body_html="<p>html</p>",
    slack_block={"type": "section", "text": {"type": "mrkdwn", "text": "x"}},
    channels=("slack", "alertmanager"),
    suppressed=False,
    run_id="run-1",
    runbook_url="https://runbooks.example/iwm",
    started_on=dt.date(2024, 12, 17),
)


def test_every_event_field_is_a_column_of_the_outbox(con: duckdb.DuckDBPyConnection) -> None:
    columns = {row[0] for row in con.execute("describe alerts.events").fetchall()}
    assert set(EVENT_COLUMNS) <= columns
    assert tuple(f.name for f in dataclasses.fields(Event)) == EVENT_COLUMNS


def test_an_event_survives_the_outbox_field_by_field(con: duckdb.DuckDBPyConnection) -> None:
    assert insert_event(con, EVENT)
    assert not insert_event(con, EVENT)  # stored once
    (stored,) = [Event.from_row(r) for r in fetch_rows(con.execute("select * from alerts.events"))]
    assert stored == EVENT
    events, in_flight = pending(con, "alertmanager")
    assert events == [EVENT] and in_flight == frozenset()


def test_rows_are_read_by_column_name_not_position() -> None:
    row = EVENT.to_row()
    shuffled = {k: row[k] for k in reversed(list(row))} | {"in_flight": True, "extra": 1}
    assert Event.from_row(shuffled) == EVENT
    with pytest.raises(KeyError, match="lacks column"):  # named, never a shifted field
        Event.from_row({k: v for k, v in row.items() if k != "rule"})


def test_the_channel_registry_is_the_channel_list() -> None:
    assert tuple(CHANNELS) == CHANNEL_NAMES
    with pytest.raises(AlertsError, match=r"unknown channel 'pager' \(console, slack, email"):
        build_channels(AlertsSettings(channels=("pager",)), Secrets())


def _imports(path: Path, package: str) -> set[str]:
    """alerts.* modules a module imports anywhere in it (also inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("alerts.")}
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:  # relative: resolve against the module's package
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, node.module])
            if base.startswith("alerts"):
                found.add(base)
                found |= {f"{base}.{a.name}" for a in node.names}
    return found


def _graph() -> dict[str, set[str]]:
    modules = {}
    for path in ALERTS.rglob("*.py"):
        parts = path.relative_to(ALERTS.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = name if parts[-1] == "__init__" else ".".join(parts[:-1])
        modules[name] = (path, package)
    return {
        name: {m for m in _imports(path, package) if m in modules and m != name}
        for name, (path, package) in modules.items()
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()

    def visit(node: str, stack: list[str]) -> list[str] | None:
        if node in stack:
            return [*stack[stack.index(node) :], node]
        if node in done:
            return None
        for target in sorted(graph[node]):
            found = visit(target, [*stack, node])
            if found:
                return found
        done.add(node)
        return None

    for node in sorted(graph):
        found = visit(node, [])
        if found:
            return found
    return None


def test_no_import_circle_inside_alerts() -> None:
    graph = _graph()
    assert "alerts.channels.base" in graph and "alerts.events" in graph
    # a package importing its own submodules is no circle; a submodule importing its
    # package's __init__ (or a sibling that leads back to itself) is
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_circle_check_sees_a_circle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


_SQL_START = re.compile(r"^\s*(select|insert|update|delete|with|create)\b", re.IGNORECASE)


def test_no_sql_statement_is_written_inline_in_alerts() -> None:
    inline = []
    for path in ALERTS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and "\n" in node.value.strip()
                and _SQL_START.match(node.value)
            ):
                inline.append(f"{path.name}:{node.lineno}")
    assert inline == []


def test_sql_read_names_a_missing_file() -> None:
    assert "insert into alerts.events" in sql.read("alerts/events/insert.sql")
    with pytest.raises(FileNotFoundError, match=r"alerts/nope\.sql"):
        sql.read("alerts/nope.sql")
