"""Robert Shiller's monthly S&P 500 data (``ie_data.xls``): the long-run context for large caps.

Where the S&P 500's trailing P/E and its CAPE sit in their own history since 1871 (as a
percentile) is the yardstick for "large caps are expensive". Three real files in
``../shared/data/fundamentals`` carry it; the source is the one a live client can really
download and that is current:

- ``ie_data.xls``, Shiller's own workbook (``shiller-ie_data.2026-05.xls``): price, dividend,
  12-month earnings, CPI, 10-year yield, CAPE and TR CAPE, updated monthly by Shiller
  (earnings to 2026-03, CAPE to 2026-05 in the recording). **Chosen.** It is legacy BIFF
  ``.xls``, read with ``xlrd`` 2.0.2 (pure Python, added to pyproject and uv.lock for this).
- ``sp500-monthly.2026-06.csv`` (datasets/s-and-p-500 on GitHub, downloadable as raw CSV):
  a derivative of the same workbook whose earnings stop in 2023-06 and PE10 in 2023-09
  (``0.0`` after): a percentile "now" from it would be three years stale.
- ``shiller-cape.2026-05.csv``: derived from the workbook by one project's script; no one
  publishes it at a stable URL.

Workbook quirks handled here: the sheet ``Data`` with seven title lines above the header row
(``Date, P, D, E, CPI, …, CAPE, …, TR CAPE``); dates as decimal numbers where October is
``1871.1`` (the trailing zero of ``1871.10`` is lost); ``NA`` for the first ten years of CAPE;
empty cells for months whose earnings are not out yet; a footer of notes ("May price is May
5th close"). Recent months are estimates Shiller revises, so a later workbook's value wins.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pandas as pd

from rotation.sql import read as read_sql
from sources.http import HttpClient, HttpError
from sources.replay import ReplayError, ReplayFolder

ROW_COLUMNS = [
    "month", "price", "dividend", "earnings", "cpi", "gs10", "cape", "tr_cape", "file",
]  # fmt: skip
PROBLEM_COLUMNS = ["file", "json_path", "natural_key", "reason", "raw_values"]
# header cell -> column; the header row is the one whose first cell is "Date"
HEADER = {"P": "price", "D": "dividend", "E": "earnings", "CPI": "cpi", "Rate GS10": "gs10",
          "CAPE": "cape", "TR CAPE": "tr_cape"}  # fmt: skip
_REPLAY_NAME = re.compile(r"shiller-ie_data\.(?P<month>\d{4}-\d{2})\.xls")


class ShillerFormatError(ValueError):
    """The file is not the workbook we know (not .xls, no Data sheet, header missing)."""


@dataclass(frozen=True)
class ParsedShiller:
    file: str
    rows: pd.DataFrame  # ROW_COLUMNS
    problems: pd.DataFrame  # PROBLEM_COLUMNS


def decimal_month(value: float) -> dt.date:
    """``1871.01`` → 1871-01-01, ``1871.1`` → 1871-10-01 (October lost its trailing zero)."""
    year = int(value)
    month = round((value - year) * 100)
    if not 1 <= month <= 12:
        raise ValueError(f"{value!r} is not a YYYY.MM month")
    return dt.date(year, month, 1)


def _number(cell: Any) -> float | None:
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return float(cell)
    text = str(cell).strip()
    if text in {"", "NA", "N/A"}:
        return None
    raise ValueError(f"{text!r} is not a number")


def parse_ie_data(data: bytes, file: str) -> ParsedShiller:
    """Monthly rows of the ``Data`` sheet; a row with a bad cell is a problem row, not a stop."""
    import xlrd  # only this source needs it

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
        sheet = book.sheet_by_name("Data")
    except xlrd.XLRDError as exc:
        raise ShillerFormatError(f"{file}: not Shiller's workbook ({exc})") from None
    except Exception as exc:  # xlrd raises struct/assertion errors on a truncated body
        raise ShillerFormatError(f"{file}: unreadable .xls ({type(exc).__name__}: {exc})") from None
    header_row = next(
        (r for r in range(min(sheet.nrows, 30)) if str(sheet.cell_value(r, 0)).strip() == "Date"),
        None,
    )
    if header_row is None:
        raise ShillerFormatError(f"{file}: no header row starting with 'Date' in sheet Data")
    names = [str(v).strip() for v in sheet.row_values(header_row)]
    positions = {HEADER[n]: i for i, n in enumerate(names) if n in HEADER}
    lacking = [n for n, c in HEADER.items() if c not in positions]
    if lacking:
        raise ShillerFormatError(f"{file}: header lacks column(s) {', '.join(lacking)}")
    rows: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    for r in range(header_row + 1, sheet.nrows):
        cells = sheet.row_values(r)
        first = cells[0]
        if first in ("", None):
            continue  # blank lines and the notes footer ("May price is May 5th close")
        try:
            month = decimal_month(float(first))
            values = {col: _number(cells[i]) for col, i in positions.items()}
        except (TypeError, ValueError) as exc:
            raw = {
                n or f"col{i}": str(v) for i, (n, v) in enumerate(zip(names, cells, strict=False))
            }
            where = f"{file} row {r + 1}"
            problems.append(
                {"file": file, "json_path": f"Data!A{r + 1}", "natural_key": where,
                 "reason": f"{where}: {exc}", "raw_values": raw}
            )  # fmt: skip
            continue
        rows.append({"month": month, **values, "file": file})
    frame = pd.DataFrame(rows, columns=ROW_COLUMNS)
    if frame.empty:
        raise ShillerFormatError(f"{file}: no monthly rows under the header")
    return ParsedShiller(file, frame, pd.DataFrame(problems, columns=PROBLEM_COLUMNS))


# --- clients ------------------------------------------------------------------------------------


class ShillerClient(Protocol):
    source: str

    def workbook(self, as_of: dt.date) -> tuple[str, bytes] | None:
        """(file name, body) of the newest workbook as of ``as_of``; None when there is none."""
        ...


class ShillerLiveClient:
    """``GET [valuation] shiller_url`` (the ``ie_data.xls`` linked from shillerdata.com)."""

    source = "shiller"

    def __init__(self, *, url: str, timeout_s: float = 60.0, http: HttpClient | None = None):
        self.url = url
        self.http = http or HttpClient(
            user_agent="rotation-monitor/0.1 (+https://github.com/)",
            connect_timeout_s=min(10.0, timeout_s),
            read_timeout_s=timeout_s,
            max_requests_per_s=1.0,
        )

    def workbook(self, as_of: dt.date) -> tuple[str, bytes] | None:
        return f"shiller-ie_data.{dt.date.today():%Y-%m}.xls", self.http.get(self.url).content


class ShillerReplayClient:
    """Recorded workbooks ``<root>/shiller/shiller-ie_data.<YYYY-MM>.xls``: the newest one
    saved in or before the run's month (a replay sees what was published by then)."""

    KIND = "shiller"

    def __init__(self, root: str | Path) -> None:
        self.folder = ReplayFolder(root)
        self.folder.kind_dir(self.KIND)
        self.source = f"replay:{self.folder.root.name}"

    def workbook(self, as_of: dt.date) -> tuple[str, bytes] | None:
        found = [
            p.name
            for p in self.folder.list(self.KIND, "shiller-ie_data.*.xls")
            if (m := _REPLAY_NAME.fullmatch(p.name)) and m["month"] <= f"{as_of:%Y-%m}"
        ]
        if not found:
            return None
        return found[-1], self.folder.read_bytes(self.KIND, found[-1])


