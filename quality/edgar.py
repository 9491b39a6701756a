"""Row-level checks for EDGAR filing rows: what the parser cannot know is wrong.

The parser already rejects lines it cannot split or type. These checks look at the values:
an accession number of the wrong shape, a file name that does not carry the row's accession, a
form type that is not an EDGAR form-type token (an HTML fragment, lower-case junk), a filing date
before EDGAR existed or in the future. The lead's Great Expectations suite runs them on every
batch, a 400,000-line quarterly backfill included, so they avoid pandas string methods (without
pyarrow those run per element through several layers of Python): form types and company names
are checked once per distinct value, accession numbers as a grid of code points, and
the "file, line" prefix is built only for the rows that fail. ``benchmarks/edgar_parse.py``
times them.

A row dated *after* the day (or quarter) of the index file that lists it cannot be right: an
index lists what was filed up to its day. Earlier dates are normal (a daily index lists
correspondence released late: ``master.20200103.idx`` has filings from 2019), so only the
upper bound is checked.

An *unknown but well-formed* form type (EDGAR adds forms every few years) is not a problem: the
row is kept and falls into the ``other`` category of ``sql/staging/edgar_form_categories.sql``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from quality.suite import join_reasons

REQUIRED_COLUMNS = ("accession", "cik", "company_name", "form_type", "date_filed", "file_name")
FORM_TYPE_PATTERN = r"[A-Z0-9][A-Z0-9 ./&()-]{0,24}"
ACCESSION_PATTERN = r"[0-9]{10}-[0-9]{2}-[0-9]{6}"  # ASCII digits: EDGAR's are
EDGAR_START = pd.Timestamp("1993-01-01")

_FORM_TYPE = re.compile(FORM_TYPE_PATTERN)
_DAILY_INDEX = re.compile(r"\.(\d{8})(?:\.\w+)?\.idx$")  # master.20200103.idx (.excerpt)
_QUARTER_INDEX = re.compile(r"\.(\d{4})QTR([1-4])(?:\.\w+)?\.idx$")  # master.1993QTR4.idx


def _index_period_end(name: str) -> pd.Timestamp:
    """The last day an index file covers, from its name (NaT when the name does not say)."""
    if m := _DAILY_INDEX.search(name):
        return pd.to_datetime(m[1], format="%Y%m%d", errors="coerce")
    if m := _QUARTER_INDEX.search(name):
        return pd.Period(year=int(m[1]), quarter=int(m[2]), freq="Q").end_time.normalize()
    return pd.NaT


def _filed_after_index(frame: pd.DataFrame, date: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(mask, message) for rows dated after their index file's period (one parse per file)."""
    if "index_file" not in frame:
        return pd.Series(False, index=frame.index), pd.Series("", index=frame.index)
    files = frame["index_file"].fillna("").astype(str)
    ends = files.map({f: _index_period_end(f) for f in files.unique()})
    ends = pd.to_datetime(ends)
    after = date > ends
    text = pd.Series("", index=frame.index, dtype=object)
    if after.any():
        text[after] = (
            "date filed "
            + date[after].dt.strftime("%Y-%m-%d")
            + " is after its index file's period (to "
            + ends[after].dt.strftime("%Y-%m-%d")
            + ")"
        )
    return after, text


_ACCESSION_DIGITS = [i for i in range(20) if i not in (10, 13)]  # NNNNNNNNNN-YY-NNNNNN


def _strings(column: pd.Series) -> np.ndarray:
    """The column as an object array of ``str`` (missing values as ``''``)."""
    return column.fillna("").astype(str).to_numpy(dtype=object)


def _is_accession(values: np.ndarray) -> np.ndarray:
    """``ACCESSION_PATTERN`` on every value, as array operations on the characters' code points.

    Equivalent to a ``fullmatch`` per value without a Python call per value (a quarter has
    400,000): the 20-character values are joined, encoded as UTF-32 and viewed as a (rows, 20)
    grid, where "digits except '-' at 10 and 13" is a comparison per column.
    """
    ok = np.zeros(len(values), dtype=bool)
    if not len(values):
        return ok
    sized = np.fromiter(map(len, values), dtype=np.int64, count=len(values)) == 20
    grid = np.frombuffer(
        "".join(values[sized]).encode("utf-32-le", "surrogatepass"), dtype="<u4"
    ).reshape(-1, 20)
    digits = grid[:, _ACCESSION_DIGITS]
    ok[sized] = (
        ((digits >= ord("0")) & (digits <= ord("9"))).all(axis=1)
        & (grid[:, 10] == ord("-"))
        & (grid[:, 13] == ord("-"))
    )
    return ok


def _failing_values(column: pd.Series, ok: Callable[[str], bool]) -> pd.Series:
    """True where ``ok`` fails, calling it once per distinct value (form types, names repeat)."""
    values = column.fillna("").astype(str)
    bad = [v for v in values.unique() if not ok(v)]
    return values.isin(bad) if bad else pd.Series(False, index=column.index)


def edgar_row_problems(frame: pd.DataFrame, *, today: dt.date | None = None) -> pd.Series:
    """One reason string per row ('' when the row is fine), naming file and line."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise KeyError(f"EDGAR batch lacks column(s) {', '.join(missing)}")
    latest = pd.Timestamp(today or dt.date.today()) + pd.Timedelta(days=1)
    index = frame.index
    accession = _strings(frame["accession"])
    file_name = _strings(frame["file_name"])
    date = pd.to_datetime(frame["date_filed"], errors="coerce")
    cik = pd.to_numeric(frame["cik"], errors="coerce")
    form_bad = _failing_values(frame["form_type"], lambda v: _FORM_TYPE.fullmatch(v) is not None)
    # the message quotes the value: repr() only for the failing rows (indexed by them)
    form_text = frame.loc[form_bad, "form_type"].fillna("").astype(str).map(repr)
    checks: list[tuple[pd.Series, pd.Series | str]] = [
        (
            pd.Series(~_is_accession(accession), index=index),
            "accession is not NNNNNNNNNN-YY-NNNNNN",
        ),
        (
            pd.Series([a not in f for a, f in zip(accession, file_name, strict=True)], index=index),
            "file name does not contain the accession",
        ),
        (~(cik > 0), "CIK is not a positive number"),
        (
            _failing_values(frame["company_name"], lambda v: bool(v.strip())),
            "company name is empty",
        ),
        (form_bad, "form type " + form_text + " is not an EDGAR form type"),
        (date.isna() | (date < EDGAR_START), "date filed is missing or before 1993"),
        (date > latest, "date filed is in the future"),
        _filed_after_index(frame, date),
    ]
    # A check that cannot be evaluated (a missing value) fails the row.
    reasons = join_reasons(checks, index, unknown_fails=True)
    bad = reasons != ""
    if bad.any():
        reasons[bad] = _where(frame.loc[bad]) + reasons[bad]
    return reasons


def _where(frame: pd.DataFrame) -> pd.Series:
    if "index_file" in frame and "line_no" in frame:
        return frame["index_file"].astype(str) + " line " + frame["line_no"].astype(str) + ": "
    return pd.Series("", index=frame.index, dtype=object)
