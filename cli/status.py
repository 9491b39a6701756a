"""``rotation status``: the latest indicators per pair, data freshness, damage and the last run.

Reads only: it takes a read-only connection (the published copy) and renders with rich. The
damage a run contained (``ops.incidents``: a file that could not be read, a symbol or series
with no data, an index cut short) is shown per symbol in the freshness table, per source in
the sources table, and in full in its own table until a run resolves it.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd
from rich.console import Console
from rich.table import Table

from cli.status_valuation import collect_valuation_context, render_valuation_context
from flows.deployments import DAILY_CRON
from rotation import calendar, incidents
from rotation.sql import read as read_sql


def _table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, name = qualified.split(".")
    found = con.execute(read_sql("build/table_exists.sql"), [schema, name]).fetchone()
    return bool(found and found[0])


def collect_status(con: duckdb.DuckDBPyConnection, today: dt.date) -> dict[str, Any]:
    """Everything the status screen shows, as plain values (also the ``--format json``)."""
    status: dict[str, Any] = {"last_run": None, "freshness": [], "pairs": [], "incidents": []}
    if _table_exists(con, "ops.incidents"):
        status["incidents"] = incidents.open_incidents(con)
    damage_by_symbol: dict[str, list[str]] = {}
    for incident in status["incidents"]:
        if incident["source"] == "prices" and incident["subject"] != "prices":  # a symbol
            damage_by_symbol.setdefault(incident["subject"], []).append(incident["kind"])
    if _table_exists(con, "ops.runs"):
        last = con.execute(read_sql("status/last_run.sql")).df()
        if not last.empty:
            status["last_run"] = last.iloc[0].to_dict()
    expected = calendar.latest_session_on_or_before(today)
    # Today's bar is final only after the close: until then the session before is expected.
    before_close = today == calendar.today_in_new_york() and calendar.is_session(today)
    before_close = before_close and dt.datetime.now(calendar.NEW_YORK) < (
        calendar.session_close(today) + dt.timedelta(minutes=15)
    )
    if before_close:
        expected = calendar.previous_sessions(today, 2)[0]
    status["expected_session"] = expected
    if _table_exists(con, "raw.prices"):
        # index members (thousands) are summarised in one row below, not listed here
        members_table = _table_exists(con, "ops.member_symbols")
        fresh = con.execute(
            read_sql(
                "status/symbol_freshness.sql"
                if members_table
                else "status/symbol_freshness_without_members.sql"
            )
        ).df()
        for row in fresh.itertuples():
            latest = pd.Timestamp(row.latest).date()
            behind = len(calendar.sessions(latest + dt.timedelta(days=1), expected))
            status["freshness"].append(
                {"symbol": row.symbol, "latest": latest, "rows": int(row.rows), "behind": behind,
                 "damage": damage_by_symbol.pop(row.symbol, [])}
            )  # fmt: skip
    for symbol, kinds in sorted(damage_by_symbol.items()):  # damaged, nothing stored yet
        status["freshness"].append(
            {"symbol": symbol, "latest": None, "rows": 0, "behind": None, "damage": kinds}
        )
    status["sources"] = _source_freshness(con)
    for row in status["sources"]:
        row["open_incidents"] = sum(i["source"] == row["source"] for i in status["incidents"])
    if _table_exists(con, "marts.latest_indicators"):
        status["pairs"] = con.execute(read_sql("status/latest_indicators.sql")).df()
        status["pairs"] = status["pairs"].to_dict(orient="records")
    status["members"] = None
    if _table_exists(con, "ops.member_symbols") and _table_exists(con, "raw.prices"):
        query = read_sql("reporting/member_freshness.sql")
        cursor = con.execute(query, [expected])
        names = [d[0] for d in cursor.description or ()]
        row = cursor.fetchone()
        if row is not None and row[0]:
            status["members"] = dict(zip(names, row, strict=True))
    status["breadth"] = []
    if _table_exists(con, "marts.latest_breadth"):
        breadth = con.execute(read_sql("status/latest_breadth.sql")).df()
        status["breadth"] = (
            breadth.astype(object).where(breadth.notna(), None).to_dict(orient="records")
        )
    status["valuation"] = []
    if _table_exists(con, "marts.latest_valuation"):
        valuation = con.execute(read_sql("status/latest_valuation.sql")).df()
        status["valuation"] = (
            valuation.astype(object).where(valuation.notna(), None).to_dict(orient="records")
        )
    status.update(collect_valuation_context(con, today))
    return status


_SOURCE_LATEST = {
    # source: (table, the query for the latest date of data it holds)
    "prices": ("raw.prices", "status/latest_prices.sql"),
    "edgar": ("raw.edgar_filings", "status/latest_edgar.sql"),
    "nasdaq": ("raw.nasdaq_ipos", "status/latest_nasdaq.sql"),
    "fred": ("raw.fred_downloads", "status/latest_fred.sql"),
    "holdings": ("raw.holdings_snapshots", "status/latest_holdings.sql"),
    "xbrl": ("raw.xbrl_facts", "status/latest_xbrl.sql"),
    "fund_pe": ("raw.fund_pe", "status/latest_fund_pe.sql"),
    "shiller": ("raw.shiller_monthly", "status/latest_shiller.sql"),
    "member_prices": ("ops.member_symbols", "status/latest_member_prices.sql"),
}


def _source_freshness(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Per source: the latest data it holds and when it last delivered a good batch."""
    rows = []
    for source, (table, query) in _SOURCE_LATEST.items():
        if not _table_exists(con, table):
            continue
        latest = con.execute(read_sql(query)).fetchone()
        last_ok = None
        if _table_exists(con, "ops.validation_runs"):
            found = con.execute(read_sql("status/last_good_batch.sql"), [source]).fetchone()
            last_ok = found[0] if found else None
        rows.append(
            {
                "source": source,
                "latest_data": latest[0] if latest else None,
                "last_good_batch": last_ok,
            }
        )
    return rows


