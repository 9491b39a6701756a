"""Validation of a batch of XBRL facts: row checks in pandas, the batch judged by GX.

The parser already rejects facts it cannot read and values that conflict inside one filing.
These checks catch facts that cannot be right as dated: a period that ends after the filing
that reports it (a duration fact cannot be known before its period is over, and a
point-in-time series built on it would see the future), a filing date in the future, a
non-positive share count, an EPS beyond any real company's (a unit slip: cents as dollars,
or a share count in the EPS field). A quarantined fact is simply not usable; the company's
other facts still load, and its trailing figures are built from what is left (or withheld
when a quarter is missing, see ``docs/fundamentals.md``).
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

REQUIRED_COLUMNS = (
    "cik", "metric", "taxonomy", "concept", "unit", "period_start", "period_end", "is_instant",
    "value", "accession", "filed",
)  # fmt: skip
KEY = ["cik", "taxonomy", "concept", "unit", "period_start", "period_end", "accession"]
MAX_ABS_EPS = 10_000.0  # dollars per share; Berkshire's class A earns ~$60,000: A shares
# are not what the funds hold (BRK-B earns ~$40), so above this is a unit slip


def xbrl_row_problems(frame: pd.DataFrame, *, today: dt.date) -> pd.Series:
    """One reason per fact ('' when fine), prefixed with the file and JSON path when known."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise KeyError(f"XBRL batch lacks column(s) {', '.join(missing)}")
    end = pd.to_datetime(frame["period_end"], errors="coerce")
    filed = pd.to_datetime(frame["filed"], errors="coerce")
    value = pd.to_numeric(frame["value"], errors="coerce")
    duration = ~frame["is_instant"].astype(bool)
    metric = frame["metric"].astype(str)
    checks = [
        (filed.isna(), "filing date is missing"),
        (filed > pd.Timestamp(today) + pd.Timedelta(days=1), "filing date is in the future"),
        (
            duration & (end > filed),
            "period ends "
            + end.dt.strftime("%Y-%m-%d")
            + " after the filing that reports it ("
            + filed.dt.strftime("%Y-%m-%d")
            + ")",
        ),
        (value.isna(), "value is not a number"),
        ((metric == "shares_outstanding") & (value <= 0), "share count is not positive"),
        (
            (metric == "eps") & (value.abs() > MAX_ABS_EPS),
            "EPS " + value.astype(str) + " is beyond any plausible value (unit slip?)",
        ),
    ]
    reasons = join_reasons(checks, frame.index)
    if "file" in frame:
        bad = reasons != ""
        where = frame["file"].astype(str) + " " + frame["concept"].astype(str) + ": "
        reasons[bad] = where[bad] + reasons[bad]
    return reasons


def validate_facts(frame: pd.DataFrame, *, today: dt.date) -> BatchVerdict:
    """Split a batch of facts into facts to load and facts to quarantine.

    An empty batch is valid (every company asked for may have had nothing new, or no XBRL).
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        return missing_columns_verdict("xbrl", frame, missing)
    df = frame.reset_index(drop=True).copy()
    df[ROW_ID] = np.arange(len(df), dtype="int64")
    df["problem"] = xbrl_row_problems(df, today=today).astype(str) if len(df) else ""
    checks = [
        Check(
            "ExpectTableColumnsToMatchSet",
            {"column_set": list(df.columns), "exact_match": False},
            f"XBRL batch is missing columns (needs {', '.join(REQUIRED_COLUMNS)})",
            row_level=False,
        ),
        Check("ExpectCompoundColumnsToBeUnique", {"column_list": KEY}, "duplicate fact key"),
        *[
            Check("ExpectColumnValuesToNotBeNull", {"column": c}, f"{c} is missing")
            for c in ("cik", "concept", "accession")
        ],
        Check(
            "ExpectColumnValuesToBeInSet",
            {"column": "problem", "value_set": [""]},
            "row check failed",
            reason_column="problem",
        ),
    ]
    result = run_suite(df, "xbrl", checks)
    return split_batch("xbrl", df, result, list(frame.columns))
