"""The report's charts: matplotlib figures drawn from query results, returned as PNG bytes.

Built for a ten-second read: every panel's title says what its latest value means for the
rotation (green good for small caps, red bad, amber mixed), the last value is written at the
end of its line, and dates use matplotlib's concise formatter. A panel whose data is missing
(table not built yet, no rows in the window, not enough history) is drawn as a grey
"no data yet" panel that says why, so one absent source never costs the whole report.

matplotlib is imported inside the drawing functions (it costs ~0.5 s and only the report needs
it) and used through ``Figure`` objects, never ``pyplot``: no global state, no GUI backend,
safe in a long-running ``serve`` process. PNGs are written with the Agg renderer.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from reporting import reading
from reporting.queries import Result, Unavailable

WIDTH = 10.0  # inches; at 100 dpi a chart fits an e-mail body and a laptop screen
DPI = 100
SMALL_COLORS = {"IWM": "#e6550d", "^RUT": "#a63603", "IWC": "#fd8d3c"}
LARGE_COLORS = {"SPY": "#08519c", "^GSPC": "#3182bd", "IWB": "#6baed6", "^RUI": "#2171b5"}
PAIR_COLORS = ("#e6550d", "#3182bd", "#31a354", "#756bb1", "#636363", "#8c6d31")
NO_DATA_COLOR = "#9e9e9e"


@dataclass
class Panel:
    """One axes of a chart: its title and whether it drew data (or why not)."""

    title: str
    drawn: bool
    note: str = ""


@dataclass
class Chart:
    name: str  # file-name part: report-YYYY-MM-DD-<name>.png
    heading: str  # the section heading in the HTML page
    png: bytes
    panels: list[Panel] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(p.drawn for p in self.panels)


# ----------------------------------------------------------------------------- helpers


def _figure(rows: int, row_height: float = 2.7, ratios: Sequence[float] | None = None) -> Any:
    """A column of ``rows`` axes; ``ratios`` scales each row's share of the height."""
    from matplotlib.figure import Figure

    height = 0.5 + row_height * (sum(ratios) if ratios else rows)
    fig = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
    axes = fig.subplots(rows, 1, squeeze=False, height_ratios=ratios)[:, 0]
    for ax in axes:
        ax.grid(True, color="#e0e0e0", linewidth=0.6)
        ax.tick_params(labelsize=9)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return fig, list(axes)


