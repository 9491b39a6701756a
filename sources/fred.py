"""FRED series: record shape, one pure parser, a live client, a replay twin, the load.

``fredgraph.csv?id=<ID>`` needs no API key and returns the whole history in two columns. Two
header layouts exist (``observation_date,<ID>`` today, ``DATE,<ID>`` in older downloads) and a
missing value is an empty cell or ``.``; both read as NULL, which is what FRED said.

FRED revises data (claims, payrolls, spreads are restated), and an indicator computed from a
value that was later revised must stay explainable. So the raw table is a change log keyed by
``(series_id, date, fetched_at)``: a download adds a row only for dates that are new or whose
value differs from the latest stored one; older values stay with their fetch time, and
``staging.macro_latest`` reads the newest. ``raw.fred_downloads`` records each download, so "the
value was unchanged on day X" is answerable too.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb
import pandas as pd

from rotation.sql import read as read_sql
from sources.frames import registered
from sources.http import HttpClient, HttpError
from sources.replay import ReplayFolder

OBSERVATION_COLUMNS = ["series_id", "date", "value", "file", "line_no", "source"]
PROBLEM_COLUMNS = ["file", "line_no", "natural_key", "reason", "raw_values"]
_DATE_HEADERS = ("observation_date", "DATE")
_MISSING = ("", ".")


class FredFormatError(ValueError):
    """The file is not a fredgraph CSV (no ``observation_date,<ID>`` / ``DATE,<ID>`` header)."""


@dataclass(frozen=True)
class ParsedSeries:
    file: str
    series_id: str
    rows: pd.DataFrame  # OBSERVATION_COLUMNS without source
    problems: pd.DataFrame


def parse_fredgraph(data: bytes | str, file: str) -> ParsedSeries:
    """Parse one ``fredgraph.csv``; bad lines become problems naming file and line."""
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    lines = text.splitlines()
    header = lines[0].strip().split(",") if lines else []
    if len(header) != 2 or header[0] not in _DATE_HEADERS or not header[1]:
        raise FredFormatError(
            f"{file}: line 1 must be 'observation_date,<SERIES>' or 'DATE,<SERIES>', "
            f"got {lines[0][:80] if lines else ''!r}"
        )
    series_id = header[1].strip()
    records: list[tuple[str, dt.date, float | None, str, int]] = []
    problems: list[dict[str, object]] = []
    seen: set[dt.date] = set()

    def bad(line_no: int, reason: str, line: str) -> None:
        problems.append(
            {
                "file": file,
                "line_no": line_no,
                "natural_key": f"{series_id}|{line.split(',')[0].strip()}",
                "reason": f"{file} line {line_no}: {reason}",
                "raw_values": json.dumps({"series_id": series_id, "line": line}),
            }
        )

    for i, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.split(",")
        if len(parts) != 2:
            bad(i, f"expected 2 fields, got {len(parts)}", line)
            continue
        raw_date, raw_value = parts[0].strip(), parts[1].strip()
        try:
            date = dt.date.fromisoformat(raw_date)
        except ValueError:
            bad(i, f"date {raw_date!r} is not YYYY-MM-DD", line)
            continue
        value: float | None
        if raw_value in _MISSING:
            value = None
        else:
            try:
                value = float(raw_value)
            except ValueError:
                bad(i, f"value {raw_value!r} is not a number (nor empty or '.')", line)
                continue
            if not math.isfinite(value):
                bad(i, f"value {raw_value!r} is not finite", line)
                continue
        if date in seen:
            bad(i, f"date {raw_date} appears twice", line)
            continue
        seen.add(date)
        records.append((series_id, date, value, file, i))
    rows = pd.DataFrame(records, columns=[c for c in OBSERVATION_COLUMNS if c != "source"])
    rows["date"] = pd.to_datetime(rows["date"]).astype("datetime64[s]")
    rows["value"] = rows["value"].astype("float64")
    return ParsedSeries(file, series_id, rows, pd.DataFrame(problems, columns=PROBLEM_COLUMNS))


# --- clients ------------------------------------------------------------------------------------


class FredClient(Protocol):
    source: str

    def series_csv(self, series_id: str) -> tuple[str, bytes]:
        """(file name, body) of the series' fredgraph CSV; raises on failure."""
        ...


