"""Validation of Shiller's monthly rows before they are stored.

The parser refuses a file that is not the workbook and turns unreadable cells into problem
rows. Left to catch: a month after the run's (a workbook cannot know the future: a date typo),
a non-positive price, and a CAPE outside anything on record (5-45 since 1881; a value beyond
100 is a unit slip or a shifted column). Such a month is quarantined with its reason and the
others load.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from quality.suite import (
    ROW_ID,
    BatchVerdict,
    Check,
    join_reasons,
    missing_columns_verdict,
    run_suite,
    split_batch,
)

REQUIRED_COLUMNS = ("month", "price", "earnings", "cape", "file")
MAX_CAPE = 100.0


def shiller_row_problems(frame: pd.DataFrame, *, today: dt.date) -> pd.Series:
    month = pd.to_datetime(frame["month"], errors="coerce")
    price = pd.to_numeric(frame["price"], errors="coerce")
    cape = pd.to_numeric(frame["cape"], errors="coerce")
    checks = [
        (month.isna(), "month is missing"),
        (month > pd.Timestamp(today), "month " + month.dt.strftime("%Y-%m") + " is in the future"),
        (price <= 0, "price " + price.astype(str) + " is not positive"),
        ((cape <= 0) | (cape > MAX_CAPE), "CAPE " + cape.round(2).astype(str) + " is implausible"),
    ]
    reasons = join_reasons(checks, frame.index)
    bad = reasons != ""
    reasons[bad] = (
        frame["file"].astype(str)[bad] + " " + month.dt.strftime("%Y-%m")[bad].fillna("?") + ": "
    ) + reasons[bad]
    return reasons


def validate_shiller(frame: pd.DataFrame, *, today: dt.date) -> BatchVerdict:
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        return missing_columns_verdict("shiller", frame, missing)
    df = frame.reset_index(drop=True).copy()
    df[ROW_ID] = np.arange(len(df), dtype="int64")
    df["problem"] = shiller_row_problems(df, today=today).astype(str) if len(df) else ""
    checks = [
        Check("ExpectColumnValuesToBeUnique", {"column": "month"}, "the same month twice"),
        Check(
            "ExpectColumnValuesToBeInSet",
            {"column": "problem", "value_set": [""]},
            "row check failed",
            reason_column="problem",
        ),
    ]
    result = run_suite(df, "shiller", checks)
    return split_batch("shiller", df, result, list(frame.columns))
