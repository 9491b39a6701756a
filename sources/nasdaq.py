"""Nasdaq IPO calendar: record shape, one pure parser, a live client, a replay twin, the load.

The calendar API (``api/ipo/calendar?date=YYYY-MM``) is unofficial and changes without notice,
so the parser is strict about what it needs and lenient about the rest: a month whose JSON has
no recognisable ``data`` section raises :class:`NasdaqShapeError`, which :func:`fetch` turns into
a message (the run goes on without that month); a single deal missing its id or name becomes a
problem row naming the file and the JSON path; unknown extra fields are ignored.

A deal keeps its ``dealID`` through its life (filed → upcoming → priced, or withdrawn), so the
raw table is keyed by ``deal_id`` and a deal that moves from filed to priced stays one row: the
load keeps the dates it saw earlier and the status moves forward, never back (see
``sql/load/nasdaq_ipos.sql``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pandas as pd

from rotation.sql import read as read_sql
from sources.frames import registered
from sources.http import HttpClient, HttpError
from sources.replay import ReplayFolder

# Sections of the calendar, and the status rank a deal can only move up through.
STATUS_RANK = {"filed": 1, "upcoming": 2, "withdrawn": 3, "priced": 4}
DEAL_COLUMNS = [
    "deal_id", "status", "status_rank", "ticker", "company_name", "exchange",
    "price_text", "price_low", "price_high", "shares", "offer_amount",
    "filed_date", "expected_date", "priced_date", "withdrawn_date",
    "calendar_month", "file", "json_path", "source",
]  # fmt: skip
PROBLEM_COLUMNS = ["file", "json_path", "natural_key", "reason", "raw_values"]
_DATE_FIELDS = {
    "filedDate": "filed_date",
    "expectedPriceDate": "expected_date",
    "pricedDate": "priced_date",
    "withdrawDate": "withdrawn_date",
}
_MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class NasdaqShapeError(ValueError):
    """The response is not the calendar JSON we know (no ``data`` object, wrong types)."""


@dataclass(frozen=True)
class ParsedCalendar:
    file: str
    month: str
    rows: pd.DataFrame  # DEAL_COLUMNS without source
    problems: pd.DataFrame


def _money(text: Any) -> float | None:
    """``"$210,000,000"`` → 210000000.0; empty or None → None; anything else (also ``inf``,
    ``nan`` or ``1e400``, which ``float`` accepts) → ValueError."""
    if text is None or (isinstance(text, str) and text.strip() == ""):
        return None
    if isinstance(text, int | float) and not isinstance(text, bool):
        value = float(text)
    else:
        value = float(str(text).replace("$", "").replace(",", "").strip())
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {text!r}")
    return value


def _shares(text: Any) -> int | None:
    """``"13,125,000"`` → 13125000, exactly (through a float a huge count would change)."""
    if isinstance(text, str) and text.replace(",", "").strip().isdigit():
        return int(text.replace(",", "").strip())
    value = _money(text)
    if value is None:
        return None
    if value != int(value) or value < 0:
        raise ValueError(f"not a share count: {text!r}")
    return int(value)


def _price_range(text: Any) -> tuple[float | None, float | None]:
    """``"16.00-18.00"`` → (16.0, 18.0); ``"4.00"`` → (4.0, 4.0); empty → (None, None)."""
    if text is None or str(text).strip() == "":
        return None, None
    low, _, high = str(text).replace("$", "").partition("-")
    low_v = float(low.replace(",", ""))
    high_v = float(high.replace(",", "")) if high.strip() else low_v
    return low_v, high_v


def _date(text: Any) -> dt.date | None:
    if text is None or str(text).strip() == "":
        return None
    return dt.datetime.strptime(str(text).strip(), "%m/%d/%Y").date()


def _section_rows(data: dict[str, Any], section: str, file: str) -> tuple[str, list[Any]]:
    """The ``rows`` list of one section and its JSON path; ``rows: null`` means no deals."""
    block = data.get(section)
    path = f"data.{section}"
    if section == "upcoming" and isinstance(block, dict):
        block = block.get("upcomingTable")
        path += ".upcomingTable"
    if block is None:
        return path, []
    if not isinstance(block, dict):
        raise NasdaqShapeError(f"{file}: {path} is a {type(block).__name__}, expected an object")
    rows = block.get("rows")
    if rows is None:
        return path, []
    if not isinstance(rows, list):
        raise NasdaqShapeError(f"{file}: {path}.rows is a {type(rows).__name__}, expected a list")
    return path + ".rows", rows


def parse_calendar(payload: bytes | str, file: str, month: str) -> ParsedCalendar:
    """Parse one month of the calendar. Raises :class:`NasdaqShapeError` if unrecognisable."""
    try:
        doc = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise NasdaqShapeError(f"{file}: not JSON ({exc})") from None
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, dict) or not any(s in data for s in STATUS_RANK):
        keys = sorted(doc)[:10] if isinstance(doc, dict) else type(doc).__name__
        raise NasdaqShapeError(
            f"{file}: no calendar sections (expected data.priced/upcoming/filed/withdrawn), "
            f"got {keys}"
        )
    records: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    for status in STATUS_RANK:
        path, rows = _section_rows(data, status, file)
        for i, row in enumerate(rows):
            where = f"{path}[{i}]"
            try:
                records.append(_deal(row, status, month, file, where))
            except (KeyError, TypeError, ValueError, OverflowError) as exc:
                raw = row if isinstance(row, dict) else {"value": row}
                deal_id = raw.get("dealID") if isinstance(raw, dict) else None
                problems.append(
                    {
                        "file": file,
                        "json_path": where,
                        "natural_key": str(deal_id or f"{file}:{where}"),
                        "reason": f"{file} {where}: {exc}",
                        "raw_values": json.dumps(raw, default=str),
                    }
                )
    rows_frame = pd.DataFrame(records, columns=[c for c in DEAL_COLUMNS if c != "source"])
    return ParsedCalendar(file, month, rows_frame, pd.DataFrame(problems, columns=PROBLEM_COLUMNS))


def _deal(row: Any, status: str, month: str, file: str, where: str) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise TypeError(f"deal is a {type(row).__name__}, expected an object")
    deal_id = row.get("dealID")
    if not isinstance(deal_id, str) or not deal_id.strip():
        raise KeyError("deal has no dealID")
    name = row.get("companyName")
    if not isinstance(name, str) or not name.strip():
        raise KeyError("deal has no companyName")
    field_name = ""
    try:
        field_name = "proposedSharePrice"
        low, high = _price_range(row.get(field_name))
        field_name = "sharesOffered"
        shares = _shares(row.get(field_name))
        field_name = "dollarValueOfSharesOffered"
        amount = _money(row.get(field_name))
        dates = {}
        for key, column in _DATE_FIELDS.items():
            field_name = key
            dates[column] = _date(row.get(key))
    except (ValueError, OverflowError):
        raise ValueError(f"{field_name}={row.get(field_name)!r} is not valid") from None
    event = {"priced": "priced_date", "upcoming": "expected_date", "filed": "filed_date"}
    event_col = event.get(status, "withdrawn_date")
    if dates[event_col] is None:
        raise ValueError(f"a {status} deal without its {event_col.replace('_', ' ')}")
    return {
        "deal_id": deal_id.strip(),
        "status": status,
        "status_rank": STATUS_RANK[status],
        "ticker": (row.get("proposedTickerSymbol") or None),
        "company_name": name.strip(),
        "exchange": row.get("proposedExchange") or None,
        "price_text": row.get("proposedSharePrice") or None,
        "price_low": low,
        "price_high": high,
        "shares": shares,
        "offer_amount": amount,
        **dates,
        "calendar_month": month,
        "file": file,
        "json_path": where,
    }


# --- clients ------------------------------------------------------------------------------------


def calendar_name(month: str) -> str:
    return f"nasdaq_ipo_calendar_{month}.json"


def months_ending(today: dt.date, months_back: int) -> list[str]:
    """``YYYY-MM`` of the current month and the ``months_back`` before it, oldest first."""
    out = []
    year, month = today.year, today.month
    for _ in range(months_back + 1):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


NASDAQ_BACKFILL_MONTHS = 60  # the unofficial calendar API is not a deep archive


def backfill_months(start: dt.date, end: dt.date) -> list[str]:
    """``YYYY-MM`` months of ``[start, end]``, at most the last ``NASDAQ_BACKFILL_MONTHS``."""
    months: list[str] = []
    year, month = end.year, end.month
    while (year, month) >= (start.year, start.month) and len(months) < NASDAQ_BACKFILL_MONTHS:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


class NasdaqClient(Protocol):
    source: str

    def calendar(self, month: str) -> tuple[str, bytes]:
        """(file name, body) for ``YYYY-MM``; raises on failure."""
        ...


class NasdaqLiveClient:
    """``GET {base_url}/api/ipo/calendar?date=YYYY-MM``; the API wants browser-like headers."""

    source = "nasdaq"

    def __init__(
        self,
        *,
        base_url: str = "https://api.nasdaq.com",
        timeout_s: float = 30.0,
        user_agent: str = "Mozilla/5.0 (compatible; rotation-monitor/0.1)",
        http: HttpClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http or HttpClient(
            user_agent=user_agent,
            connect_timeout_s=min(10.0, timeout_s),
            read_timeout_s=timeout_s,
            max_requests_per_s=2.0,
            extra_headers={"Accept": "application/json, text/plain, */*"},
        )

    def calendar(self, month: str) -> tuple[str, bytes]:
        url = f"{self.base_url}/api/ipo/calendar"
        response = self.http.get(url, params={"date": month})
        return calendar_name(month), response.content


class NasdaqReplayClient:
    """Recorded responses in ``<root>/nasdaq/nasdaq_ipo_calendar_YYYY-MM.json``."""

    KIND = "nasdaq"

    def __init__(self, root: str | Path) -> None:
        self.folder = ReplayFolder(root)
        self.folder.kind_dir(self.KIND)
        self.source = f"replay:{self.folder.root.name}"

    def calendar(self, month: str) -> tuple[str, bytes]:
        """A month with no recording raises ``ReplayFileMissing`` (an OSError, like a live
        failure): ``fetch`` reports the month and goes on."""
        name = calendar_name(month)
        return name, self.folder.read_bytes(self.KIND, name)


# --- fetch ---------------------------------------------------------------------------------------


@dataclass
class NasdaqBatch:
    frame: pd.DataFrame  # DEAL_COLUMNS, one row per deal_id (collapsed across months/sections)
    problems: pd.DataFrame  # PROBLEM_COLUMNS
    months_ok: list[str] = field(default_factory=list)
    months_failed: dict[str, str] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    @property
    def available(self) -> bool:
        """False when no month could be read: the run goes on without the calendar."""
        return bool(self.months_ok)


def collapse_deals(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per deal: the furthest status, every date seen, the latest other fields."""
    if frame.empty:
        return frame
    ordered = frame.sort_values(["deal_id", "status_rank", "calendar_month"], kind="stable")
    last = ordered.groupby("deal_id", sort=False).tail(1).set_index("deal_id")
    for column in ("filed_date", "expected_date", "priced_date", "withdrawn_date"):
        last[column] = ordered.groupby("deal_id")[column].agg(
            lambda s: s.dropna().iloc[-1] if s.notna().any() else None
        )
    return last.reset_index()[frame.columns]