def _png(fig: Any) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)  # Agg, whatever backend the process chose
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def _dates(ax: Any, start: dt.date, end: dt.date) -> None:
    """Concise dates and a little room right of the last point for its label."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    span = pd.Timestamp(end) - pd.Timestamp(start)
    ax.set_xlim(pd.Timestamp(start), pd.Timestamp(end) + span * 0.09)


def _title(ax: Any, headline: str, color: str, detail: str = "") -> None:
    """A bold coloured headline (what it means), a grey line under it (how to read it)."""
    ax.set_title(
        headline, loc="left", fontsize=11, fontweight="bold", color=color, pad=15 if detail else 6
    )
    if detail:
        ax.text(
            0.0,
            1.015,
            detail,
            transform=ax.transAxes,
            fontsize=8.5,
            color="#555555",
            va="bottom",
            ha="left",
        )


def _no_data(ax: Any, headline: str, reason: str) -> Panel:
    ax.set_facecolor("#f7f7f7")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.annotate(
        "no data yet",
        (0.5, 0.5),
        xycoords="axes fraction",
        xytext=(0, 9),
        textcoords="offset points",
        ha="center",
        va="center",
        fontsize=15,
        color=NO_DATA_COLOR,
        fontweight="bold",
    )
    ax.annotate(
        reason,
        (0.5, 0.5),
        xycoords="axes fraction",
        xytext=(0, -11),
        textcoords="offset points",
        ha="center",
        va="center",
        fontsize=9,
        color="#616161",
    )
    ax.set_title(headline, loc="left", fontsize=11, fontweight="bold", color=NO_DATA_COLOR)
    return Panel(headline, drawn=False, note=reason)


def _label_last(ax: Any, frame: pd.DataFrame, column: str, text: str, color: str) -> None:
    """Write ``text`` just right of the last non-null point of ``column``."""
    _label_ends(ax, [_end(frame, column, text, color)])


def _end(frame: pd.DataFrame, column: str, text: str, color: str) -> tuple[Any, float, str, str]:
    points = frame[["date", column]].dropna()
    return points["date"].iloc[-1], float(points[column].iloc[-1]), text, color


def _label_ends(ax: Any, ends: Sequence[tuple[Any, float, str, str]], gap_px: float = 13) -> None:
    """Label each line's last point, pushing labels apart so close lines stay readable.

    Positions are worked out in axes fractions (independent of the final layout): sorted
    bottom-up, each label at least ``gap_px`` above the one below, the stack kept inside the
    axes. A marker stays on the true last point.
    """
    if not ends:
        return
    ax.autoscale_view()
    low, high = ax.get_ylim()
    height = max(ax.get_window_extent().height, 1.0)
    gap = gap_px / height
    order = sorted(range(len(ends)), key=lambda i: ends[i][1])
    fractions = {i: (ends[i][1] - low) / (high - low) for i in order}
    placed: list[float] = []
    for i in order:
        y = fractions[i] if not placed else max(fractions[i], placed[-1] + gap)
        placed.append(y)
    overflow = placed[-1] - 0.98
    if overflow > 0:
        placed = [y - overflow for y in placed]
    for i, y in zip(order, placed, strict=True):
        x, value, text, color = ends[i]
        ax.plot([x], [value], marker="o", markersize=4, color=color)
        ax.annotate(
            text,
            (x, value),
            xytext=(6, y),
            textcoords=("offset points", "axes fraction"),
            va="center",
            fontsize=9,
            color=color,
            fontweight="bold",
            annotation_clip=False,
        )


def _rows(result: Result, column: str, where: str, value: str | None = None) -> pd.DataFrame:
    """The rows of ``result`` (optionally those whose ``where`` equals ``value``)."""
    assert not isinstance(result, Unavailable)
    frame = result if value is None else result[result[where] == value]
    return frame.dropna(subset=[column])


def _missing_reason(result: Result, what: str, start: dt.date, end: dt.date) -> str | None:
    if isinstance(result, Unavailable):
        return result.explain(what)
    if result.empty:
        return f"no {what} between {start} and {end}"
    return None


def _last(frame: pd.DataFrame, column: str) -> float | None:
    values = frame[column].dropna()
    return float(values.iloc[-1]) if not values.empty else None


def _change(frame: pd.DataFrame, column: str, rows: int) -> float | None:
    """Relative change of ``column`` over its last ``rows`` non-null values."""
    values = frame[column].dropna()
    if len(values) <= rows or values.iloc[-rows - 1] == 0:
        return None
    return float(values.iloc[-1] / values.iloc[-rows - 1] - 1)


def _color(symbol: str, index: int = 0) -> str:
    return SMALL_COLORS.get(symbol) or LARGE_COLORS.get(symbol) or PAIR_COLORS[index % 6]


# ----------------------------------------------------------------------------- ratios


def _has_ratio(rs: Result, pair: str) -> bool:
    return not isinstance(rs, Unavailable) and not _rows(rs, "ratio", "pair", pair).empty


def _ratio_panel(
    ax: Any,
    rs: Result,
    pair: str,
    start: dt.date,
    end: dt.date,
    stored: frozenset[str] | None = None,
) -> Panel:
    base = f"{pair} ratio"
    missing = _missing_reason(rs, "marts.relative_strength", start, end)
    if missing:
        return _no_data(ax, base, missing)
    frame = _rows(rs, "ratio", "pair", pair)
    if frame.empty:
        legs = [s for s in pair.split("/") if stored is not None and s not in stored]
        what = " and ".join(legs) if legs else pair
        return _no_data(ax, base, f"no {what} prices stored between {start} and {end}")
    last = frame.iloc[-1]
    verdict = reading.trend(
        last["ratio_vs_ma50"], last["ratio_vs_ma200"], _change(frame, "ratio_ma200", 20)
    )
    ax.plot(frame["date"], frame["ratio"], color="#1f3b73", linewidth=1.6, label="ratio")
    ax.plot(
        frame["date"],
        frame["ratio_ma50"],
        color="#f28e2b",
        linewidth=1.1,
        linestyle="--",
        label="50-session avg",
    )
    ax.plot(
        frame["date"], frame["ratio_ma200"], color="#7f7f7f", linewidth=1.3, label="200-session avg"
    )
    with_ma = frame.dropna(subset=["ratio_ma200"])
    if not with_ma.empty:
        above = (with_ma["ratio"] >= with_ma["ratio_ma200"]).to_numpy()
        ax.fill_between(
            with_ma["date"],
            with_ma["ratio"],
            with_ma["ratio_ma200"],
            where=above,
            color=reading.GOOD,
            alpha=0.13,
            interpolate=True,
            linewidth=0,
        )
        ax.fill_between(
            with_ma["date"],
            with_ma["ratio"],
            with_ma["ratio_ma200"],
            where=~above,
            color=reading.BAD,
            alpha=0.13,
            interpolate=True,
            linewidth=0,
        )
    _label_last(ax, frame, "ratio", f"{last['ratio']:.4g}", "#1f3b73")
    _dates(ax, start, end)
    ax.legend(loc="best", fontsize=8, frameon=False, ncols=3)
    headline = f"{pair}: {verdict.text}"
    detail = (
        f"{last['date']:%Y-%m-%d}: ratio {reading.pct(last['ratio_vs_ma200'])} vs 200-session "
        f"avg, {reading.pct(last['ratio_vs_ma50'])} vs 50. Rising = small caps outperform."
    )
    _title(ax, headline, verdict.color, detail)
    return Panel(headline, drawn=True)


def ratio_chart(
    rs: Result,
    pairs: Sequence[str],
    start: dt.date,
    end: dt.date,
    stored: frozenset[str] | None = None,
) -> Chart:
    """One panel per pair: the ratio, its 50/200-session averages, shaded against the 200.

    A pair without data keeps a short "no data yet" panel naming the missing leg, so a
    configured pair never silently disappears from the report.
    """
    ratios = [1.0 if _has_ratio(rs, p) else 0.4 for p in pairs]
    fig, axes = _figure(len(pairs), 2.9, ratios)
    panels = [
        _ratio_panel(ax, rs, pair, start, end, stored) for ax, pair in zip(axes, pairs, strict=True)
    ]
    return Chart("ratios", "Relative strength: small vs large", _png(fig), panels)


def headline_chart(rs: Result, pair: str, start: dt.date, end: dt.date) -> Chart:
    """The e-mail's picture: the headline pair's ratio over its 20-session spread."""
    fig, (top, bottom) = _figure(2, 2.4, ratios=(2.2, 1))
    fig.set_figheight(5.2)
    panels = [_ratio_panel(top, rs, pair, start, end)]
    panels.append(_spread_panel(bottom, rs, [pair], start, end, compact=True))
    return Chart("headline", f"Headline: {pair}", _png(fig), panels)


# ----------------------------------------------------------------------------- spreads


def _spread_panel(
    ax: Any, rs: Result, pairs: Sequence[str], start: dt.date, end: dt.date, compact: bool = False
) -> Panel:
    base = "20-session return spread, small minus large"
    missing = _missing_reason(rs, "marts.relative_strength", start, end)
    if missing:
        return _no_data(ax, base, missing)
    drawn = [p for p in pairs if not _rows(rs, "spread_20d", "pair", p).empty]
    if not drawn:
        return _no_data(ax, base, f"no 20-session spread for {', '.join(pairs)} yet")
    lead = _rows(rs, "spread_20d", "pair", drawn[0])
    ends = []
    for i, pair in enumerate(drawn):
        frame = _rows(rs, "spread_20d", "pair", pair)
        color = PAIR_COLORS[i % len(PAIR_COLORS)]
        ax.plot(
            frame["date"],
            frame["spread_20d"],
            color=color,
            linewidth=1.3 if i else 1.6,
            label=pair,
            alpha=1.0 if i == 0 else 0.8,
        )
        label = reading.pct(_last(frame, "spread_20d"))
        ends.append(
            _end(frame, "spread_20d", f"{pair} {label}" if len(drawn) > 1 else label, color)
        )
    values = lead["spread_20d"]
    ax.fill_between(
        lead["date"],
        values,
        0,
        where=(values >= 0).to_numpy(),
        color=reading.GOOD,
        alpha=0.15,
        interpolate=True,
        linewidth=0,
    )
    ax.fill_between(
        lead["date"],
        values,
        0,
        where=(values < 0).to_numpy(),
        color=reading.BAD,
        alpha=0.15,
        interpolate=True,
        linewidth=0,
    )
    ax.axhline(0, color="#333333", linewidth=0.8)
    ax.yaxis.set_major_formatter(_percent_formatter())
    _dates(ax, start, end)
    _label_ends(ax, ends)
    verdict = reading.spread(_last(lead, "spread_20d"))
    if compact:
        headline = f"{drawn[0]} 20-session spread: {verdict.text}"
        _title(ax, headline, verdict.color)
    else:
        headline = f"{drawn[0]}: {verdict.text}"
        _title(
            ax,
            headline,
            verdict.color,
            "Small-cap minus large-cap return over the last 20 "
            "sessions. Above 0 (green) = small caps beat large caps.",
        )
        if len(drawn) > 1:
            ax.legend(loc="best", fontsize=8, frameon=False, ncols=len(drawn))
    return Panel(headline, drawn=True)


def _percent_formatter() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)


def spread_chart(rs: Result, pairs: Sequence[str], start: dt.date, end: dt.date) -> Chart:
    fig, (ax,) = _figure(1, 3.4)
    panel = _spread_panel(ax, rs, pairs, start, end)
    return Chart("spread", "Relative return spread (20 sessions)", _png(fig), [panel])


# ----------------------------------------------------------------------------- risk


def risk_chart(
    risk: Result,
    pair_risk: Result,
    symbols: Sequence[str],
    pairs: Sequence[str],
    start: dt.date,
    end: dt.date,
) -> Chart:
    """Rolling 63-session volatility of the legs, and each pair's 63-session correlation."""
    fig, (vol_ax, corr_ax) = _figure(2, 2.9)
    panels = [
        _lines_panel(
            vol_ax,
            risk,
            "symbol",
            symbols,
            "vol_63",
            start,
            end,
            what="marts.risk",
            headline=_vol_headline,
            detail="Annualised standard deviation of daily returns, 63 sessions. Spikes in "
            "both = market stress; small caps usually run 1.3-1.6x large caps.",
        ),
        _lines_panel(
            corr_ax,
            pair_risk,
            "pair",
            pairs,
            "corr_63",
            start,
            end,
            what="marts.pair_risk",
            headline=_corr_headline,
            value_format=".2f",
            detail="Correlation of daily returns, 63 sessions. Lower = small caps moving on "
            "their own (a rotation, not just the market's beta).",
        ),
    ]
    return Chart("risk", "Volatility and correlation", _png(fig), panels)


