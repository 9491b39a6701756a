"""The report's HTML page: a table of the rotation's state, the charts, the alerts.

One static file with its styles inline and the charts beside it as PNGs, so it opens from a
file browser, a shared folder or an e-mail attachment with no server. Every value from the
database is escaped.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Sequence

import pandas as pd

from reporting import reading
from reporting.charts import Chart
from reporting.queries import Result, Unavailable

STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px auto;
       max-width: 1040px; color: #222; padding: 0 12px; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
p.note { color: #555; font-size: 13px; margin: 4px 0; }
table { border-collapse: collapse; font-size: 13px; width: 100%; }
th, td { border-bottom: 1px solid #eee; padding: 5px 8px; text-align: right; }
th { background: #f5f5f5; }
td.text, th.text { text-align: left; }
img { width: 100%; max-width: 1000px; border: 1px solid #eee; }
.good { color: #1a7f37; font-weight: 600; } .bad { color: #c62828; font-weight: 600; }
.mixed { color: #b26a00; font-weight: 600; } .neutral { color: #555; }
.sev-critical { color: #fff; background: #c62828; border-radius: 3px; padding: 1px 5px; }
.sev-warning { color: #222; background: #ffcc80; border-radius: 3px; padding: 1px 5px; }
.sev-info { color: #222; background: #e0e0e0; border-radius: 3px; padding: 1px 5px; }
.empty { color: #777; font-style: italic; }
"""

_CLASS = {reading.GOOD: "good", reading.BAD: "bad", reading.MIXED: "mixed"}


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _cls(r: reading.Reading) -> str:
    return _CLASS.get(r.color, "neutral")


def _number(value: object, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def snapshot_table(snapshot: Result) -> str:
    """Each pair's latest figures and what they mean, coloured good/bad for the thesis."""
    if isinstance(snapshot, Unavailable):
        return f'<p class="empty">No indicators yet: {_e(snapshot)}.</p>'
    if snapshot.empty:
        return '<p class="empty">No pair has indicators on or before this session.</p>'
    rows = []
    for _, r in snapshot.iterrows():
        trend = reading.trend(r["ratio_vs_ma50"], r["ratio_vs_ma200"], r["ma200_change_20d"])
        spread = reading.spread(r["spread_20d"])
        streak = "n/a" if pd.isna(r["streak"]) else f"{int(r['streak']):+d}"
        rows.append(
            "<tr>"
            f'<td class="text"><b>{_e(r["pair"])}</b></td>'
            f"<td>{r['date']:%Y-%m-%d}</td>"
            f"<td>{reading.pct(r['ratio_vs_ma50'])}</td>"
            f"<td>{reading.pct(r['ratio_vs_ma200'])}</td>"
            f'<td class="{_cls(spread)}">{reading.pct(r["spread_20d"])}</td>'
            f"<td>{reading.pct(r['spread_60d'])}</td>"
            f"<td>{reading.pct(r['ytd_spread'])}</td>"
            f"<td>{_e(streak)}</td>"
            f"<td>{_number(r['corr_63'])}</td>"
            f'<td class="text {_cls(trend)}">{_e(trend.text)}</td>'
            "</tr>"
        )
    head = (
        '<tr><th class="text">pair</th><th>session</th><th>ratio vs 50-avg</th>'
        "<th>ratio vs 200-avg</th><th>20-session spread</th><th>60-session spread</th>"
        '<th>YTD spread</th><th>streak</th><th>corr 63</th><th class="text">reading</th></tr>'
    )
    return f"<table>{head}{''.join(rows)}</table>"


def alerts_table(alerts: Result, start: dt.date, end: dt.date) -> str:
    if isinstance(alerts, Unavailable):
        return f'<p class="empty">No alerts table yet: {_e(alerts)}.</p>'
    if alerts.empty:
        return f'<p class="empty">No alerts between {start} and {end}.</p>'
    rows = []
    for _, r in alerts.iterrows():
        severity = str(r["severity"])
        rows.append(
            "<tr>"
            f"<td>{r['event_date']:%Y-%m-%d}</td>"
            f'<td class="text"><span class="sev-{_e(severity)}">{_e(severity)}</span></td>'
            f'<td class="text">{_e(r["kind"])}</td>'
            f'<td class="text">{_e(r["transition"])}</td>'
            f'<td class="text">{_e(r["title"])}</td>'
            f'<td class="text">{_e(r["subject"])}</td>'
            f"<td>{_number(r['value'], 4)}</td>"
            f"<td>{_number(r['threshold'], 4)}</td>"
            "</tr>"
        )
    head = (
        '<tr><th>session</th><th class="text">severity</th><th class="text">kind</th>'
        '<th class="text">transition</th><th class="text">alert</th>'
        '<th class="text">subject</th><th>value</th><th>threshold</th></tr>'
    )
    return f"<table>{head}{''.join(rows)}</table>"


def render_page(
    *,
    session: dt.date,
    notes: Sequence[str],
    snapshot: Result,
    charts: Sequence[tuple[Chart, str]],
    alerts: Result,
    alerts_start: dt.date,
    generated_at: dt.datetime,
) -> str:
    """The whole page; ``charts`` pairs each chart with the PNG file name it was saved as."""
    sections = []
    for chart, file_name in charts:
        alt = "; ".join(p.title for p in chart.panels)
        sections.append(
            f"<h2>{_e(chart.heading)}</h2>"
            f'<img src="{_e(file_name)}" alt="{_e(alt)}">'
            + "".join(
                f'<p class="note">{_e(p.title)}: no data yet ({_e(p.note)})</p>'
                for p in chart.panels
                if not p.drawn
            )
        )
    note_html = "".join(f'<p class="note">{_e(n)}</p>' for n in notes)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Small-cap rotation, {session}</title><style>{STYLE}</style></head><body>"
        f"<h1>Small-cap rotation: session {session}</h1>{note_html}"
        f'<p class="note">Generated {generated_at:%Y-%m-%d %H:%M} UTC. Green = good for the '
        "rotation into small caps, red = against it, amber = mixed.</p>"
        f"<h2>State of the rotation</h2>{snapshot_table(snapshot)}"
        + "".join(sections)
        + f"<h2>Alerts since {alerts_start}</h2>{alerts_table(alerts, alerts_start, session)}"
        + "</body></html>\n"
    )