def fetch(client: NasdaqClient, months: Iterable[str]) -> NasdaqBatch:
    """Read each month; a month that fails or changed shape is reported, the others load."""
    frames: list[pd.DataFrame] = []
    problems: list[pd.DataFrame] = []
    batch = NasdaqBatch(pd.DataFrame(columns=DEAL_COLUMNS), pd.DataFrame(columns=PROBLEM_COLUMNS))
    for month in months:
        if not _MONTH_RE.match(month):
            raise ValueError(f"month {month!r} must be YYYY-MM")
        try:
            name, body = client.calendar(month)
            parsed = parse_calendar(body, name, month)
        except (HttpError, NasdaqShapeError, OSError) as exc:
            batch.months_failed[month] = str(exc)
            batch.messages.append(f"Nasdaq IPO calendar {month} skipped: {exc}")
            continue
        batch.months_ok.append(month)
        frames.append(parsed.rows)
        if not parsed.problems.empty:
            problems.append(parsed.problems)
            batch.messages.append(f"{name}: {len(parsed.problems)} deal(s) quarantined")
    if frames:
        frame = collapse_deals(pd.concat([f for f in frames if not f.empty] or frames))
        frame["source"] = client.source
        batch.frame = frame[DEAL_COLUMNS].reset_index(drop=True)
    if problems:
        batch.problems = pd.concat(problems, ignore_index=True)
    if not batch.available:
        batch.messages.append(
            "Nasdaq IPO calendar unavailable this run; the run goes on without it"
        )
    return batch


# --- load ----------------------------------------------------------------------------------------


def load_nasdaq(
    con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, run_id: str, fetched_at: dt.datetime
) -> int:
    """Upsert deals by ``deal_id``; return the number of deals new or really changed.

    Call inside ``rotation.db.transaction`` with the batch's quarantine rows. A re-read of a
    month that says what is stored writes nothing and counts nothing (the run summary's
    "new or changed" is true). Share counts go in as nullable 64-bit integers: validation has
    quarantined any that do not fit, and a frame that held one is ``object`` typed.
    """
    sql = read_sql("load/nasdaq_ipos.sql")
    batch = frame[DEAL_COLUMNS].copy()
    batch["shares"] = pd.to_numeric(batch["shares"]).astype("Int64")
    with registered(con, "nasdaq_batch", batch):
        written = con.execute(sql, [fetched_at, run_id]).fetchone()
    return int(written[0]) if written else 0
