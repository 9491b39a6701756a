"""Run a Great Expectations suite on a DataFrame and turn its results into per-row reasons.

GX 1.x validates a DuckDB table through SQLAlchemy silently wrong (every metric empty), so
batches are validated as DataFrames before they are loaded. Suites are plain lists of
``Check`` values, so a suite can be read, tested and extended without importing GX; GX itself
(~3-7 s to import) is imported only when a suite runs.

A surrogate ``row_id`` column identifies failing rows: with a business key, duplicate keys
would report the same id twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

ROW_ID = "row_id"


@dataclass(frozen=True)
class Check:
    """One expectation: the GX class name, its arguments, and the reason a failing row gets.

    ``row_level`` checks quarantine the rows they flag; the others judge the batch as a whole.
    """

    expectation: str
    kwargs: dict[str, Any]
    reason: str
    row_level: bool = True
    reason_column: str | None = None  # a failing row's reason is this column's value instead


@dataclass
class SuiteResult:
    suite: str
    rows_in: int
    row_reasons: dict[int, list[str]] = field(default_factory=dict)
    batch_failures: list[str] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)  # one summary per expectation

    @property
    def rows_failed(self) -> int:
        return len(self.row_reasons)


def _quiet_context() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")  # in-memory: nothing written, no network
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def run_suite(frame: pd.DataFrame, suite_name: str, checks: list[Check]) -> SuiteResult:
    """Validate ``frame`` (which must carry a unique ``row_id`` column) against ``checks``."""
    import great_expectations as gx
    from great_expectations.core import ExpectationSuite

    if ROW_ID not in frame.columns or not frame[ROW_ID].is_unique:
        raise ValueError(f"suite {suite_name}: the frame needs a unique {ROW_ID!r} column")
    context = _quiet_context()
    asset = context.data_sources.add_pandas(suite_name).add_dataframe_asset(suite_name)
    batch = asset.add_batch_definition_whole_dataframe("batch").get_batch(
        batch_parameters={"dataframe": frame}
    )
    suite = ExpectationSuite(name=suite_name)
    for check in checks:
        suite.add_expectation(getattr(gx.expectations, check.expectation)(**check.kwargs))
    validation = batch.validate(
        suite,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]},
    )

    result = SuiteResult(suite=suite_name, rows_in=len(frame))
    reasons: dict[int, list[str]] = defaultdict(list)
    # GX returns results in its own order; match them to our checks by type and arguments.
    for check, outcome in zip(checks, _in_check_order(checks, validation.results), strict=True):
        raised = (outcome.exception_info or {}).get("raised_exception", False)
        unexpected = outcome.result.get("unexpected_index_list") or []
        result.checks.append(
            {
                "expectation": check.expectation,
                "kwargs": {k: str(v) for k, v in check.kwargs.items()},
                "success": bool(outcome.success),
                "unexpected_count": int(outcome.result.get("unexpected_count") or 0),
            }
        )
        if raised:
            message = (outcome.exception_info or {}).get("exception_message", "")
            result.batch_failures.append(f"{check.reason}: the check itself failed ({message})")
        elif not outcome.success and not check.row_level:
            result.batch_failures.append(check.reason)
        elif not outcome.success:
            detail = frame.set_index(ROW_ID)[check.reason_column] if check.reason_column else None
            for item in unexpected:
                row = int(item[ROW_ID])
                reasons[row].append(str(detail[row]) if detail is not None else check.reason)
    result.row_reasons = dict(reasons)
    return result


def _in_check_order(checks: list[Check], results: list[Any]) -> list[Any]:
    def key(expectation_type: str, kwargs: dict[str, Any]) -> tuple[str, str]:
        wanted = {k: v for k, v in kwargs.items() if k in _ARGS_THAT_IDENTIFY}
        return expectation_type, repr(sorted((k, repr(v)) for k, v in wanted.items()))

    by_key: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for outcome in results:
        config = outcome.expectation_config
        by_key[key(config.type, dict(config.kwargs))].append(outcome)
    ordered = []
    for check in checks:
        snake = _snake(check.expectation)
        ordered.append(by_key[key(snake, check.kwargs)].pop(0))
    return ordered


_ARGS_THAT_IDENTIFY = {"column", "column_A", "column_B", "column_list", "column_set"}


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


MOSTLY_BAD_SHARE = 0.5  # more than this share of rows failing blocks the whole batch


@dataclass
class BatchVerdict:
    """What validation decided for one batch: the rows to load, the rows to quarantine (with
    a ``reason`` column), and whether the batch may load at all."""

    good: pd.DataFrame
    quarantined: pd.DataFrame
    batch_ok: bool
    message: str
    result: SuiteResult


def missing_columns_verdict(name: str, frame: pd.DataFrame, missing: list[str]) -> BatchVerdict:
    """A batch without its columns is blocked before any check (nothing can be derived)."""
    message = f"{name} batch blocked: missing columns {', '.join(missing)}"
    result = SuiteResult(suite=name, rows_in=len(frame), batch_failures=[message])
    return BatchVerdict(frame.iloc[0:0], frame.iloc[0:0], False, message, result)


def split_batch(
    name: str, frame: pd.DataFrame, result: SuiteResult, columns: list[str]
) -> BatchVerdict:
    """Turn a suite's result on ``frame`` (with ``row_id``) into the verdict for the batch.

    Failing rows keep ``columns`` plus their reasons; the batch is blocked when a batch-level
    check failed or most rows are bad, and then nothing of it loads.
    """
    reasons = {row: "; ".join(dict.fromkeys(r)) for row, r in result.row_reasons.items()}
    bad = frame[ROW_ID].isin(list(reasons))
    quarantined = frame.loc[bad, columns].copy()
    quarantined["reason"] = frame.loc[bad, ROW_ID].map(reasons).to_numpy()
    good = frame.loc[~bad, columns].reset_index(drop=True)
    failures = list(result.batch_failures)
    if len(frame) and bad.sum() > MOSTLY_BAD_SHARE * len(frame):
        failures.append(f"{int(bad.sum())} of {len(frame)} rows failed validation")
    if failures:
        message = f"{name} batch blocked: " + "; ".join(failures)
        return BatchVerdict(good.iloc[0:0], quarantined, False, message, result)
    message = f"{len(good)} of {len(frame)} rows passed" + (
        f", {int(bad.sum())} quarantined" if bad.any() else ""
    )
    return BatchVerdict(good, quarantined, True, message, result)


def join_reasons(
    checks: list[tuple[pd.Series, pd.Series | str]],
    index: pd.Index,
    *,
    unknown_fails: bool = False,
) -> pd.Series:
    """One '; '-joined reason string per row from (failed mask, reason) pairs ('' = fine).

    A reason may be a Series (a message quoting the row's value). ``unknown_fails`` decides
    whether a check that could not be evaluated (NA in the mask) counts as failed.
    """
    reasons = pd.Series("", index=index, dtype=object)
    for failed, reason in checks:
        mask = pd.Series(failed, index=index).fillna(unknown_fails).astype(bool)
        if not mask.any():
            continue
        text = reason.loc[index[mask]] if isinstance(reason, pd.Series) else reason
        current = reasons[mask]
        reasons[mask] = current.where(current == "", current + "; ") + text
    return reasons
