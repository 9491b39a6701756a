"""quality/shiller.py: a future month, a bad price or an impossible CAPE is quarantined alone."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from quality.shiller import validate_shiller
from sources.shiller import ROW_COLUMNS


def test_implausible_months_are_quarantined_and_the_rest_load() -> None:
    rows = [
        (dt.date(2026, 3, 1), 6654.42, 79.97, 277.1, 330.2, 4.25, 36.94, 39.47, "w.xls"),
        (dt.date(2026, 4, 1), 6957.01, None, None, 331.9, 4.32, 381.4, 40.70, "w.xls"),
        (dt.date(2026, 5, 1), 0.0, None, None, 332.8, 4.45, 39.58, 42.22, "w.xls"),
        (dt.date(2026, 7, 1), 7300.0, None, None, 333.0, 4.40, 39.90, 42.50, "w.xls"),
        (dt.date(1871, 1, 1), 4.44, 0.26, 0.4, 12.46, 5.32, None, None, "w.xls"),
    ]
    verdict = validate_shiller(pd.DataFrame(rows, columns=ROW_COLUMNS), today=dt.date(2026, 6, 1))
    assert not verdict.batch_ok  # 3 of 5 bad: most of the file is, nothing loads
    ok = validate_shiller(
        pd.DataFrame(rows[:2] + rows[4:], columns=ROW_COLUMNS), today=dt.date(2026, 6, 1)
    )
    assert ok.batch_ok and list(ok.good["month"]) == [dt.date(2026, 3, 1), dt.date(1871, 1, 1)]
    assert list(ok.quarantined["reason"]) == ["w.xls 2026-04: CAPE 381.4 is implausible"]
    reasons = validate_shiller(
        pd.DataFrame([rows[0], rows[2], rows[3], rows[4]], columns=ROW_COLUMNS),
        today=dt.date(2026, 6, 1),
    ).quarantined["reason"]
    assert list(reasons) == [
        "w.xls 2026-05: price 0.0 is not positive",
        "w.xls 2026-07: month 2026-07 is in the future",
    ]
