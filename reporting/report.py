"""Build the report for one session from a read-only connection, and write it to a folder.

The report describes the last session with indicators on or before the date asked for (a
weekend, a holiday or a run not made yet falls back to the session before, and the page says
so). It reads only marts, ``ops.pairs`` and ``alerts.events`` through ``sql/reporting/``, so
it runs against the published read-only copy while the scheduled writer works.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from reporting import charts, queries
from reporting.breadth import breadth_chart
from reporting.charts import Chart
from reporting.page import render_page
from reporting.queries import Result, Unavailable
from reporting.valuation import valuation_chart

LOOKBACK_DAYS = 730  # two years: enough to see a 200-session average turn
ALERT_DAYS = 30
ALERT_ROWS = 50
# Always shown, with a "no data" panel when absent: the two pairs the rotation thesis is
# read from (the funds and the Russell indices). Other configured or stored pairs follow.
HEADLINE_PAIRS = ("IWM/SPY", "^RUT/^RUI")


@dataclass
class Report:
    session: dt.date  # the session described
    asked: dt.date | None
    start: dt.date
    notes: list[str]
    snapshot: Result
    alerts: Result
    alerts_start: dt.date
    charts: list[Chart] = field(default_factory=list)

    def chart(self, name: str) -> Chart:
        return next(c for c in self.charts if c.name == name)


def _pairs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Pairs to chart: the headline pairs first, then the configured or stored ones."""
    found = queries.run_query(con, "pairs", [])
    names = list(HEADLINE_PAIRS)
    if not isinstance(found, Unavailable):
        names += [p for p in found["pair"] if p not in names]
    return names


def _risk_symbols(with_data: list[str]) -> list[str]:
    """The legs of the first pair of funds and the first pair of indices that have data.

    Every leg of every pair would draw near-identical lines (IWB, SPY and ^GSPC move
    together); one pair of each kind shows small against large without the clutter.
    """
    chosen: list[str] = []
    kinds: set[bool] = set()
    for pair in with_data:
        small, _, large = pair.partition("/")
        index = small.startswith("^")
        if index not in kinds:
            kinds.add(index)
            chosen += [s for s in (small, large) if s not in chosen]
    return chosen


def in_headline_order(snapshot: Result, pairs: Sequence[str] = HEADLINE_PAIRS) -> Result:
    """Rows of ``snapshot`` with the headline pairs first, as in the charts."""
    if isinstance(snapshot, Unavailable) or snapshot.empty:
        return snapshot
    rank = {p: i for i, p in enumerate(pairs)}
    key = snapshot["pair"].map(lambda p: rank.get(p, len(rank)))
    return snapshot.assign(_rank=key).sort_values(["_rank", "pair"]).drop(columns="_rank")


def _with_data(rs: Result, pairs: list[str]) -> list[str]:
    return [p for p in pairs if (rs["pair"] == p).any()] if isinstance(rs, pd.DataFrame) else []


def _session(con: duckdb.DuckDBPyConnection, as_of: dt.date | None) -> tuple[dt.date, list[str]]:
    session = queries.last_session(con, as_of)
    if session is None:
        day = as_of or dt.date.today()
        return day, [f"No indicators on or before {day}: run `rotation run` first."]
    if as_of is not None and session != as_of:
        return session, [
            f"No indicators on {as_of} (not a session, or no run for it yet): "
            f"showing the last session before it, {session}."
        ]
    return session, []


def build_report(
    con: duckdb.DuckDBPyConnection, as_of: dt.date | None, *, lookback_days: int = LOOKBACK_DAYS
) -> Report:
    """Query and draw everything; nothing is written."""
    session, notes = _session(con, as_of)
    start = session - dt.timedelta(days=lookback_days)
    pairs = _pairs(con)
    rs = queries.window(con, "relative_strength", start, session)
    with_data = _with_data(rs, pairs)
    symbols = _risk_symbols(with_data) or [s for p in pairs[:1] for s in p.split("/")]
    risk = queries.window(con, "risk", start, session)
    stored = frozenset(risk["symbol"]) if isinstance(risk, pd.DataFrame) else None
    pair_risk = queries.window(con, "pair_risk", start, session)
    alerts_start = session - dt.timedelta(days=ALERT_DAYS)
    report = Report(
        session=session,
        asked=as_of,
        start=start,
        notes=notes,
        snapshot=in_headline_order(queries.run_query(con, "snapshot", [session]), pairs),
        alerts=queries.run_query(con, "alerts", [alerts_start, session, ALERT_ROWS]),
        alerts_start=alerts_start,
    )
    report.charts = [
        charts.headline_chart(rs, _headline_pair(with_data), start, session),
        charts.ratio_chart(rs, pairs, start, session, stored),
        charts.spread_chart(rs, with_data or pairs[:1], start, session),
        charts.risk_chart(risk, pair_risk, symbols, with_data or pairs, start, session),
        charts.drawdown_chart(risk, symbols, start, session),
        charts.deal_flow_chart(
            queries.run_query(con, "edgar_deal_flow", []),
            queries.run_query(con, "ipo_calendar_monthly", []),
            start,
            session,
        ),
        charts.macro_chart(
            queries.window(con, "credit_spread", start, session),
            queries.window(con, "jobless_claims", start, session),
            start,
            session,
        ),
        valuation_chart(
            queries.window(con, "valuation_funds", start, session),
            queries.window(con, "valuation_gap", start, session),
            queries.run_query(con, "shiller_history", [session]),
            start,
            session,
        ),
    ]
    report.charts.append(
        breadth_chart(queries.window(con, "breadth", start, session), start, session)
    )
    return report


def _headline_pair(with_data: list[str]) -> str:
    """IWM/SPY when it has data, else the first pair that has (else IWM/SPY, as "no data")."""
    return with_data[0] if with_data else HEADLINE_PAIRS[0]


def write_report(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date | None,
    out_dir: Path,
    *,
    lookback_days: int = LOOKBACK_DAYS,
) -> Path:
    """Write ``out_dir/report-YYYY-MM-DD.html`` and its PNG charts; return the HTML path.

    The date in the names is the session described (see the module docstring). Files are
    written under temporary names and renamed, so a reader never opens half a PNG.
    """
    report = build_report(con, as_of, lookback_days=lookback_days)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"report-{report.session:%Y-%m-%d}"
    saved = []
    for chart in report.charts:
        name = f"{stem}-{chart.name}.png"
        _atomic_write(out_dir / name, chart.png)
        saved.append((chart, name))
    page = render_page(
        session=report.session,
        notes=report.notes,
        snapshot=report.snapshot,
        charts=saved,
        alerts=report.alerts,
        alerts_start=report.alerts_start,
        generated_at=dt.datetime.now(dt.UTC),
    )
    target = out_dir / f"{stem}.html"
    _atomic_write(target, page.encode())
    return target


def headline_chart_png(con: duckdb.DuckDBPyConnection, as_of: dt.date | None) -> bytes:
    """The headline pair's ratio and 20-session spread as PNG bytes, for the e-mail digest."""
    session, _ = _session(con, as_of)
    start = session - dt.timedelta(days=LOOKBACK_DAYS)
    rs = queries.window(con, "relative_strength", start, session)
    with_data = _with_data(rs, _pairs(con))
    return charts.headline_chart(rs, _headline_pair(with_data), start, session).png


def _atomic_write(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)
