"""quality/fund_pe.py: an implausible or future-dated vendor P/E is quarantined with its reason."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from quality.fund_pe import validate_fund_pe
from sources.fund_pe import ROW_COLUMNS


def test_implausible_rows_are_quarantined_and_the_rest_pass() -> None:
    frame = pd.DataFrame(
        [
            ("IWM", dt.date(2025, 2, 21), 0.05, 20.0, "reciprocal", "a.json"),
            ("IWB", dt.date(2025, 2, 21), 0.002, 500.0, "reciprocal", "b.json"),
            ("IVV", dt.date(2025, 2, 21), 24.0, 24.0, "multiple", "c.json"),
            ("SPY", dt.date(2025, 3, 1), 24.0, 24.0, "multiple", "d.json"),
        ],
        columns=ROW_COLUMNS,
    )
    verdict = validate_fund_pe(frame, today=dt.date(2025, 2, 24))
    assert verdict.batch_ok and list(verdict.good["fund"]) == ["IWM", "IVV"]
    assert list(verdict.quarantined["reason"]) == [
        "b.json: P/E 500.0 is beyond any fund's",
        "d.json: quote date 2025-03-01 is in the future",
    ]
    most_bad = validate_fund_pe(frame.iloc[[1, 2, 3]], today=dt.date(2025, 2, 24))
    assert not most_bad.batch_ok and most_bad.good.empty  # 2 of 3 bad: nothing loads