def _pct(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value * 100:+.{digits}f}%"


def _num(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def _console() -> Console:
    """A terminal's own width; 120 columns when piped (rich would assume 80 and squeeze)."""
    return Console() if sys.stdout.isatty() else Console(width=120)


def render_status(status: dict[str, Any], console: Console | None = None) -> None:
    console = console or _console()
    run = status.get("last_run")
    if run:
        console.print(
            f"[bold]Last run[/bold] {run['flow']} for {str(run['as_of'])[:10]}: "
            f"[bold]{run['status']}[/bold] (finished {run['finished_at'] or '–'})\n"
            f"  {run['message'] or ''}"
        )
    else:
        console.print("[bold]Last run[/bold]: none recorded yet")

    pairs = Table(
        title="Rotation indicators (latest session per pair; 20d/60d/YTD = small minus large)"
    )
    # Spreads: small minus large return over 20/60 sessions and year to date.
    for column in ("pair", "date", "ratio", "vs MA50", "vs MA200", "20d", "60d", "YTD",
                   "streak", "corr63", "beta63"):  # fmt: skip
        pairs.add_column(column, justify="left" if column == "pair" else "right", no_wrap=True)
    for p in status.get("pairs", []):
        pairs.add_row(
            p["pair"],
            str(p["date"])[:10],
            _num(p.get("ratio")),
            _pct(p.get("ratio_vs_ma50")),
            _pct(p.get("ratio_vs_ma200")),
            _pct(p.get("spread_20d")),
            _pct(p.get("spread_60d")),
            _pct(p.get("ytd_spread")),
            str(int(p["streak"])) if p.get("streak") is not None else "–",
            _num(p.get("corr_63"), 2),
            _num(p.get("beta_63"), 2),
        )
    console.print(pairs)

    fresh = Table(title=f"Data freshness (expected session {status.get('expected_session')})")
    for column in ("symbol", "latest", "sessions behind", "rows", "damage"):
        fresh.add_column(column, justify="left" if column in ("symbol", "damage") else "right")
    for f in status.get("freshness", []):
        behind = f["behind"]
        damaged = ", ".join(f.get("damage", []))
        style = (
            "red" if damaged or behind is None or behind > 1 else ("yellow" if behind == 1 else "")
        )
        fresh.add_row(
            f["symbol"], str(f["latest"] or "–"), "–" if behind is None else str(behind),
            str(f["rows"]), damaged, style=style,
        )  # fmt: skip
    console.print(fresh)
    members = status.get("members")
    if members:
        console.print(
            f"Index members: {members['up_to_date']} of {members['members']} priced up to "
            f"{status.get('expected_session')}, {members['never_priced']} never priced"
            + (f", oldest latest {members['oldest_latest']}" if members["oldest_latest"] else "")
        )

    breadth = status.get("breadth", [])
    if breadth:
        _render_breadth(breadth, console)

    valuation = status.get("valuation", [])
    if valuation:
        _render_valuation(valuation, console)
    render_valuation_context(status, console)

    sources = Table(title="Sources")
    for column in ("source", "latest data", "last good batch", "open incidents"):
        sources.add_column(column)
    for row in status.get("sources", []):
        sources.add_row(
            row["source"],
            str(row["latest_data"] or "none yet"),
            str(row["last_good_batch"] or "never")[:19],
            str(row.get("open_incidents", 0)),
            style="red" if row.get("open_incidents") else "",
        )
    console.print(sources)

    found = status.get("incidents", [])
    damage = Table(title=f"Damage contained, still open ({len(found)}); the rest loaded")
    for column in ("source", "subject", "kind", "since", "detail"):
        damage.add_column(column, overflow="fold")
    for i in found:
        damage.add_row(
            i["source"], i["subject"], i["kind"], str(i["session"] or i["first_seen"])[:10],
            i["detail"],
        )  # fmt: skip
    if found:
        console.print(damage)
    else:
        console.print("No open data incidents.")


def _share(value: Any) -> str:
    """A share of a whole (coverage, loss weight): unsigned percent."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value * 100:.0f}%"


def _render_valuation(rows: list[dict[str, Any]], console: Console) -> None:
    """Fund valuation on each fund's latest session; withheld figures (coverage under the
    floor) show as "–" next to the coverage that explains them."""
    table = Table(
        title="Valuation from constituents (latest session per fund; – = withheld or none)"
    )
    for column in ("fund", "session", "holdings", "coverage", "P/E", "P/E ex loss",
                   "loss wt", "EPS growth", "median", "vs IVV", "growth gap"):  # fmt: skip
        table.add_column(column, justify="left" if column == "fund" else "right", no_wrap=True)
    for v in rows:
        table.add_row(
            v["fund"],
            str(v["session"])[:10],
            str(v["holdings_as_of"])[:10],
            _share(v.get("coverage")),
            _num(v.get("pe"), 1),
            _num(v.get("pe_ex_losses"), 1),
            _share(v.get("loss_share_weight")),
            _pct(v.get("earnings_growth"), 1),
            _pct(v.get("median_earnings_growth"), 1),
            _pct(v.get("discount_vs_ivv"), 0),
            _pct(v.get("growth_gap_vs_ivv"), 1),
        )
    console.print(table)


def _render_breadth(rows: list[dict[str, Any]], console: Console) -> None:
    """Breadth on each fund's latest session (docs/breadth.md): the shares are of the members
    with the figure that day; ">MA50 10 ago" shows which way participation is moving."""
    table = Table(title="Breadth (latest session per fund; shares of members)")
    for column in ("fund", "session", "priced", ">MA50", "10 ago", ">MA200", "highs-lows",
                   "adv/dec", "A/D line", "EW-WW 1d", "beat 20d", "beat 60d"):  # fmt: skip
        table.add_column(column, justify="left" if column == "fund" else "right", no_wrap=True)
    for b in rows:
        net = b.get("net_new_highs")
        table.add_row(
            b["fund"],
            str(b["session"])[:10],
            f"{b['members_priced']}/{b['members']}",
            _share(b.get("above_ma50_share")),
            _share(b.get("above_ma50_share_10")),
            _share(b.get("above_ma200_share")),
            f"{int(net):+d}" if net is not None else "–",
            f"{b['advancers']}/{b['decliners']}",
            f"{int(b['ad_line']):+d}" if b.get("ad_line") is not None else "–",
            _pct(b.get("breadth_spread")),
            _share(b.get("beat_benchmark_20_share")),
            _share(b.get("beat_benchmark_60_share")),
        )
    console.print(table)


def print_frame(frame: pd.DataFrame, console: Console | None = None, limit: int = 200) -> None:
    """A query result as a table; long results are cut with a note (use --format csv)."""
    console = console or _console()
    table = Table()
    for column in frame.columns:
        table.add_column(str(column))
    for row in frame.head(limit).itertuples(index=False):
        table.add_row(*["NULL" if pd.isna(v) else str(v) for v in row])
    console.print(table)
    if len(frame) > limit:
        console.print(f"({len(frame)} rows, first {limit} shown; --format csv prints all)")


# ----------------------------------------------------------------------------- status --check

# When the daily run is scheduled, in New York (flows/deployments.py, which imports nothing, so
# `status` never imports Prefect; a test keeps prefect.yaml equal to it).
_MINUTE, _HOUR, *_ = DAILY_CRON.split()
SCHEDULED_AT = dt.time(int(_HOUR), int(_MINUTE))
COMPLETED = ("completed", "completed_with_blocked_batches")


def due_session(now: dt.datetime, due_after: dt.timedelta) -> dt.date:
    """The latest session whose run should have completed by ``now``.

    A session's run is due ``due_after`` after its scheduled start (18:30 New York); before
    that, the session before it is the one that must be there.
    """
    local = now.astimezone(calendar.NEW_YORK)
    for session in reversed(calendar.previous_sessions(local.date(), 2)):
        due = dt.datetime.combine(session, SCHEDULED_AT, calendar.NEW_YORK) + due_after
        if due <= local:
            return session
    return calendar.previous_sessions(local.date(), 3)[0]


DATA_SLACK_SESSIONS = 3  # the newest price may lag the session due by this many sessions
# (a forming last bar dropped, a vendor a day late); beyond it a completed run published old data


def check_data(
    con: duckdb.DuckDBPyConnection, expected: dt.date, symbols: Sequence[str]
) -> tuple[bool, str]:
    """(fresh, one line): is the newest price of the configured ``symbols`` in the published
    copy within ``DATA_SLACK_SESSIONS`` of the ``expected`` session?

    Completion is not freshness: a run can complete every day while every symbol stays
    hundreds of sessions behind (a replay folder that stopped growing, a vendor serving old
    files). One stale symbol is an incident of its own (``rotation status``); this fails only
    when even the freshest configured symbol is behind. Nothing stored yet: nothing to judge.
    """
    if not symbols or not _table_exists(con, "raw.prices"):
        return True, ""
    row = con.execute(read_sql("status/latest_configured_price.sql"), [list(symbols)]).fetchone()
    if row is None or row[0] is None:
        return True, ""
    latest = pd.Timestamp(row[0]).date()
    behind = len(calendar.sessions(latest + dt.timedelta(days=1), expected))
    if behind <= DATA_SLACK_SESSIONS:
        return True, ""
    return False, (
        f"STALE: the last run completed, but the newest price published is for {latest}, "
        f"{behind} session(s) behind the {expected} session (at most {DATA_SLACK_SESSIONS} "
        "allowed)"
    )


def check_runs(
    con: duckdb.DuckDBPyConnection,
    now: dt.datetime,
    due_after: dt.timedelta,
    symbols: Sequence[str] = (),
) -> tuple[bool, str]:
    """(fresh, one line): is the last completed run at least for the session that is due,
    and (with ``symbols``) is the data it published that fresh too (:func:`check_data`)?

    For a dead man's switch outside the pipeline (cron, systemd ``OnFailure=``, Nagios-style
    monitors): a run that never happened writes nothing, so only the absence can be checked.
    """
    expected = due_session(now, due_after)
    last = None
    if _table_exists(con, "ops.runs"):
        last = con.execute(read_sql("status/last_completed_run.sql"), list(COMPLETED)).fetchone()
    if last is None:
        return False, f"STALE: no completed run recorded; the {expected} session is due"
    as_of = pd.Timestamp(last[0]).date()
    finished = pd.Timestamp(last[1]).strftime("%Y-%m-%d %H:%M %Z") if last[1] else "?"
    if as_of >= expected:
        data_fresh, data_line = check_data(con, expected, symbols)
        if not data_fresh:
            return False, data_line
        return True, f"OK: last completed run ({last[2]}) is for {as_of}, finished {finished}"
    missed = len(calendar.sessions(as_of + dt.timedelta(days=1), expected))
    return False, (
        f"STALE: last completed run ({last[2]}) is for {as_of}, finished {finished}; the "
        f"{expected} session was due by "
        f"{dt.datetime.combine(expected, SCHEDULED_AT) + due_after:%Y-%m-%d %H:%M} New York "
        f"({missed} session(s) missing)"
    )