def _vol_headline(latest: dict[str, float]) -> reading.Reading:
    """Volatility is context, not a verdict: small caps are always the more volatile leg."""
    parts = ", ".join(f"{s} {v:.0%}" for s, v in latest.items())
    small = [v for s, v in latest.items() if s in SMALL_COLORS]
    large = [v for s, v in latest.items() if s not in SMALL_COLORS]
    if small and large and min(large) > 0:
        parts += f" (small caps {max(small) / min(large):.1f}x large)"
    return reading.Reading(f"63-session volatility: {parts}", reading.NEUTRAL)


def _corr_headline(latest: dict[str, float]) -> reading.Reading:
    parts = ", ".join(f"{p} {v:.2f}" for p, v in latest.items())
    lowest = min(latest.values())
    color = reading.GOOD if lowest < 0.7 else reading.MIXED if lowest < 0.85 else reading.NEUTRAL
    return reading.Reading(f"63-session correlation: {parts}", color)


def _lines_panel(
    ax: Any,
    result: Result,
    key: str,
    keys: Sequence[str],
    column: str,
    start: dt.date,
    end: dt.date,
    *,
    what: str,
    headline: Any,
    detail: str,
    value_format: str = ".0%",
) -> Panel:
    base = {
        "vol_63": "63-session volatility",
        "corr_63": "63-session correlation",
        "drawdown": "Drawdown from peak",
    }.get(column, column)
    missing = _missing_reason(result, what, start, end)
    if missing:
        return _no_data(ax, base, missing)
    latest: dict[str, float] = {}
    ends = []
    for i, name in enumerate(keys):
        frame = _rows(result, column, key, name)
        if frame.empty:
            continue
        color = _color(name, i) if key == "symbol" else PAIR_COLORS[i % len(PAIR_COLORS)]
        ax.plot(frame["date"], frame[column], color=color, linewidth=1.4, label=name)
        value = float(frame[column].iloc[-1])
        latest[name] = value
        ends.append(_end(frame, column, f"{name} {value:{value_format}}", color))
    if not latest:
        return _no_data(ax, base, f"not enough history for {base.lower()} of {', '.join(keys)}")
    if value_format.endswith("%"):
        ax.yaxis.set_major_formatter(_percent_formatter())
    _dates(ax, start, end)
    _label_ends(ax, ends)
    ax.legend(loc="best", fontsize=8, frameon=False, ncols=min(len(latest), 6))
    verdict = headline(latest)
    _title(ax, verdict.text, verdict.color, detail)
    return Panel(verdict.text, drawn=True)