class FredLiveClient:
    """``GET {base_url}/graph/fredgraph.csv?id=<ID>``."""

    source = "fred"

    def __init__(
        self,
        *,
        base_url: str = "https://fred.stlouisfed.org",
        timeout_s: float = 30.0,
        user_agent: str = "rotation-monitor/0.1",
        http: HttpClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http or HttpClient(
            user_agent=user_agent,
            connect_timeout_s=min(10.0, timeout_s),
            read_timeout_s=timeout_s,
            max_requests_per_s=2.0,
        )

    def series_csv(self, series_id: str) -> tuple[str, bytes]:
        response = self.http.get(f"{self.base_url}/graph/fredgraph.csv", params={"id": series_id})
        return f"{series_id}.csv", response.content


class FredReplayClient:
    """Recorded downloads in ``<root>/fred/<SERIES>.csv``, the live file names."""

    KIND = "fred"

    def __init__(self, root: str | Path) -> None:
        self.folder = ReplayFolder(root)
        self.folder.kind_dir(self.KIND)
        self.source = f"replay:{self.folder.root.name}"

    def series_csv(self, series_id: str) -> tuple[str, bytes]:
        """A series with no recording raises ``ReplayFileMissing`` (an OSError, like a live
        failure): ``fetch`` reports it and loads the others."""
        name = f"{series_id}.csv"
        return name, self.folder.read_bytes(self.KIND, name)


# --- fetch ---------------------------------------------------------------------------------------


@dataclass
class FredBatch:
    frame: pd.DataFrame  # OBSERVATION_COLUMNS
    problems: pd.DataFrame  # PROBLEM_COLUMNS
    series_ok: list[str] = field(default_factory=list)
    series_failed: dict[str, str] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


def fetch(client: FredClient, series: Iterable[str]) -> FredBatch:
    """Download each series; one that fails is reported and the others still load."""
    frames, problems = [], []
    batch = FredBatch(
        pd.DataFrame(columns=OBSERVATION_COLUMNS), pd.DataFrame(columns=PROBLEM_COLUMNS)
    )
    for series_id in series:
        try:
            name, body = client.series_csv(series_id)
            parsed = parse_fredgraph(body, name)
        except (HttpError, FredFormatError, OSError) as exc:
            batch.series_failed[series_id] = str(exc)
            batch.messages.append(f"FRED {series_id} skipped: {exc}")
            continue
        if parsed.series_id != series_id:
            reason = f"{name}: header names series {parsed.series_id!r}, expected {series_id!r}"
            batch.series_failed[series_id] = reason
            batch.messages.append(f"FRED {series_id} skipped: {reason}")
            continue
        batch.series_ok.append(series_id)
        frames.append(parsed.rows)
        if not parsed.problems.empty:
            problems.append(parsed.problems)
            batch.messages.append(f"{name}: {len(parsed.problems)} line(s) quarantined")
    if frames:
        frame = pd.concat(frames, ignore_index=True)
        frame["source"] = client.source
        batch.frame = frame[OBSERVATION_COLUMNS]
    if problems:
        batch.problems = pd.concat(problems, ignore_index=True)
    return batch


# --- load ----------------------------------------------------------------------------------------


def load_fred(
    con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, run_id: str, fetched_at: dt.datetime
) -> int:
    """Append new and changed observations and record the downloads.

    Call inside ``rotation.db.transaction`` with the batch's quarantine rows.

    Returns the number of observation rows written (new dates plus revised values); loading
    the same download again writes none.
    """
    changes_sql = read_sql("load/fred_observations.sql")
    downloads_sql = read_sql("load/fred_downloads.sql")
    with registered(con, "fred_batch", frame[OBSERVATION_COLUMNS]):
        written = con.execute(changes_sql, [fetched_at, run_id]).fetchone()
        con.execute(downloads_sql, [fetched_at, run_id])
    return int(written[0]) if written else 0
