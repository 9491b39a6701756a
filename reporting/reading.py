"""Words and colours for what a figure means for the rotation thesis, as pure functions.

A chart title that says "ratio above its 200-session average: small caps leading" is read in
a second; a bare line is not. The same words go into the report's table, the chart titles and
the run summary, so they are defined once here. "Good" always means good for the thesis that
small caps are taking over from large caps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

GOOD, BAD, MIXED, NEUTRAL = "#1a7f37", "#c62828", "#b26a00", "#555555"


@dataclass(frozen=True)
class Reading:
    text: str
    color: str


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def pct(value: float | None, digits: int = 1, signed: bool = True) -> str:
    """0.0312 -> '+3.1%'; missing -> 'n/a'."""
    if _missing(value):
        return "n/a"
    assert value is not None
    return f"{value * 100:{'+' if signed else ''}.{digits}f}%"


def trend(
    vs_ma50: float | None, vs_ma200: float | None, ma200_change: float | None = None
) -> Reading:
    """Where a pair's ratio stands against its 50- and 200-session averages.

    ``ma200_change`` (the 200-session average's change over the last 20 sessions) separates
    established leadership from an early turn: a ratio just above a still-falling average
    has not reversed the trend yet.
    """
    if _missing(vs_ma200) and _missing(vs_ma50):
        return Reading("not enough history for the averages", NEUTRAL)
    if _missing(vs_ma200):
        assert vs_ma50 is not None
        if vs_ma50 > 0:
            return Reading("above its 50-session average (no 200 yet)", MIXED)
        return Reading("below its 50-session average (no 200 yet)", MIXED)
    assert vs_ma200 is not None
    above_200 = vs_ma200 > 0
    above_50 = None if _missing(vs_ma50) else bool(vs_ma50 is not None and vs_ma50 > 0)
    falling = not _missing(ma200_change) and ma200_change is not None and ma200_change < 0
    rising = not _missing(ma200_change) and ma200_change is not None and ma200_change > 0
    if above_200 and above_50 is not False:
        if falling:
            return Reading("early turn: ratio above its averages, 200-avg still falling", MIXED)
        return Reading("small caps leading: ratio above its averages", GOOD)
    if above_200:
        return Reading("above the 200-session average, below the 50: lead fading", MIXED)
    if above_50:
        return Reading("below the 200-session average, above the 50: turning up", MIXED)
    if rising:
        return Reading("pullback: ratio below its averages, 200-avg still rising", MIXED)
    return Reading("large caps leading: ratio below its averages", BAD)


def spread(value: float | None, sessions: int = 20) -> Reading:
    """A relative return spread, small minus large."""
    if _missing(value):
        return Reading(f"no {sessions}-session spread yet", NEUTRAL)
    assert value is not None
    if value > 0:
        return Reading(f"small caps ahead by {pct(value, signed=False)} over {sessions}", GOOD)
    if value < 0:
        return Reading(f"small caps behind by {pct(-value, signed=False)} over {sessions}", BAD)
    return Reading(f"level over {sessions} sessions", NEUTRAL)


def hy_spread(level_bp: float | None, change_bp: float | None) -> Reading:
    """The high-yield spread: narrowing credit spreads help leveraged small caps."""
    if _missing(level_bp):
        return Reading("no high-yield spread yet", NEUTRAL)
    text = f"{level_bp:.0f} bp"
    if _missing(change_bp):
        return Reading(text, NEUTRAL)
    assert change_bp is not None
    text += f", {change_bp:+.0f} bp in 3 months"
    if change_bp < 0:
        return Reading(text + ": credit easing, good for small caps", GOOD)
    if change_bp > 0:
        return Reading(text + ": credit tightening, a risk", BAD)
    return Reading(text, NEUTRAL)


def claims(avg_4wk: float | None, vs_low: float | None) -> Reading:
    """Jobless claims against their 52-week low: a rise from the low flags a cooling economy."""
    if _missing(avg_4wk):
        return Reading("no claims data yet", NEUTRAL)
    assert avg_4wk is not None
    text = f"{avg_4wk / 1000:.0f}k"
    if _missing(vs_low):
        return Reading(text, NEUTRAL)
    assert vs_low is not None
    text += f", {pct(vs_low, 0)} vs 52-week low"
    if vs_low >= 0.20:
        return Reading(text + ": labour market cooling, a risk", BAD)
    if vs_low >= 0.10:
        return Reading(text + ": drifting up, watch", MIXED)
    return Reading(text + ": near the low, benign", GOOD)


def versus_average(value: float | None, average: float | None, what: str) -> Reading:
    """A count against its trailing average: more deals mean risk appetite for small caps."""
    if _missing(value):
        return Reading(f"no {what} yet", NEUTRAL)
    assert value is not None
    if _missing(average):
        return Reading(f"{what} {value:.1f} (no trailing average yet)", NEUTRAL)
    assert average is not None
    text = f"{what} {value:.1f} vs {average:.1f} average"
    if value > average:
        return Reading(text + ": above, good for small caps", GOOD)
    if value < average:
        return Reading(text + ": below, a headwind", BAD)
    return Reading(text, NEUTRAL)
