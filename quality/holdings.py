"""Validation of one fund holdings snapshot: row checks in pandas, the snapshot judged by GX.

A snapshot is judged as a whole first, because its lines only mean something together: an
as-of date must be present and not in the future, and the equity weights must add up to about
100 % (99.4-99.8 % in real files, the rest is cash and futures; a file cut off halfway sums to
far less). A snapshot failing that is blocked: nothing of it loads and the previous snapshot
stays the fund's latest, so indicators keep using known-good membership.

Row checks then quarantine single lines with their reason: an equity without a positive price
or with a negative or missing weight, and a ticker listed twice among equities. Two repeats
are normal and pass: ``-`` (unlisted lines, warrants, escrows: no ticker at all) and a company
listed next to its contingent value right under the same ticker (``CHINOOK THERAPEUTICS INC``
and ``CHINOOK THERAPEUTICS INC CVR``, both ``ADRO``). Cash, futures and collateral lines are
not members and are not checked for price (a future has market value 0 by construction).
"""

from __future__ import annotations

import datetime as dt
import re

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

REQUIRED_COLUMNS = ("fund", "as_of", "line", "ticker", "name", "weight_pct", "price", "is_equity")
_CVR_SUFFIX = re.compile(r"[\s-]*\bCVR\b.*$")


def _known_duplicate(names: pd.Series) -> bool:
    """True when a repeated ticker is one company and its CVR (the names agree without it)."""
    stems = {_CVR_SUFFIX.sub("", str(n)).strip() for n in names}
    has_cvr = any(_CVR_SUFFIX.search(str(n)) for n in names)
    return has_cvr and len(stems) == 1


def holdings_row_problems(frame: pd.DataFrame) -> pd.Series:
    """One reason per line ('' when fine), prefixed with the file and line."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise KeyError(f"holdings batch lacks column(s) {', '.join(missing)}")
    equity = frame["is_equity"].astype(bool)
    price = pd.to_numeric(frame["price"], errors="coerce")
    weight = pd.to_numeric(frame["weight_pct"], errors="coerce")
    listed = equity & frame["ticker"].notna()
    repeated = pd.Series(False, index=frame.index)
    counts = frame.loc[listed, "ticker"].value_counts()
    for ticker in counts[counts > 1].index:
        group = listed & (frame["ticker"] == ticker)
        if not _known_duplicate(frame.loc[group, "name"]):
            repeated |= group
    checks = [
        (equity & ~(price > 0), "equity price " + price.astype(str) + " is not positive"),
        (equity & weight.isna(), "equity weight is missing"),
        (equity & (weight < 0), "equity weight " + weight.astype(str) + " is negative"),
        (
            repeated,
            "ticker " + frame["ticker"].astype(str) + " is listed more than once among equities",
        ),
    ]
    reasons = join_reasons(checks, frame.index)
    if "file" in frame:
        bad = reasons != ""
        where = frame["file"].astype(str) + " line " + frame["line"].astype(str) + ": "
        reasons[bad] = where[bad] + reasons[bad]
    return reasons


def _checks(
    columns: list[str], today: dt.date, min_weight_pct: float, max_weight_pct: float
) -> list[Check]:
    return [
        Check(
            "ExpectTableColumnsToMatchSet",
            {"column_set": columns, "exact_match": False},
            f"holdings snapshot is missing columns (needs {', '.join(REQUIRED_COLUMNS)})",
            row_level=False,
        ),
        Check(
            "ExpectTableRowCountToBeBetween",
            {"min_value": 1},
            "holdings snapshot has no lines",
            row_level=False,
        ),
        Check(
            "ExpectColumnValuesToNotBeNull",
            {"column": "as_of"},
            "as-of date is missing (no preamble date and none given by the caller)",
            row_level=False,
        ),
        Check(
            "ExpectColumnMaxToBeBetween",
            {"column": "as_of", "max_value": pd.Timestamp(today)},
            f"as-of date is after {today} (in the future)",
            row_level=False,
        ),
        Check(
            "ExpectColumnSumToBeBetween",
            {
                "column": "equity_weight_pct",
                "min_value": min_weight_pct,
                "max_value": max_weight_pct,
            },
            f"equity weights do not sum to between {min_weight_pct} and {max_weight_pct} %",
            row_level=False,
        ),
        Check(
            "ExpectCompoundColumnsToBeUnique",
            {"column_list": ["fund", "as_of", "line"]},
            "duplicate fund/as_of/line",
        ),
        Check(
            "ExpectColumnValuesToBeInSet",
            {"column": "problem", "value_set": [""]},
            "row check failed",
            reason_column="problem",
        ),
    ]


def validate_snapshot(
    frame: pd.DataFrame,
    *,
    today: dt.date,
    min_equity_weight_pct: float = 95.0,
    max_equity_weight_pct: float = 100.5,
) -> BatchVerdict:
    """Split one snapshot's lines into lines to load and lines to quarantine, or block it."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        return missing_columns_verdict("holdings", frame, missing)
    df = frame.reset_index(drop=True).copy()
    df[ROW_ID] = np.arange(len(df), dtype="int64")
    df["problem"] = holdings_row_problems(df).astype(str) if len(df) else ""
    equity_weight = pd.to_numeric(df["weight_pct"], errors="coerce").fillna(0.0)
    df["equity_weight_pct"] = equity_weight.where(df["is_equity"].astype(bool), 0.0)
    checks = _checks(list(df.columns), today, min_equity_weight_pct, max_equity_weight_pct)
    result = run_suite(df, "holdings", checks)
    verdict = split_batch("holdings", df, result, list(frame.columns))
    if not verdict.batch_ok:
        name = str(df["file"].iloc[0]) if "file" in df and len(df) else "holdings snapshot"
        total = float(df["equity_weight_pct"].sum())
        verdict.message = f"{name}: {verdict.message} (equity weights sum to {total:.2f} %)"
    return verdict
