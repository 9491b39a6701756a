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
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from quality.suite import (
    MOSTLY_BAD_SHARE,
    ROW_ID,
    BatchVerdict,
    Check,
    SuiteResult,
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
# Magnitude bounds per fact. The largest real figures: revenue ~$0.7e12 (Walmart), net income
# ~$0.13e12 (Alphabet, Apple), 2.6e10 shares (TSMC's ADS basis). Ten times that is a unit slip
# or a corrupted number, never a company. A foreign-currency fact (IFRS filers: yen, won) gets
# the wider bound: Samsung's revenue is ~3e14 won.
MAX_ABS_USD = {"net_income": 1e12, "revenue": 5e12}
MAX_ABS_OTHER_CURRENCY = 1e15
MAX_SHARES = 1e12
# Against the company's own history (its companyfacts body holds every filing): a fact more
# than HISTORY_FACTOR times the median |value| of the same metric among the company's facts is
# a slip (thousands as units, a misplaced exponent). On the real files the largest ratio is 14
# (Apple, Alphabet, Snowflake, TSMC, DoorDash), so 1000 never flags a real figure; the floor
# keeps a company near break-even (median ~0) from flagging an ordinary year.
HISTORY_FACTOR = 1000.0
HISTORY_MIN_FACTS = 4
HISTORY_FLOOR = {"net_income": 1e7, "revenue": 1e7, "eps": 1.0, "shares_outstanding": 1e6}


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
    checks += _plausibility_checks(frame, metric, value)
    reasons = join_reasons(checks, frame.index)
    if "file" in frame:
        bad = reasons != ""
        where = frame["file"].astype(str) + " " + frame["concept"].astype(str) + ": "
        reasons[bad] = where[bad] + reasons[bad]
    return reasons


def _plausibility_checks(
    frame: pd.DataFrame, metric: pd.Series, value: pd.Series
) -> list[tuple[pd.Series, pd.Series | str]]:
    """Bounds on a fact's size: by magnitude, and against the company's own history."""
    size = value.abs()
    shown = value.map(lambda v: f"{v:g}")
    unit = frame["unit"].astype(str)
    money = metric.isin(list(MAX_ABS_USD))
    limit = metric.map(MAX_ABS_USD).where(unit == "USD", MAX_ABS_OTHER_CURRENCY)
    finite = np.isfinite(value.fillna(0.0))
    usable = finite & (size > 0)
    median = size.where(usable).groupby([frame["cik"], metric]).transform("median")
    count = size.where(usable).groupby([frame["cik"], metric]).transform("count")
    floor = metric.map(HISTORY_FLOOR).fillna(np.inf)
    beyond_history = (
        finite & (count >= HISTORY_MIN_FACTS) & (size > HISTORY_FACTOR * median) & (size > floor)
    )
    return [
        (~finite, "value " + shown + " is not finite"),
        (
            finite & money & (size > limit),
            metric + " " + shown + " " + unit + " is beyond any company's (bound "
            + limit.map(lambda v: f"{v:g}") + ")",
        ),
        (
            finite & (metric == "shares_outstanding") & (size > MAX_SHARES),
            "share count " + shown + f" is beyond any company's (bound {MAX_SHARES:g})",
        ),
        (
            beyond_history,
            metric + " " + shown + " is over "
            + f"{HISTORY_FACTOR:g}x the company's median |value| "
            + median.map(lambda v: f"{v:g}") + " (unit slip?)",
        ),
    ]  # fmt: skip


def _checked(frame: pd.DataFrame, *, today: dt.date) -> tuple[pd.DataFrame, SuiteResult]:
    """The batch with ``row_id`` and ``problem`` columns, and its suite's result."""
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
    return df, run_suite(df, "xbrl", checks)


def validate_facts(frame: pd.DataFrame, *, today: dt.date) -> BatchVerdict:
    """Split a batch of facts into facts to load and facts to quarantine, judged as one batch.

    An empty batch is valid (every company asked for may have had nothing new, or no XBRL).
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        return missing_columns_verdict("xbrl", frame, missing)
    df, result = _checked(frame, today=today)
    return split_batch("xbrl", df, result, list(frame.columns))


@dataclass
class CompanyVerdicts:
    """A batch judged company by company: what loads, and which companies are held back.

    ``verdict.quarantined`` holds the facts that failed and every fact of a blocked company
    (reason ``company blocked: …``), so nothing a company delivered is lost.
    """

    verdict: BatchVerdict
    blocked: dict[int, str] = field(default_factory=dict)  # cik -> one line
    quarantined: dict[int, tuple[int, str]] = field(default_factory=dict)  # cik -> (n, first)


def validate_companies(frame: pd.DataFrame, *, today: dt.date) -> CompanyVerdicts:
    """Validate a batch of several companies' facts in one suite run, then judge each company
    alone: a company most of whose facts fail is blocked (its file is damaged), the others
    load with their failing facts quarantined. Only a batch-level failure (missing columns, a
    check that could not run) blocks every company: it cannot be pinned on one."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        return CompanyVerdicts(missing_columns_verdict("xbrl", frame, missing))
    columns = list(frame.columns)
    df, result = _checked(frame, today=today)
    if result.batch_failures or not len(df):
        return CompanyVerdicts(split_batch("xbrl", df, result, columns))
    reasons = pd.Series(
        {row: "; ".join(dict.fromkeys(r)) for row, r in result.row_reasons.items()}, dtype=object
    )
    reason = df[ROW_ID].map(reasons).fillna("")
    bad = reason != ""
    out = CompanyVerdicts(split_batch("xbrl", df.iloc[0:0], result, columns))
    held = pd.Series(False, index=df.index)
    for cik, rows in df.groupby("cik", sort=True):
        n_bad = int(bad[rows.index].sum())
        if not n_bad:
            continue
        first = str(reason[rows.index][bad[rows.index]].iloc[0])
        out.quarantined[int(cik)] = (n_bad, first)
        if n_bad > MOSTLY_BAD_SHARE * len(rows):
            out.blocked[int(cik)] = (
                f"{n_bad} of {len(rows)} facts failed validation; first: {first}"
            )
            held[rows.index] = True
    for cik, line in out.blocked.items():
        mine = held & (df["cik"] == cik) & ~bad
        reason[mine] = f"company blocked: {line}"
    out_rows = bad | held
    quarantined = df.loc[out_rows, columns].copy()
    quarantined["reason"] = reason[out_rows].to_numpy()
    good = df.loc[~out_rows, columns].reset_index(drop=True)
    parts = [f"{len(good)} of {len(df)} facts passed"]
    if int(bad.sum()):
        parts.append(f"{int(bad.sum())} quarantined")
    if out.blocked:
        parts.append(
            f"{len(out.blocked)} of {df['cik'].nunique()} companies blocked "
            f"(CIK {', '.join(str(c) for c in out.blocked)})"
        )
    ok = len(good) > 0 or not out.blocked
    message = ", ".join(parts) if ok else "xbrl batch blocked: " + ", ".join(parts)
    out.verdict = BatchVerdict(good, quarantined, ok, message, result)
    return out