def drawdown_chart(risk: Result, symbols: Sequence[str], start: dt.date, end: dt.date) -> Chart:
    fig, (ax,) = _figure(1, 3.4)

    def headline(latest: dict[str, float]) -> reading.Reading:
        parts = ", ".join(f"{s} {v:.1%}" for s, v in latest.items())
        small = [v for s, v in latest.items() if s in SMALL_COLORS]
        large = [v for s, v in latest.items() if s not in SMALL_COLORS]
        if small and large:
            gap = min(small) - min(large)  # both <= 0; negative = small caps deeper
            color = reading.GOOD if gap > -0.05 else reading.MIXED if gap > -0.15 else reading.BAD
        else:
            color = reading.NEUTRAL
        return reading.Reading(f"Drawdown from peak: {parts}", color)

    panel = _lines_panel(
        ax,
        risk,
        "symbol",
        symbols,
        "drawdown",
        start,
        end,
        what="marts.risk",
        headline=headline,
        value_format=".1%",
        detail="Fall from the highest value so far (0 = at a new high). Small caps near "
        "their highs = the rotation holding.",
    )
    if panel.drawn:
        ax.axhline(0, color="#333333", linewidth=0.8)
    return Chart("drawdowns", "Drawdowns", _png(fig), [panel])


# ----------------------------------------------------------------------------- deal flow

