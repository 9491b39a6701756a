"""Running the rule SQL: one file per family under ``sql/alerts/``, values bound as parameters.

Every family file returns the rule's series, (subject, date, value), for the same named
parameters ($subject, $indicator, $start, $end); ``sql/alerts/crossings.sql`` then flags each
value against the rule ($direction, $threshold, $rearm_at), so the threshold logic is written
once for every family. The NYSE
calendar is registered as ``alert_sessions`` for the data-quality family, which counts missed
sessions and SQL has no exchange calendar of its own.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from alerts.rules import FAMILIES, Rule
from alerts.state import Observation
from rotation import calendar, sql

log = logging.getLogger(__name__)

ALERTS_SQL_DIR = sql.SQL_DIR / "alerts"
_CALENDAR_FROM = dt.date(1970, 1, 2)  # rotation.calendar.RELIABLE_FROM: sessions exact from here


class MissingInputError(RuntimeError):
    """A rule's input table does not exist yet (its models were never built)."""


def family_sql(family: str) -> str:
    if family not in FAMILIES:
        raise KeyError(f"unknown rule family {family!r}")
    return sql.read(f"alerts/{family}.sql")


def _crossings_sql() -> str:
    return sql.read("alerts/crossings.sql")


def family_path(family: str) -> Path:
    return ALERTS_SQL_DIR / f"{family}.sql"


@cache
def _session_frame(end: dt.date) -> pd.DataFrame:
    days = calendar.sessions(_CALENDAR_FROM, end)
    return pd.DataFrame(
        {"date": pd.to_datetime(pd.Series(days)).dt.date, "n": range(1, len(days) + 1)}
    )


def observations(
    con: duckdb.DuckDBPyConnection, rule: Rule, start: dt.date, end: dt.date
) -> dict[str, list[Observation]]:
    """The rule's candidate rows for sessions in ``[start, end]``, by subject, in date order."""
    series_params = {
        "subject": rule.subject,
        "indicator": rule.indicator,
        "start": start,
        "end": end,
    }
    rule_params = {
        "rule": rule.name,
        "direction": rule.direction,
        "threshold": rule.threshold,
        "rearm_at": rule.rearm_at,
        "severity": rule.severity,
    }
    registered = rule.family == "data_quality"
    if registered:
        con.register("alert_sessions", _session_frame(max(end, _CALENDAR_FROM)))
    try:
        series = con.execute(family_sql(rule.family), series_params).df()
    except duckdb.CatalogException as exc:
        raise MissingInputError(
            f"rule {rule.name!r} ({family_path(rule.family)}) cannot run: "
            f"{str(exc).splitlines()[0]} (build the models first)"
        ) from None
    finally:
        if registered:
            con.unregister("alert_sessions")
    con.register("alert_series", series)
    try:
        rows = con.execute(_crossings_sql(), rule_params).fetchall()
    finally:
        con.unregister("alert_series")
    by_subject: dict[str, list[Observation]] = defaultdict(list)
    for _rule, subject, date, value, _threshold, breached, cleared, _severity in rows:
        by_subject[subject].append(
            Observation(subject, date, float(value), bool(breached), bool(cleared))
        )
    return dict(by_subject)
