"""Plausibility bounds on XBRL facts: by magnitude and against the company's own history.

On the five real companyfacts files no fact is flagged; the same files with one value slipped
flag exactly that value, with a reason naming it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from quality.xbrl import validate_companies, xbrl_row_problems
from sources.xbrl import parse_companyfacts

TODAY = dt.date(2026, 7, 17)


def _real(shared_data: Path) -> pd.DataFrame:
    files = sorted((shared_data / "fundamentals").glob("companyfacts.CIK*.json"))
    assert len(files) == 5
    return pd.concat(
        [parse_companyfacts(p.read_bytes(), p.name).rows for p in files], ignore_index=True
    )


def test_no_real_fact_is_flagged(shared_data: Path) -> None:
    facts = _real(shared_data)
    reasons = xbrl_row_problems(facts, today=TODAY)
    assert (reasons == "").all(), reasons[reasons != ""].head().tolist()


@pytest.mark.parametrize(
    ("metric", "value", "words"),
    [
        ("net_income", 1e300, "beyond any company's"),
        ("revenue", -6e12, "beyond any company's"),
        ("shares_outstanding", 2e12, "share count 2e+12 is beyond"),
        ("eps", float("inf"), "not finite"),
        ("net_income", None, "over 1000x the company's median"),  # Snowflake's x 1e4
        ("eps", None, "over 1000x the company's median"),
    ],
)
def test_one_slipped_fact_is_flagged_alone(
    shared_data: Path, metric: str, value: float | None, words: str
) -> None:
    facts = _real(shared_data)
    snowflake = facts.index[(facts["cik"] == 1640147) & (facts["metric"] == metric)]
    row = snowflake[len(snowflake) // 2]
    facts.loc[row, "value"] = value if value is not None else facts.loc[row, "value"] * 1e4
    reasons = xbrl_row_problems(facts, today=TODAY)
    assert list(reasons.index[reasons != ""]) == [row]
    assert words in reasons[row] and "companyfacts.CIK0001640147.json" in reasons[row]


def test_a_company_mostly_bad_is_blocked_alone(shared_data: Path) -> None:
    facts = _real(shared_data)
    doordash = facts["cik"] == 1835632
    facts.loc[doordash, "value"] = facts.loc[doordash, "value"] * 1e9
    out = validate_companies(facts, today=TODAY)
    assert out.verdict.batch_ok
    assert list(out.blocked) == [1835632]
    assert set(out.verdict.good["cik"]) == {320193, 1046179, 1640147, 1652044}
    assert len(out.verdict.good) == len(facts) - int(doordash.sum())
    assert len(out.verdict.quarantined) == int(doordash.sum())  # nothing lost
