"""The report's breadth panel: how many index members take part in the move (docs/breadth.md).

Kept apart from ``reporting/charts.py`` (it reuses that module's drawing helpers) so the
breadth chart can change without touching the other panels. Two panels for one fund (IWM, the
Russell 2000): the shares of members above their 50- and 200-session averages, and the
cumulative advance/decline line. Both show "no data yet" with the reason until members are
priced and a holdings snapshot is loaded.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from reporting import reading
from reporting.charts import (
    Chart,
    Panel,
    _dates,
    _end,
    _figure,
    _label_ends,
    _label_last,
    _last,
    _missing_reason,
    _no_data,
    _percent_formatter,
    _png,
    _rows,
    _title,
)
from reporting.queries import Result

BREADTH_FUND = "IWM"  # the Russell 2000 stand-in: whether small caps rise broadly
MA50_COLOR, MA200_COLOR, AD_COLOR = "#e6550d", "#08519c", "#31a354"


def breadth_chart(breadth: Result, start: dt.date, end: dt.date, fund: str = BREADTH_FUND) -> Chart:
    fig, (share_ax, ad_ax) = _figure(2, 2.9)
    panels = [
        _share_panel(share_ax, breadth, fund, start, end),
        _ad_panel(ad_ax, breadth, fund, start, end),
    ]
    return Chart("breadth", f"Breadth ({fund} members)", _png(fig), panels)


def _fund_rows(breadth: Result, fund: str, column: str) -> Any:
    return _rows(breadth, column, "fund", fund)


def _share_panel(ax: Any, breadth: Result, fund: str, start: dt.date, end: dt.date) -> Panel:
    base = f"{fund} members above their averages"
    missing = _missing_reason(breadth, "marts.breadth", start, end)
    if missing:
        return _no_data(ax, base, missing)
    frame = _fund_rows(breadth, fund, "above_ma50_share")
    if frame.empty:
        return _no_data(ax, base, f"no member with 50 sessions of prices in {fund} yet")
    ends = []
    for column, label, color in (
        ("above_ma50_share", "above 50-session avg", MA50_COLOR),
        ("above_ma200_share", "above 200-session avg", MA200_COLOR),
    ):
        rows = _fund_rows(breadth, fund, column)
        if rows.empty:
            continue
        ax.plot(rows["date"], rows[column], color=color, linewidth=1.4, label=label)
        ends.append(_end(rows, column, f"{float(rows[column].iloc[-1]):.0%}", color))
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(_percent_formatter())
    _dates(ax, start, end)
    _label_ends(ax, ends)
    ax.legend(loc="upper left", fontsize=8, frameon=False, ncols=2)
    share = _last(frame, "above_ma50_share") or 0.0
    color = reading.GOOD if share >= 0.6 else reading.BAD if share < 0.4 else reading.MIXED
    priced = frame.iloc[-1]
    _title(
        ax,
        f"{share:.0%} of {fund} members above their 50-session average",
        color,
        f"Share of members with a full window ({int(priced['members_priced'])} of "
        f"{int(priced['members'])} priced on the last session). Broad = the rotation is real.",
    )
    return Panel(base, drawn=True)


def _ad_panel(ax: Any, breadth: Result, fund: str, start: dt.date, end: dt.date) -> Panel:
    base = f"{fund} advance/decline line"
    missing = _missing_reason(breadth, "marts.breadth", start, end)
    if missing:
        return _no_data(ax, base, missing)
    frame = _fund_rows(breadth, fund, "ad_line")
    # a session with no member priced has an A/D line of 0 by construction, not a flat market:
    # a line of such sessions would read "falling" over zero members
    frame = frame[frame["members_priced"].fillna(0) > 0]
    if frame.empty:
        return _no_data(
            ax,
            base,
            f"no {fund} member priced between {start} and {end} "
            "(members are priced from the first holdings snapshot on)",
        )
    ax.plot(frame["date"], frame["ad_line"], color=AD_COLOR, linewidth=1.5)
    last = _last(frame, "ad_line") or 0.0
    _label_last(ax, frame, "ad_line", f"{last:+,.0f}", AD_COLOR)
    _dates(ax, start, end)
    window = frame["ad_line"].tail(20)
    _title(
        ax,
        *_ad_verdict(window.tolist()),
        "Running sum of advancing minus declining members since the first holdings snapshot.",
    )
    return Panel(base, drawn=True)


def _ad_verdict(window: list[float]) -> tuple[str, str]:
    """The A/D line's headline and colour over its last sessions (flat is not falling)."""
    sessions = len(window)
    if sessions < 2:
        return "A/D line: one session priced so far", reading.NEUTRAL
    span = f"over the last {sessions} sessions"
    if window[-1] > window[0]:
        return f"A/D line rising {span}", reading.GOOD
    if window[-1] < window[0]:
        return f"A/D line falling {span}", reading.BAD
    return f"A/D line flat {span}", reading.NEUTRAL