# --- fetch and load ------------------------------------------------------------------------------


@dataclass
class ShillerBatch:
    parsed: ParsedShiller | None
    source: str
    messages: list[str] = field(default_factory=list)


def fetch(client: ShillerClient, as_of: dt.date) -> ShillerBatch:
    """The newest workbook, parsed; a failure is one message and no rows (the run goes on)."""
    batch = ShillerBatch(None, client.source)
    try:
        found = client.workbook(as_of)
        if found is None:
            batch.messages.append(f"no Shiller workbook recorded up to {as_of:%Y-%m}")
            return batch
        name, body = found
        batch.parsed = parse_ie_data(body, name)
    except (ShillerFormatError, HttpError, ReplayError, OSError) as exc:
        batch.messages.append(f"Shiller data skipped: {exc}")
        return batch
    rows = batch.parsed.rows
    batch.messages.append(
        f"{batch.parsed.file}: {len(rows)} months {rows['month'].min():%Y-%m} → "
        f"{rows['month'].max():%Y-%m}"
        + (
            f", {len(batch.parsed.problems)} row(s) quarantined"
            if len(batch.parsed.problems)
            else ""
        )
    )
    return batch


def load_shiller(
    con: duckdb.DuckDBPyConnection,
    good: pd.DataFrame,
    *,
    source: str,
    run_id: str,
    fetched_at: dt.datetime,
) -> int:
    """Upsert the months by date: a later workbook's revised estimate replaces the old one."""
    batch = good[ROW_COLUMNS].copy()
    batch["source"] = source
    con.register("shiller_batch", batch)
    try:
        con.execute(read_sql("load/shiller_monthly.sql"), [fetched_at, run_id])
    finally:
        con.unregister("shiller_batch")
    return len(batch)