EDGAR_CATEGORIES = {
    "ipo_pipeline": ("IPO registrations (S-1, F-1, DRS)", "#3182bd"),
    "ipo_priced_likely_ipo": ("IPOs priced (424B4)", "#31a354"),
    "mna": ("M&A filings (S-4, merger proxies, tenders)", "#e6550d"),
}


def deal_flow_chart(edgar: Result, ipo: Result, start: dt.date, end: dt.date) -> Chart:
    """Monthly deal flow bars against the average of the months read in the year before.

    ``edgar`` and ``ipo`` hold every month read; the chart keeps those in the window and,
    when none is, says which month was read last (old replays, a source switched off).
    """
    edgar, edgar_note = _months_in(edgar, start, end)
    ipo, ipo_note = _months_in(ipo, start, end)
    ratios = [1.0 if isinstance(r, pd.DataFrame) and not r.empty else 0.4 for r in (edgar, ipo)]
    fig, (edgar_ax, ipo_ax) = _figure(2, 2.9, ratios)
    panels = [
        _edgar_panel(edgar_ax, edgar, start, end, edgar_note),
        _ipo_panel(ipo_ax, ipo, start, end, ipo_note),
    ]
    return Chart("deal_flow", "Deal flow", _png(fig), panels)


def _months_in(result: Result, start: dt.date, end: dt.date) -> tuple[Result, str]:
    if isinstance(result, Unavailable) or result.empty:
        return result, ""
    first = pd.Timestamp(start.year, start.month, 1)
    inside = result[(result["month_start"] >= first) & (result["month_start"] <= pd.Timestamp(end))]
    before = result[result["month_start"] <= pd.Timestamp(end)]
    note = f"; latest month read: {before['month_start'].max():%b %Y}" if not before.empty else ""
    return inside.reset_index(drop=True), note


STALE_AFTER = dt.timedelta(days=62)  # the month before last is still "current" deal flow


def _stale(month_start: pd.Timestamp, end: dt.date) -> bool:
    return month_start.date() < end - STALE_AFTER


