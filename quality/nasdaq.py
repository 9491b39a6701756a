"""Row-level checks for Nasdaq IPO calendar deals (pure pandas, one reason string per row).

The calendar is unofficial and hand-maintained upstream: a negative share count, a price range
upside down or a priced deal dated years ahead are typos to quarantine, not to chart. Values
must also fit the columns they are stored in (``raw.nasdaq_ipos``): a share count beyond a
BIGINT once aborted the whole run's load with a DuckDB conversion error; here it is one
quarantined deal whose reason names the value.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from quality.suite import join_reasons

REQUIRED_COLUMNS = ("deal_id", "status", "company_name", "offer_amount", "shares")
STATUSES = ("filed", "upcoming", "withdrawn", "priced")
BIGINT_LIMIT = 2.0**63  # shares is a BIGINT column: anything from here on does not fit
MAX_OFFER_AMOUNT = 1e12  # US dollars; the largest IPO on record raised about $29 billion
MAX_SHARE_PRICE = 1e6  # US dollars per share
EARLIEST_DATE = pd.Timestamp("1970-01-01")  # the calendar API covers recent years only


def nasdaq_row_problems(frame: pd.DataFrame, *, today: dt.date | None = None) -> pd.Series:
    """One reason per row ('' when fine), prefixed with the file and JSON path when known."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise KeyError(f"Nasdaq batch lacks column(s) {', '.join(missing)}")
    now = pd.Timestamp(today or dt.date.today())

    def date(col: str) -> pd.Series:
        if col not in frame:
            return pd.Series(pd.NaT, index=frame.index)
        return pd.to_datetime(frame[col], errors="coerce")

    amount = pd.to_numeric(frame["offer_amount"], errors="coerce").astype("float64")
    shares = pd.to_numeric(frame["shares"], errors="coerce").astype("float64")
    low = pd.to_numeric(frame.get("price_low"), errors="coerce")
    high = pd.to_numeric(frame.get("price_high"), errors="coerce")
    dates = {c: date(c) for c in ("priced_date", "filed_date", "withdrawn_date", "expected_date")}
    too_early = pd.Series(False, index=frame.index)
    for column in dates.values():
        too_early |= column < EARLIEST_DATE
    checks = [
        (~frame["deal_id"].astype(str).str.fullmatch(r"\d+-\d+"), "deal id is not NNN-NNN"),
        (~frame["status"].isin(STATUSES), "status is not one of " + "/".join(STATUSES)),
        (frame["company_name"].fillna("").astype(str).str.strip() == "", "company name is empty"),
        (amount < 0, "offer amount is negative"),
        (shares < 0, "share count is negative"),
        (
            shares >= BIGINT_LIMIT,
            "share count " + frame["shares"].astype(str) + " does not fit its BIGINT column",
        ),
        (
            amount.abs() > MAX_OFFER_AMOUNT,
            "offer amount " + frame["offer_amount"].astype(str) + " is beyond $1 trillion",
        ),
        ((low <= 0) | (high <= 0), "price is not positive"),
        ((low > MAX_SHARE_PRICE) | (high > MAX_SHARE_PRICE), "price is beyond $1,000,000"),
        (too_early, "a date is before 1970"),
        (low > high, "price range is upside down"),
        (dates["priced_date"] > now + pd.Timedelta(days=1), "priced date is in the future"),
        (dates["filed_date"] > now + pd.Timedelta(days=1), "filed date is in the future"),
        (
            dates["withdrawn_date"] > now + pd.Timedelta(days=1),
            "withdrawn date is in the future",
        ),
        (
            (frame["status"] == "priced") & dates["priced_date"].isna(),
            "priced deal without a priced date",
        ),
    ]
    reasons = join_reasons(checks, frame.index)
    if "file" in frame and "json_path" in frame:
        bad = reasons != ""
        where = frame["file"].astype(str) + " " + frame["json_path"].astype(str) + ": "
        reasons[bad] = where[bad] + reasons[bad]
    return reasons
