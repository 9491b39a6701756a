"""The report's valuation panel: P/E small vs large with the discount, loss-makers, growth.

Kept in its own module (the charts of ``reporting.charts`` are prices, deal flow and macro) and
drawn with the same helpers, so it reads like the other charts: a coloured headline saying
what the latest value means for the rotation, a grey line saying how it is built, a grey
"no data yet" panel that says why when the figures are absent or withheld. Figures come from
``marts.fund_valuation`` and ``marts.valuation_gap`` (docs/fundamentals.md): a withheld figure
(coverage below the floor) is shown as withheld with its coverage, never as zero.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from reporting.charts import (
    Chart,
    Panel,
    _dates,
    _end,
    _figure,
    _label_ends,
    _missing_reason,
    _no_data,
    _png,
    _title,
)
from reporting.queries import Result, Unavailable

SMALL, LARGE = "IWM", "IVV"  # the Russell 2000 and S&P 500 proxies (docs/fundamentals.md)
FUND_COLORS = {"IWM": "#e6550d", "IVV": "#08519c", "IWB": "#6baed6"}
GOOD, BAD, MIXED = "#1a9850", "#d73027", "#b8860b"
WIDE_DISCOUNT = -0.15  # the discount the headline calls "cheaper" (a band, not a rule)


def valuation_chart(
    funds: Result, gap: Result, shiller: Result, start: dt.date, end: dt.date
) -> Chart:
    """Four panels: P/E of profitable members with the discount, loss-maker share, growth,
    and the S&P 500's P/E and CAPE in their own history since 1871 (Shiller)."""
    fig, (pe_ax, loss_ax, growth_ax, long_ax) = _figure(4, 2.6)
    panels = [
        _pe_panel(pe_ax, funds, gap, start, end),
        _loss_panel(loss_ax, funds, start, end),
        _growth_panel(growth_ax, funds, start, end),
        _long_run_panel(long_ax, shiller, end),
    ]
    return Chart("valuation", "Valuation: small caps against large caps", _png(fig), panels)


def _series(funds: Result, column: str) -> dict[str, pd.DataFrame]:
    assert not isinstance(funds, Unavailable)
    return {
        fund: rows.dropna(subset=[column])
        for fund, rows in funds.groupby("fund", sort=True)
        if rows[column].notna().any()
    }


def _withheld(funds: Result, what: str) -> str:
    """Why a column has no value: the latest coverage of each fund against the floor."""
    assert not isinstance(funds, Unavailable)
    latest = funds.sort_values("date").groupby("fund").tail(1)
    pairs = zip(latest["fund"], latest["coverage"], strict=True)
    shown = ", ".join(f"{fund} {coverage:.0%}" for fund, coverage in pairs)
    return f"{what} withheld: members with usable earnings cover too little weight ({shown})"


def _lines(ax: Any, series: dict[str, pd.DataFrame], column: str, fmt: str) -> None:
    ends = []
    for fund, rows in series.items():
        color = FUND_COLORS.get(fund, "#636363")
        ax.plot(rows["date"], rows[column], color=color, linewidth=1.5, label=fund)
        ends.append(_end(rows, column, f"{fund} {format(rows[column].iloc[-1], fmt)}", color))
    _label_ends(ax, ends)
    ax.legend(loc="upper left", fontsize=8, frameon=False, ncols=len(series))


def _percent_axis(ax: Any) -> None:
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))


def _last_of(frame: pd.DataFrame | None, column: str) -> float | None:
    if frame is None or frame.empty:
        return None
    values = frame[column].dropna()
    return float(values.iloc[-1]) if not values.empty else None


def _pe_panel(ax: Any, funds: Result, gap: Result, start: dt.date, end: dt.date) -> Panel:
    base = "P/E of profitable members, small vs large"
    missing = _missing_reason(funds, "marts.fund_valuation", start, end)
    if missing:
        return _no_data(ax, base, missing)
    series = _series(funds, "pe_ex_losses")
    if not series:
        return _no_data(ax, base, _withheld(funds, "P/E"))
    _lines(ax, series, "pe_ex_losses", ".1f")
    _dates(ax, start, end)
    ax.set_ylabel("P/E", fontsize=9)
    pair = f"{SMALL}/{LARGE}"
    discount = None
    if not isinstance(gap, Unavailable) and not gap.empty:
        discount = _last_of(gap[gap["pair"] == pair], "discount_ex_losses")
    if discount is None:
        headline, color = f"No {pair} discount (a side is withheld or missing)", MIXED
    elif discount <= WIDE_DISCOUNT:
        headline, color = f"Small caps {-discount:.0%} cheaper than the S&P 500", GOOD
    elif discount < 0:
        headline = f"Small caps {-discount:.0%} cheaper than the S&P 500: a thin cushion"
        color = MIXED
    else:
        headline, color = f"Small caps {discount:.0%} dearer than the S&P 500", BAD
    all_pe = {f: _last_of(r, "pe") for f, r in _series(funds, "pe").items()}
    with_losses = ", ".join(f"{f} {v:.1f}" for f, v in all_pe.items() if v is not None)
    _title(
        ax,
        headline,
        color,
        "Weighted harmonic mean over members with positive trailing EPS (IWM = Russell 2000, "
        f"IVV = S&P 500); all members: {with_losses or 'withheld'}.",
    )
    return Panel(headline, drawn=True)