def _month_axis(ax: Any, start: dt.date, end: dt.date) -> None:
    _dates(ax, dt.date(start.year, start.month, 1) - dt.timedelta(days=20), end)


def _edgar_panel(ax: Any, edgar: Result, start: dt.date, end: dt.date, note: str) -> Panel:
    base = "EDGAR deal filings per session"
    if isinstance(edgar, Unavailable):
        return _no_data(ax, base, edgar.explain("marts.deal_flow_monthly"))
    missing = _missing_reason(edgar, "EDGAR filings read", start, end)
    if missing:
        hint = note or " (EDGAR is skipped until ROTATION_EDGAR_USER_AGENT is set)"
        return _no_data(ax, base, missing + hint)
    assert not isinstance(edgar, Unavailable)
    if not edgar["filings"].fillna(0).any():
        # sessions counted as read but not one deal filing in any month: no index with
        # filings covers the window (a replay without them), which a 0.0 over an empty axis
        # would pass off as a quiet market
        months = ", ".join(f"{m:%b %Y}" for m in sorted(set(edgar["month_start"])))
        return _no_data(
            ax,
            base,
            f"the EDGAR indexes read for {months} list no deal filing at all: "
            "no index with filings covers the window",
        )
    width = 9.0  # days: three bars side by side inside a month
    verdicts = []
    for i, (category, (label, color)) in enumerate(EDGAR_CATEGORIES.items()):
        frame = edgar[edgar["category"] == category]
        if frame.empty:
            continue
        x = frame["month_start"] + pd.Timedelta(days=3 + i * width)
        ax.bar(
            x, frame["per_session"], width=width, color=color, alpha=0.85, label=label, align="edge"
        )
        avg = frame.dropna(subset=["per_session_avg_12m"])
        ax.plot(
            avg["month_start"] + pd.Timedelta(days=15),
            avg["per_session_avg_12m"],
            color=color,
            linewidth=1.2,
            linestyle="--",
            marker="_",
        )
        last = frame.iloc[-1]
        verdicts.append((category, last))
    _month_axis(ax, start, end)
    ax.margins(y=0.25)
    ax.legend(loc="upper right", fontsize=8, frameon=False, ncols=1)
    category, last = next(((c, r) for c, r in verdicts if c == "mna"), verdicts[-1])
    what = EDGAR_CATEGORIES[category][0].split(" (")[0]
    if _stale(last["month_start"], end):
        verdict = reading.Reading(
            f"{what}: latest month read is {last['month_start']:%b %Y} (stale)", reading.NEUTRAL
        )
    else:
        verdict = reading.versus_average(
            last["per_session"],
            last["per_session_avg_12m"],
            f"{what} per session, {last['month_start']:%b %Y}",
        )
    _title(
        ax,
        verdict.text,
        verdict.color,
        "Bars: filings per session read in the month. "
        "Dashes: average of the months read in the 12 before. More deals = risk appetite.",
    )
    return Panel(verdict.text, drawn=True)


def _ipo_panel(ax: Any, ipo: Result, start: dt.date, end: dt.date, note: str) -> Panel:
    base = "IPOs priced per month (Nasdaq calendar)"
    if isinstance(ipo, Unavailable):
        return _no_data(ax, base, ipo.explain("marts.ipo_calendar"))
    missing = _missing_reason(ipo, "Nasdaq IPO calendar months read", start, end)
    if missing:
        return _no_data(ax, base, missing + note)
    assert not isinstance(ipo, Unavailable)
    x = ipo["month_start"] + pd.Timedelta(days=4)
    ax.bar(
        x,
        ipo["priced"],
        width=22,
        color="#31a354",
        alpha=0.85,
        align="edge",
        label="IPOs priced in the month",
    )
    avg = ipo.dropna(subset=["priced_avg_12m"])
    ax.plot(
        avg["month_start"] + pd.Timedelta(days=15),
        avg["priced_avg_12m"],
        color="#333333",
        linestyle="none",
        marker="_",
        markersize=18,
        markeredgewidth=2,
        label="average of the months read in the 12 before",
    )
    for _, row in ipo.iterrows():
        ax.annotate(
            f"{int(row['priced'])}",
            (row["month_start"] + pd.Timedelta(days=15), row["priced"]),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            fontsize=8,
        )
    _month_axis(ax, start, end)
    ax.margins(y=0.25)
    ax.legend(loc="upper right", fontsize=8, frameon=False, ncols=1)
    last = ipo.iloc[-1]
    if _stale(last["month_start"], end):
        verdict = reading.Reading(
            f"IPOs priced: latest month read is {last['month_start']:%b %Y} (stale)",
            reading.NEUTRAL,
        )
    else:
        verdict = reading.versus_average(
            float(last["priced"]),
            last["priced_avg_12m"],
            f"IPOs priced, {last['month_start']:%b %Y}",
        )
    _title(
        ax,
        verdict.text,
        verdict.color,
        "Months whose calendar was not read have no bar "
        "(unknown, not zero); a month read before its end counts the IPOs priced so far.",
    )
    return Panel(verdict.text, drawn=True)


