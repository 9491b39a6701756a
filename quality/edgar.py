"""Row-level checks for EDGAR filing rows: what the parser cannot know is wrong.

The parser already rejects lines it cannot split or type. These checks look at the values:
an accession number of the wrong shape, a file name that does not carry the row's accession, a
form type that is not an EDGAR form-type token (an HTML fragment, lower-case junk), a filing date
before EDGAR existed or in the future. Pure pandas and vectorised, so a 400,000-line quarterly
backfill is checked in well under a second; the lead's Great Expectations suite and the
quarantine step consume the result.

An *unknown but well-formed* form type (EDGAR adds forms every few years) is not a problem: the
row is kept and falls into the ``other`` category of ``sql/staging/edgar_form_categories.sql``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

REQUIRED_COLUMNS = ("accession", "cik", "company_name", "form_type", "date_filed", "file_name")
FORM_TYPE_PATTERN = r"[A-Z0-9][A-Z0-9 ./&()-]{0,24}"
ACCESSION_PATTERN = r"\d{10}-\d{2}-\d{6}"
EDGAR_START = pd.Timestamp("1993-01-01")


def _where(frame: pd.DataFrame) -> pd.Series:
    if "index_file" in frame and "line_no" in frame:
        return frame["index_file"].astype(str) + " line " + frame["line_no"].astype(str) + ": "
    return pd.Series("", index=frame.index, dtype=object)


def edgar_row_problems(frame: pd.DataFrame, *, today: dt.date | None = None) -> pd.Series:
    """One reason string per row ('' when the row is fine), naming file and line."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise KeyError(f"EDGAR batch lacks column(s) {', '.join(missing)}")
    latest = pd.Timestamp(today or dt.date.today()) + pd.Timedelta(days=1)
    checks: list[tuple[pd.Series, pd.Series | str]] = []
    accession = frame["accession"].astype(str)
    form = frame["form_type"].fillna("").astype(str)
    company = frame["company_name"].fillna("").astype(str)
    date = pd.to_datetime(frame["date_filed"], errors="coerce")
    cik = pd.to_numeric(frame["cik"], errors="coerce")
    checks.append(
        (~accession.str.fullmatch(ACCESSION_PATTERN), "accession is not NNNNNNNNNN-YY-NNNNNN")
    )
    checks.append(
        (
            ~pd.Series(
                [a in f for a, f in zip(accession, frame["file_name"].astype(str), strict=True)],
                index=frame.index,
            ),
            "file name does not contain the accession",
        )
    )
    checks.append((~(cik > 0), "CIK is not a positive number"))
    checks.append((company.str.strip() == "", "company name is empty"))
    checks.append(
        (
            ~form.str.fullmatch(FORM_TYPE_PATTERN),
            "form type " + form.map(repr) + " is not an EDGAR form type",
        )
    )
    checks.append((date.isna() | (date < EDGAR_START), "date filed is missing or before 1993"))
    checks.append((date > latest, "date filed is in the future"))
    reasons = pd.Series("", index=frame.index, dtype=object)
    for failed, reason in checks:
        failed = failed.fillna(True).astype(bool)
        if not failed.any():
            continue
        text = reason[failed] if isinstance(reason, pd.Series) else reason
        reasons[failed] = (
            reasons[failed].where(reasons[failed] == "", reasons[failed] + "; ") + text
        )
    bad = reasons != ""
    reasons[bad] = _where(frame)[bad] + reasons[bad]
    return reasons
