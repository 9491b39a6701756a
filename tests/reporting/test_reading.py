"""What the report's words say about the thesis, on values worked out by hand."""

from __future__ import annotations

import math

from reporting import reading


def test_trend_separates_leadership_from_an_early_turn() -> None:
    assert reading.trend(0.02, 0.03, 0.01).color == reading.GOOD
    assert reading.trend(0.02, 0.03, None).color == reading.GOOD
    early = reading.trend(0.016, 0.006, -0.004)  # IWM/SPY on 2025-09-25
    assert early.color == reading.MIXED and "early turn" in early.text
    assert reading.trend(-0.01, 0.02).text.endswith("lead fading")
    assert reading.trend(0.01, -0.02).text.endswith("turning up")
    assert reading.trend(-0.01, -0.02, -0.01).color == reading.BAD
    assert "pullback" in reading.trend(-0.01, -0.02, 0.01).text
    assert reading.trend(math.nan, math.nan).color == reading.NEUTRAL
    assert "no 200 yet" in reading.trend(0.01, None).text


def test_spreads_credit_claims_and_counts() -> None:
    assert reading.spread(0.021).text == "small caps ahead by 2.1% over 20"
    assert reading.spread(-0.003).color == reading.BAD
    assert reading.hy_spread(276.0, -28.0).color == reading.GOOD
    assert (
        reading.hy_spread(400.0, 35.0).text
        == "400 bp, +35 bp in 3 months: credit tightening, a risk"
    )
    assert reading.claims(238_000, 0.12).color == reading.MIXED
    assert reading.claims(260_000, 0.25).color == reading.BAD
    assert reading.claims(205_000, 0.02).color == reading.GOOD
    assert reading.versus_average(20.0, None, "M&A").text == "M&A 20.0 (no trailing average yet)"
    assert reading.versus_average(12.0, 10.0, "M&A").color == reading.GOOD
    assert reading.pct(0.0312) == "+3.1%" and reading.pct(None) == "n/a"