# ----------------------------------------------------------------------------- macro


def macro_chart(credit: Result, claims: Result, start: dt.date, end: dt.date) -> Chart:
    """The high-yield spread and jobless claims, each as of the session (never later)."""
    fig, (hy_ax, claims_ax) = _figure(2, 2.9)
    panels = [_hy_panel(hy_ax, credit, start, end), _claims_panel(claims_ax, claims, start, end)]
    return Chart("macro", "Credit and labour market", _png(fig), panels)


def _hy_panel(ax: Any, macro: Result, start: dt.date, end: dt.date) -> Panel:
    base = "High-yield credit spread"
    missing = _missing_reason(macro, "marts.macro_daily", start, end)
    if missing:
        return _no_data(ax, base, missing)
    frame = _rows(macro, "hy_spread_bp", "date")
    if frame.empty:
        return _no_data(ax, base, "no BAMLH0A0HYM2 observations in the window (FRED not loaded)")
    ax.plot(frame["date"], frame["hy_spread_bp"], color="#6a3d9a", linewidth=1.5)
    last = _last(frame, "hy_spread_bp")
    _label_last(ax, frame, "hy_spread_bp", f"{last:.0f} bp", "#6a3d9a")
    _dates(ax, start, end)
    ax.set_ylabel("basis points", fontsize=9)
    verdict = reading.hy_spread(last, _last(frame, "hy_spread_chg_3m_bp"))
    observed = frame["hy_spread_date"].dropna()
    when = f" (observation of {observed.iloc[-1]:%Y-%m-%d})" if not observed.empty else ""
    _title(
        ax,
        f"High-yield spread {verdict.text}",
        verdict.color,
        f"ICE BofA US high-yield OAS{when}. Falling = easier credit for small, leveraged "
        "companies.",
    )
    return Panel(verdict.text, drawn=True)


def _claims_panel(ax: Any, macro: Result, start: dt.date, end: dt.date) -> Panel:
    base = "Initial jobless claims, 4-week average"
    missing = _missing_reason(macro, "marts.macro_daily", start, end)
    if missing:
        return _no_data(ax, base, missing)
    frame = _rows(macro, "claims_4wk", "date")
    if frame.empty:
        return _no_data(ax, base, "no ICSA observations in the window (FRED not loaded)")
    ax.plot(
        frame["date"], frame["claims_4wk"], color="#1b7837", linewidth=1.5, label="4-week average"
    )
    ax.plot(
        frame["date"],
        frame["claims_4wk_low_52wk"],
        color="#7f7f7f",
        linewidth=1.1,
        linestyle="--",
        label="its 52-week low",
    )
    last = _last(frame, "claims_4wk")
    _label_last(ax, frame, "claims_4wk", f"{(last or 0) / 1000:.0f}k", "#1b7837")
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:.0f}k"))
    _dates(ax, start, end)
    ax.legend(loc="upper left", fontsize=8, frameon=False, ncols=2)
    vs_low = _last(frame, "claims_4wk_vs_low_pct")
    verdict = reading.claims(last, None if vs_low is None else vs_low / 100)
    observed = frame["claims_date"].dropna()
    when = f" (week of {observed.iloc[-1]:%Y-%m-%d})" if not observed.empty else ""
    _title(
        ax,
        f"Jobless claims {verdict.text}",
        verdict.color,
        f"Initial claims, 4-week average{when}. A rise of 20%+ above the low is a classic "
        "recession warning.",
    )
    return Panel(verdict.text, drawn=True)
