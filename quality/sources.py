"""Great Expectations suites for the deal-flow and macro batches: EDGAR, Nasdaq, FRED.

Each source's row rules live next to its parser's knowledge in ``quality/<source>.py`` as
pure pandas (one reason per row that names the file and line); the suite here runs them as a
``problem`` column plus the structural expectations (columns, unique natural key, keys
present), so every batch of every source is judged by one GX suite, and rows fail with the
source's own precise reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from quality.edgar import edgar_row_problems
from quality.fred import fred_row_problems
from quality.nasdaq import nasdaq_row_problems
from quality.suite import (
    ROW_ID,
    BatchVerdict,
    Check,
    missing_columns_verdict,
    run_suite,
    split_batch,
)


@dataclass(frozen=True)
class SourceSuite:
    name: str
    columns: tuple[str, ...]  # must be present
    key: tuple[str, ...]  # natural key: present and unique
    row_problems: Callable[..., pd.Series]
    allow_empty: bool  # an EDGAR holiday or a month with no deals is a valid empty batch


EDGAR = SourceSuite(
    "edgar",
    ("accession", "cik", "company_name", "form_type", "date_filed", "file_name"),
    ("accession", "cik"),
    edgar_row_problems,
    allow_empty=True,
)
NASDAQ = SourceSuite(
    "nasdaq",
    ("deal_id", "status", "company_name", "offer_amount", "shares"),
    ("deal_id",),
    nasdaq_row_problems,
    allow_empty=True,
)
FRED = SourceSuite(
    "fred",
    ("series_id", "date", "value"),
    ("series_id", "date"),
    fred_row_problems,
    allow_empty=False,
)


SourceValidation = BatchVerdict


def _checks(suite: SourceSuite, columns: Sequence[str]) -> list[Check]:
    checks = [
        Check(
            "ExpectTableColumnsToMatchSet",
            {"column_set": list(columns), "exact_match": False},
            f"{suite.name} batch is missing columns (needs {', '.join(suite.columns)})",
            row_level=False,
        ),
        Check(
            "ExpectCompoundColumnsToBeUnique"
            if len(suite.key) > 1
            else "ExpectColumnValuesToBeUnique",
            {"column_list": list(suite.key)} if len(suite.key) > 1 else {"column": suite.key[0]},
            f"duplicate {'/'.join(suite.key)}",
        ),
    ]
    checks += [
        Check("ExpectColumnValuesToNotBeNull", {"column": c}, f"{c} is missing") for c in suite.key
    ]
    checks.append(
        Check(
            "ExpectColumnValuesToBeInSet",
            {"column": "problem", "value_set": [""]},
            "row check failed",
            reason_column="problem",
        )
    )
    if not suite.allow_empty:
        checks.append(
            Check(
                "ExpectTableRowCountToBeBetween",
                {"min_value": 1},
                f"{suite.name} batch is empty",
                row_level=False,
            )
        )
    return checks


def validate_source(
    suite: SourceSuite, frame: pd.DataFrame, *, today: dt.date | None = None
) -> SourceValidation:
    """Split a batch into rows to load and rows to quarantine, or block it as a whole."""
    missing = [c for c in suite.columns if c not in frame.columns]
    if missing:
        return missing_columns_verdict(suite.name, frame, missing)
    df = frame.reset_index(drop=True).copy()
    df[ROW_ID] = np.arange(len(df), dtype="int64")
    df["problem"] = suite.row_problems(df, today=today).astype(str) if len(df) else ""
    result = run_suite(df, suite.name, _checks(suite, list(df.columns)))
    return split_batch(suite.name, df, result, list(frame.columns))