def _loss_panel(ax: Any, funds: Result, start: dt.date, end: dt.date) -> Panel:
    base = "Loss-making members, share of weight"
    missing = _missing_reason(funds, "marts.fund_valuation", start, end)
    if missing:
        return _no_data(ax, base, missing)
    series = _series(funds, "loss_share_weight")
    if not series:
        return _no_data(ax, base, _withheld(funds, "Loss-maker share"))
    _lines(ax, series, "loss_share_weight", ".0%")
    _percent_axis(ax)
    _dates(ax, start, end)
    small = series.get(SMALL)
    last = _last_of(small, "loss_share_weight")
    first = None if small is None else float(small["loss_share_weight"].iloc[0])
    if last is None or first is None:
        headline, color = "No Russell 2000 loss-maker share in the window", MIXED
    else:
        change = last - first
        trend = "rising" if change > 0.02 else "falling" if change < -0.02 else "steady"
        color = BAD if trend == "rising" else GOOD if trend == "falling" else MIXED
        headline = (
            f"{last:.0%} of the Russell 2000 loses money, {trend} ({change:+.0%} in the window)"
        )
    _title(
        ax,
        headline,
        color,
        "Weight of members with negative trailing EPS among members with usable earnings.",
    )
    return Panel(headline, drawn=True)


def _growth_panel(ax: Any, funds: Result, start: dt.date, end: dt.date) -> Panel:
    base = "Trailing earnings growth, year on year"
    missing = _missing_reason(funds, "marts.fund_valuation", start, end)
    if missing:
        return _no_data(ax, base, missing)
    series = _series(funds, "earnings_growth")
    if not series:
        return _no_data(ax, base, _withheld(funds, "Earnings growth"))
    _lines(ax, series, "earnings_growth", "+.0%")
    _percent_axis(ax)
    ax.axhline(0.0, color="#9e9e9e", linewidth=0.8)
    _dates(ax, start, end)
    small, large = (
        _last_of(series.get(SMALL), "earnings_growth"),
        _last_of(series.get(LARGE), "earnings_growth"),
    )
    if small is None or large is None:
        headline, color = "Small vs large earnings growth: a side is withheld", MIXED
    elif small > large:
        headline, color = f"Small-cap earnings grow faster: {small:+.0%} vs {large:+.0%}", GOOD
    else:
        headline, color = f"Small-cap earnings lag: {small:+.0%} vs {large:+.0%}", BAD
    _title(
        ax,
        headline,
        color,
        "Aggregate trailing EPS against a year earlier at the snapshot's prices.",
    )
    return Panel(headline, drawn=True)


def _long_run_panel(ax: Any, shiller: Result, end: dt.date) -> Panel:
    base = "S&P 500 P/E and CAPE since 1871"
    if isinstance(shiller, Unavailable):
        return _no_data(ax, base, shiller.explain("marts.shiller_context"))
    cape = shiller.dropna(subset=["cape"])
    if cape.empty:
        return _no_data(ax, base, f"no Shiller months up to {end} (workbook not loaded)")
    pe = shiller.dropna(subset=["pe"])
    ax.plot(cape["date"], cape["cape"], color="#08519c", linewidth=1.2, label="CAPE")
    ax.plot(pe["date"], pe["pe"], color="#9ecae1", linewidth=0.9, label="trailing P/E")
    ax.set_ylim(0, max(60.0, float(cape["cape"].max()) * 1.1))  # 2009's P/E of 123 clipped
    last = cape.iloc[-1]
    _label_ends(ax, [_end(cape, "cape", f"CAPE {last['cape']:.1f}", "#08519c")])
    ax.legend(loc="upper left", fontsize=8, frameon=False, ncols=2)
    share = float(last["cape_percentile"])
    color = BAD if share >= 0.9 else GOOD if share <= 0.5 else MIXED
    headline = (
        f"Large caps dear: CAPE {last['cape']:.1f} tops {share:.0%} of months since 1881"
        if share >= 0.9
        else f"S&P 500 CAPE {last['cape']:.1f}, at the {share:.0%} percentile of its history"
    )
    pe_note = ""
    if not pe.empty:
        p = pe.iloc[-1]
        pe_note = (
            f"; trailing P/E {p['pe']:.1f} ({pd.Timestamp(p['date']):%b %Y}), "
            f"{float(p['pe_percentile']):.0%} percentile"
        )
    _title(
        ax,
        headline,
        color,
        f"Shiller's monthly data, CAPE of {pd.Timestamp(last['date']):%b %Y}{pe_note}. "
        "A dear S&P 500 is the large-cap side of the rotation case.",
    )
    return Panel(headline, drawn=True)
