"""Validation of the funds' vendor P/E (Yahoo quoteSummary) before it is stored.

The parser already refuses a body without the field, a non-positive value, and reads a value
below 1 as an earnings yield. What is left to catch is a figure no diversified fund can have
(a multiple above ``MAX_FUND_PE``: the vendor divided by a near-zero aggregate, or a unit
slip) and a quote dated after the run's day. Such a row is quarantined with its reason and
never compared: a broken vendor figure must not raise a false "our P/E is wrong" incident.
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

REQUIRED_COLUMNS = ("fund", "as_of", "reported_value", "pe", "reported_as", "file")
MAX_FUND_PE = 300.0  # the S&P 500's trailing P/E peaked near 123 (2009, Shiller's data)


def fund_pe_row_problems(frame: pd.DataFrame, *, today: dt.date) -> pd.Series:
    """One reason per row ('' when fine), prefixed with the file it came from."""
    pe = pd.to_numeric(frame["pe"], errors="coerce")
    as_of = pd.to_datetime(frame["as_of"], errors="coerce")
    checks = [
        (pe.isna(), "P/E is not a number"),
        (pe > MAX_FUND_PE, "P/E " + pe.round(2).astype(str) + " is beyond any fund's"),
        (as_of.isna(), "quote date is missing"),
        (as_of > pd.Timestamp(today), "quote date " + as_of.astype(str) + " is in the future"),
    ]
    reasons = join_reasons(checks, frame.index)
    bad = reasons != ""
    reasons[bad] = frame["file"].astype(str)[bad] + ": " + reasons[bad]
    return reasons


def validate_fund_pe(frame: pd.DataFrame, *, today: dt.date) -> BatchVerdict:
    """Split the day's vendor P/E rows into rows to load and rows to quarantine."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        return missing_columns_verdict("fund_pe", frame, missing)
    df = frame.reset_index(drop=True).copy()
    df[ROW_ID] = np.arange(len(df), dtype="int64")
    df["problem"] = fund_pe_row_problems(df, today=today).astype(str) if len(df) else ""
    checks = [
        Check("ExpectCompoundColumnsToBeUnique", {"column_list": ["fund", "as_of"]},
              "the same fund and session twice"),
        Check(
            "ExpectColumnValuesToBeInSet",
            {"column": "problem", "value_set": [""]},
            "row check failed",
            reason_column="problem",
        ),
    ]  # fmt: skip
    result = run_suite(df, "fund_pe", checks)
    return split_batch("fund_pe", df, result, list(frame.columns))
