"""SEC EDGAR filing indexes: record shape, one pure parser, a live client, a replay twin, the load.

Deal flow (IPO pipeline, pricings, withdrawals, M&A) is read from EDGAR's index files rather than
from each filing: one small file per day (``daily-index/.../master.YYYYMMDD.idx``) or per quarter
for backfills (``full-index/YYYY/QTRn/master.idx``) lists every filing with its form type, which is
all the counting needs, at one request per day.

The parser reads every layout EDGAR has published: the pipe-delimited master files (daily with
``YYYYMMDD`` dates, quarterly with an extra ``Cloud HTTP:`` header line and ISO dates) and the
fixed-width ``form`` and ``company`` files. Malformed lines are returned as problems naming the
file and line, the good lines are kept; only a file with no recognisable header is an error.
A quarterly master file has ~400,000 lines, so the master files are split by DuckDB's CSV reader
and every layout's fields are typed and checked in SQL (``sql/load/edgar_index_rows.sql``):
pandas string methods, without pyarrow, run per element in Python and made a quarter's parse
several times slower (``benchmarks/edgar_parse.py``).

One filing can appear on several lines with the same accession number: a 425 or an SC 13D is
listed under the filer *and* the subject company. The natural key of a row is therefore
``(accession, cik)``; counts of filings count distinct accessions (see ``sql/staging``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb
import numpy as np
import pandas as pd

from rotation import calendar
from rotation.sql import read as read_sql
from sources.frames import registered
from sources.http import HttpClient, SourceSkipped, Throttled, check_sec_manners, sec_client
from sources.replay import ReplayFolder

FILING_COLUMNS = [
    "accession", "cik", "company_name", "form_type", "date_filed",
    "file_name", "index_file", "line_no", "source",
]  # fmt: skip
PROBLEM_COLUMNS = ["index_file", "line_no", "natural_key", "reason", "raw_values"]
INDEX_FILE_COLUMNS = ["index_file", "period_start", "period_end", "status", "rows", "url"]

_FIELD_COLUMNS = ("cik", "company_name", "form_type", "date_filed", "file_name")
_FIXED_RE = re.compile(r"^(?P<left>.*?)\s+(?P<cik>\d{1,10})\s+(?P<date>\d{8})\s+(?P<file>\S+)\s*$")


class EdgarNotConfigured(SourceSkipped):
    """No SEC User-Agent configured: EDGAR is skipped, the rest of the run goes on."""


class UnrecognisedIndexError(ValueError):
    """The file has no EDGAR index header at all (an HTML error page, a changed format)."""


@dataclass(frozen=True)
class ParsedIndex:
    """Rows of one index file (``FILING_COLUMNS`` without ``source``) and its bad lines."""

    file: str
    layout: str  # master-daily, master-quarterly, form, company
    rows: pd.DataFrame
    problems: pd.DataFrame


def _problem_frame(items: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(items, columns=PROBLEM_COLUMNS)


def _utf8(data: bytes | str) -> bytes:
    """The file as UTF-8 bytes with ``\\n`` line ends, as DuckDB's CSV reader wants it.

    EDGAR's files are ASCII, which is UTF-8 as it is: only other files are decoded (UTF-8, or
    Latin-1, which old index files use for a few company names) and encoded again.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if not raw.isascii():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raw = raw.decode("latin-1").encode("utf-8")
    if b"\r" in raw:  # CRLF (or bare CR) line ends: the line numbers are those of an editor
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return raw


def _find_header(lines: list[str], file: str) -> tuple[str, int, str]:
    """Return (layout, index of the first data line, header line)."""
    for i, line in enumerate(lines[:40]):
        if line.startswith("CIK|Company Name|Form Type|Date Filed|File"):
            quarterly = any(x.startswith("Cloud HTTP:") for x in lines[:i]) or (
                "Master Index" in "".join(lines[:2])
            )
            return ("master-quarterly" if quarterly else "master-daily"), i + 2, line
        if line.startswith("Form Type") and "Company Name" in line and "CIK" in line:
            return "form", i + 2, line
        if line.startswith("Company Name") and "Form Type" in line and "CIK" in line:
            # the company file's header wraps: "... CIK" / "      Date Filed  File Name"
            skip = 3 if i + 1 < len(lines) and "Date Filed" in lines[i + 1] else 2
            return "company", i + skip, line
    raise UnrecognisedIndexError(
        f"{file}: no EDGAR index header (expected 'CIK|Company Name|…', 'Form Type …' or "
        f"'Company Name …' in the first 40 lines); first line: {lines[0][:80] if lines else ''!r}"
    )


def parse_index(data: bytes | str, file: str) -> ParsedIndex:
    """Parse one EDGAR index file of any published layout; never drops a line silently.

    Lines are split on ``\\n`` only (CRLF is normalised), so line numbers are those an editor
    or ``grep -n`` shows.
    """
    raw = _utf8(data)
    head: list[str] = []  # the header is within the first 40 lines
    ends: list[int] = []  # where each line of `head` ends (the offset of the next one)
    offset = 0
    while len(head) < 45 and offset < len(raw):
        end = raw.find(b"\n", offset)
        end = len(raw) if end < 0 else end
        head.append(raw[offset:end].decode("utf-8"))
        offset = end + 1
        ends.append(offset)
    layout, start, header = _find_header(head, file)
    body = raw[ends[start - 1] :] if start <= len(ends) else b""
    with duckdb.connect() as con:  # private, in memory: parsing touches no caller's database
        if layout.startswith("master"):
            rows, problems = _parse_master(con, body, start, file)
        else:
            rows, problems = _parse_fixed(con, body, start, file, layout, header)
    return ParsedIndex(file=file, layout=layout, rows=rows, problems=problems)


def _bad(file: str, line_no: int, reason: str, raw: str, key: str = "") -> dict[str, object]:
    return {
        "index_file": file,
        "line_no": line_no,
        "natural_key": key or f"{file}:{line_no}",
        "reason": f"{file} line {line_no}: {reason}",
        "raw_values": json.dumps({"line": raw}),
    }


def _parse_master(
    con: duckdb.DuckDBPyConnection, body: bytes, start: int, file: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pipe-delimited rows, split by DuckDB's CSV reader (the fast path for a quarterly backfill).

    The reader keeps the rows in file order and reports each line it rejects (wrong number of
    fields) with its line number; every other line is a row, so the line numbers of the rows
    are the body's line numbers minus the rejected ones. The reader skips empty lines without
    reporting them, so they are first given a space (a one-field line it rejects, and which
    is dropped here as blank): that keeps the count exact, and it is checked.
    """
    if b"\n\n" in body or body.startswith(b"\n"):
        body = (b" " + body if body.startswith(b"\n") else body).replace(b"\n\n", b"\n \n")
        body = body.replace(b"\n\n", b"\n \n")  # runs of empty lines: every other one is left
    n_lines = body.count(b"\n") + (0 if body.endswith(b"\n") or not body else 1)
    if n_lines == 0:
        return _empty_rows(), _problem_frame([])
    # DuckDB reads a file-like object only through fsspec (a dependency of Prefect's, not
    # ours): the body goes through a temporary file, which measured no slower.
    with tempfile.TemporaryDirectory(prefix="edgar-index-") as folder:
        path = Path(folder) / "body.idx"
        path.write_bytes(body)
        relation = con.read_csv(
            str(path),
            sep="|",
            header=False,
            auto_detect=False,
            quotechar="",  # company names contain quotes
            escapechar="",
            lineterminator="\\n",  # type: ignore[arg-type]  # the stub lists only enum values
            columns=dict.fromkeys(_FIELD_COLUMNS, "varchar"),
            force_not_null=list(_FIELD_COLUMNS),  # an empty field is '', not NULL
            store_rejects=True,
            rejects_table="edgar_rejects",
            rejects_scan="edgar_reject_scans",
        )
        typed = _typed_fields(con, relation)
        rejected = con.execute(read_sql("load/edgar_index_rejects.sql")).fetchall()
    problems: list[dict[str, object]] = []
    is_row = np.ones(n_lines, dtype=bool)
    is_row[np.asarray([r[0] for r in rejected], dtype=np.int64) - 1] = False
    line_no = np.flatnonzero(is_row) + (start + 1)
    if len(line_no) != len(typed):  # the accounting above is what the line numbers rest on
        raise RuntimeError(
            f"{file}: the CSV reader returned {len(typed)} rows and rejected {len(rejected)} "
            f"lines out of {n_lines}; cannot number the rows"
        )
    typed["line_no"] = line_no
    lines: list[str] = []
    if b"|\n" in body or body.endswith(b"|"):
        # The reader drops empty fields at the end of a line ("a|b|c|d|e|" reads as five
        # fields, "|||||" as five empty ones): such a line is judged by its own pipe count.
        lines = body.decode("utf-8").split("\n")
        fields = {
            start + i: raw.count("|") + 1
            for i, raw in enumerate(lines, start=1)
            if raw.endswith("|") and raw.count("|") != 4
        }
        extra = typed["line_no"].isin(list(fields))
        if extra.any():
            typed.loc[extra, "reason"] = [
                f"expected 5 '|'-separated fields, got {fields[n]}"
                for n in typed.loc[extra, "line_no"]
            ]
    if rejected or typed["reason"].notna().any():
        lines = lines or body.decode("utf-8").split("\n")
        for line, error_type, message in rejected:
            raw = lines[line - 1]
            if not raw.strip():
                continue  # a blank line is not a filing
            reason = (
                f"expected 5 '|'-separated fields, got {raw.count('|') + 1}"
                if error_type in ("MISSING COLUMNS", "TOO MANY COLUMNS")
                else f"unreadable line ({message})"
            )
            problems.append(_bad(file, start + line, reason, raw))
        raw_lines = [lines[n - start - 1] for n in typed.loc[typed["reason"].notna(), "line_no"]]
    else:
        raw_lines = []
    return _finish(typed, file, problems, raw_lines)


def _parse_fixed(
    con: duckdb.DuckDBPyConnection, body: bytes, start: int, file: str, layout: str, header: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fixed-width rows, read from the right (file, date, CIK) so long names cannot shift them.

    The left part holds the company name and the form type; the column where the second one
    starts comes from the header, so a wider column in a future file is still read correctly.
    These are daily files (a few thousand lines): a Python loop splits them, and the fields
    are typed and checked by the same SQL as the master files'.
    """
    split = header.index("Company Name" if layout == "form" else "Form Type")
    records: list[tuple[str, str, str, str, str]] = []
    numbers: list[int] = []
    raw_lines: list[str] = []
    problems: list[dict[str, object]] = []
    for i, line in enumerate(body.decode("utf-8").split("\n"), start=start + 1):
        if not line.strip():
            continue
        m = _FIXED_RE.match(line)
        if m is None:
            problems.append(_bad(file, i, "not a fixed-width index row", line))
            continue
        left = m["left"]
        if len(left) > split and left[split - 1] != " ":
            problems.append(_bad(file, i, f"no column break at position {split}", line))
            continue
        first, second = left[:split].strip(), left[split:].strip()
        company, form = (second, first) if layout == "form" else (first, second)
        records.append((m["cik"], company, form, m["date"], m["file"]))
        numbers.append(i)
        raw_lines.append(line)
    if not records:
        return _empty_rows(), _problem_frame(problems)
    fields = pd.DataFrame(records, columns=list(_FIELD_COLUMNS), dtype=object)
    typed = _typed_fields(con, fields)
    typed["line_no"] = np.asarray(numbers, dtype=np.int64)
    bad_raw = [raw for raw, bad in zip(raw_lines, typed["reason"].notna(), strict=True) if bad]
    return _finish(typed, file, problems, bad_raw)


def _typed_fields(
    con: duckdb.DuckDBPyConnection, fields: duckdb.DuckDBPyRelation | pd.DataFrame
) -> pd.DataFrame:
    """Run ``sql/load/edgar_index_rows.sql`` over raw fields: one typed row per row, in order."""
    con.register("edgar_index_fields", fields)
    try:
        return con.execute(read_sql("load/edgar_index_rows.sql")).df()
    finally:
        con.unregister("edgar_index_fields")


def _empty_rows() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=str) for c in FILING_COLUMNS if c != "source"})
    frame["cik"] = frame["cik"].astype("int64")
    frame["line_no"] = frame["line_no"].astype("int64")
    frame["date_filed"] = pd.to_datetime(frame["date_filed"])
    return frame


def _finish(
    typed: pd.DataFrame, file: str, problems: list[dict[str, object]], bad_lines: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split typed rows into good rows and problems (``bad_lines``: the raw lines of the bad)."""
    bad = typed["reason"].notna()
    if bad.any():
        for line_no, reason, raw in zip(
            typed.loc[bad, "line_no"], typed.loc[bad, "reason"], bad_lines, strict=True
        ):
            problems.append(_bad(file, int(line_no), reason, raw))
        good = typed.loc[~bad].reset_index(drop=True)
    else:
        good = typed
    good = good.drop(columns="reason")
    good["cik"] = good["cik"].astype("int64")  # NULL only on the bad rows
    good["date_filed"] = good["date_filed"].astype("datetime64[s]")
    good["index_file"] = file
    good = good[[c for c in FILING_COLUMNS if c != "source"]]
    problem_frame = _problem_frame(problems).sort_values("line_no", kind="stable")
    return good, problem_frame.reset_index(drop=True)


# --- fetch plan ----------------------------------------------------------------------------------
# What to fetch next: a function of the calendar and the store, never of the client.


EDGAR_REREAD_DAYS = 60  # a damaged daily index is read again for two months, then left open


def days_to_reread(con: Any, as_of: dt.date) -> list[dt.date]:
    """Daily indexes stored as short or unrecognised in the last ``EDGAR_REREAD_DAYS``: the
    daily run reads them again with its window until they come whole."""
    rows = con.execute(
        read_sql("load/edgar_days_to_reread.sql"),
        {"since": as_of - dt.timedelta(days=EDGAR_REREAD_DAYS), "until": as_of},
    ).fetchall()
    return [row[0] for row in rows]


def daily_days(as_of: dt.date, lookback_sessions: int) -> list[dt.date]:
    """Weekdays of the trailing window: EDGAR publishes an index per business day (a 404 on
    an EDGAR holiday is recorded as "no index", not an error)."""
    first = calendar.previous_sessions(as_of, lookback_sessions)[0]
    days = (first + dt.timedelta(days=n) for n in range((as_of - first).days + 1))
    return [d for d in days if d.weekday() < 5]


def backfill_quarters(start: dt.date, end: dt.date) -> list[tuple[int, int]]:
    """The (year, quarter) full indexes covering ``[start, end]``, newest first; EDGAR's
    electronic filings begin in 1993."""
    first = max(start, dt.date(1993, 1, 1))
    quarters = []
    year, quarter = end.year, (end.month - 1) // 3 + 1
    while (year, quarter) >= (first.year, (first.month - 1) // 3 + 1):
        quarters.append((year, quarter))
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return quarters


# --- clients ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexFile:
    """The bytes of one index file, or ``content=None`` when EDGAR published none (404)."""

    name: str  # master.20200103.idx (daily) or master.1993QTR4.idx (quarterly)
    period_start: dt.date
    period_end: dt.date
    content: bytes | None
    url: str


class EdgarClient(Protocol):
    """Where index bytes come from: the SEC (live) or a folder of recorded files (replay)."""

    source: str

    def daily_index(self, day: dt.date) -> IndexFile: ...

    def quarterly_index(self, year: int, quarter: int) -> IndexFile: ...


def quarter_of(day: dt.date) -> int:
    return (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1-4, got {quarter}")
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def daily_name(day: dt.date) -> str:
    return f"master.{day:%Y%m%d}.idx"


def quarterly_name(year: int, quarter: int) -> str:
    return f"master.{year}QTR{quarter}.idx"


class EdgarLiveClient:
    """The SEC's archive over HTTPS, with the SEC's manners (see ``sources/http.py``).

    ``user_agent`` empty → :class:`EdgarNotConfigured` (skip, the run goes on); present but
    without a contact e-mail → ``ValueError`` (a configuration mistake to fix).
    """

    source = "sec"

    def __init__(
        self,
        *,
        user_agent: str,
        base_url: str = "https://www.sec.gov",
        max_requests_per_s: float = 5.0,
        timeout_s: float = 30.0,
        throttle_cooldown_s: float = 600.0,
        http: HttpClient | None = None,
    ) -> None:
        if not user_agent.strip():
            raise EdgarNotConfigured(
                "EDGAR skipped: no SEC User-Agent configured; set [edgar] user_agent "
                '(or ROTATION_EDGAR_USER_AGENT) to e.g. "Acme Research ops@acme.example"'
            )
        check_sec_manners(user_agent, service="SEC EDGAR", max_requests_per_s=max_requests_per_s)
        self.base_url = base_url.rstrip("/")
        self.http = http or sec_client(
            user_agent,
            service="SEC EDGAR",
            max_requests_per_s=max_requests_per_s,
            timeout_s=timeout_s,
            cooldown_s=throttle_cooldown_s,
        )

    def _get(self, url: str, name: str, start: dt.date, end: dt.date) -> IndexFile:
        response = self.http.get(url, ok_statuses=(200, 404))
        content = response.content if response.status == 200 else None
        return IndexFile(name, start, end, content, url)

    def daily_index(self, day: dt.date) -> IndexFile:
        url = (
            f"{self.base_url}/Archives/edgar/daily-index/{day.year}/QTR{quarter_of(day)}/"
            f"{daily_name(day)}"
        )
        return self._get(url, daily_name(day), day, day)

    def quarterly_index(self, year: int, quarter: int) -> IndexFile:
        start, end = quarter_bounds(year, quarter)
        url = f"{self.base_url}/Archives/edgar/full-index/{year}/QTR{quarter}/master.idx"
        return self._get(url, quarterly_name(year, quarter), start, end)


class EdgarReplayClient:
    """Recorded index files in ``<root>/edgar/``, named like the live files.

    A missing daily file means what a live 404 means: no index that day. Quarterly files are
    named ``master.YYYYQTRn.idx`` (the live name ``master.idx`` is the same for every quarter).
    """

    KIND = "edgar"

    def __init__(self, root: str | Path) -> None:
        self.folder = ReplayFolder(root)
        self.folder.kind_dir(self.KIND)  # a folder without edgar/ is an error naming it
        self.source = f"replay:{self.folder.root.name}"

    def _read(self, name: str, start: dt.date, end: dt.date) -> IndexFile:
        path = self.folder.path(self.KIND, name)
        content = self.folder.read_bytes(self.KIND, name) if path.is_file() else None
        return IndexFile(name, start, end, content, path.resolve().as_uri())

    def daily_index(self, day: dt.date) -> IndexFile:
        return self._read(daily_name(day), day, day)

    def quarterly_index(self, year: int, quarter: int) -> IndexFile:
        start, end = quarter_bounds(year, quarter)
        return self._read(quarterly_name(year, quarter), start, end)


# --- fetch ---------------------------------------------------------------------------------------


@dataclass
class EdgarBatch:
    """Everything one fetch produced: rows to validate and load, bad lines, what was read."""

    frame: pd.DataFrame  # FILING_COLUMNS, one row per (accession, cik)
    problems: pd.DataFrame  # PROBLEM_COLUMNS: quarantine candidates from the parser
    index_files: pd.DataFrame  # INDEX_FILE_COLUMNS: loaded | no_index | unrecognised
    duplicates: int = 0  # repeated (accession, cik) lines collapsed (fund series repeat)
    complete: bool = True  # False when throttling stopped the fetch early
    messages: list[str] = field(default_factory=list)


def fetch(
    client: EdgarClient,
    *,
    days: Iterable[dt.date] = (),
    quarters: Sequence[tuple[int, int]] = (),
) -> EdgarBatch:
    """Read the daily indexes for ``days`` and the quarterly ones for ``quarters``.

    A 404 (EDGAR closed on a day the NYSE was open) is recorded as ``no_index``, not an error.
    A throttle answer stops the fetch: what was read so far is returned with ``complete=False``
    and a message, so the run loads it and the next run's lookback window fetches the rest.
    """
    # Quarterly indexes first, then daily ones: ("q", (year, quarter)) or ("d", day).
    requests_: list[tuple[int, int] | dt.date] = [*quarters, *sorted(set(days))]
    parsed: list[pd.DataFrame] = []
    problems: list[pd.DataFrame] = []
    files: list[dict[str, object]] = []
    messages: list[str] = []
    complete = True
    for wanted in requests_:
        try:
            if isinstance(wanted, tuple):
                index = client.quarterly_index(*wanted)
            else:
                index = client.daily_index(wanted)
        except Throttled as exc:
            complete = False
            messages.append(f"EDGAR fetch stopped early: {exc}")
            break
        entry: dict[str, object] = {
            "index_file": index.name,
            "period_start": index.period_start,
            "period_end": index.period_end,
            "url": index.url,
        }
        if index.content is None:
            files.append({**entry, "status": "no_index", "rows": 0})
            continue
        try:
            result = parse_index(index.content, index.name)
        except UnrecognisedIndexError as exc:
            files.append({**entry, "status": "unrecognised", "rows": 0})
            messages.append(str(exc))
            problems.append(
                _problem_frame(
                    [
                        {
                            "index_file": index.name,
                            "line_no": 0,
                            "natural_key": index.name,
                            "reason": str(exc),
                            "raw_values": json.dumps(
                                {"head": index.content[:500].decode("utf-8", "replace")}
                            ),
                        }
                    ]
                )
            )
            continue
        files.append({**entry, "status": "loaded", "rows": len(result.rows)})
        parsed.append(result.rows)
        if not result.problems.empty:
            problems.append(result.problems)
            messages.append(f"{index.name}: {len(result.problems)} malformed line(s) quarantined")
    frame = pd.concat(parsed, ignore_index=True) if parsed else _empty_rows()
    before = len(frame)
    frame = frame.drop_duplicates(["accession", "cik"], keep="last").reset_index(drop=True)
    frame["source"] = client.source
    return EdgarBatch(
        frame=frame,
        problems=pd.concat(problems, ignore_index=True) if problems else _problem_frame([]),
        index_files=pd.DataFrame(files, columns=INDEX_FILE_COLUMNS),
        duplicates=before - len(frame),
        complete=complete,
        messages=messages,
    )


# --- load ----------------------------------------------------------------------------------------


def load_edgar(
    con: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    run_id: str,
    fetched_at: dt.datetime,
    *,
    index_files: pd.DataFrame | None = None,
) -> int:
    """Upsert filing rows (and the index-file coverage log); return the filings new or changed.

    Call inside ``rotation.db.transaction`` with the batch's quarantine rows, so a killed
    process leaves all of the batch or none of it.

    Idempotent: loading the same batch twice leaves the same rows (``first_fetched_at`` keeps
    the first sighting) and the second load counts 0. Call it on validated rows only; the
    caller quarantines the rest.
    """
    filings_sql = read_sql("load/edgar_filings.sql")
    files_sql = read_sql("load/edgar_index_files.sql")
    batch = frame[FILING_COLUMNS]
    with registered(con, "edgar_batch", batch):
        written = con.execute(filings_sql, [fetched_at, run_id]).fetchone()
    if index_files is not None and not index_files.empty:
        with registered(con, "edgar_index_batch", index_files[INDEX_FILE_COLUMNS]):
            con.execute(files_sql, [fetched_at, run_id])
    return int(written[0]) if written else 0


# --- completeness --------------------------------------------------------------------------------

# A daily index with fewer rows than this share of the median of its weekday's recent files is
# taken for a cut download. A judgement, not a measurement (the shared data holds one complete
# daily index): low enough to leave ordinary quiet days alone; a quiet day it does flag is
# accepted when a re-read gives the same count (see sql/load/edgar_short_index_files.sql).
# 60%: a file cut at half its length is short (at 25% it loaded as complete); a quiet day
# flagged by it is accepted on the re-read.
SHORT_INDEX_FRACTION = 0.6
SHORT_INDEX_WEEKDAY_FILES = 8  # the median of the last 8 files of the same weekday
SHORT_INDEX_MIN_KNOWN = 3  # with fewer same-weekday files known: the nearest of any weekday
SHORT_INDEX_MIN_ANY = 2  # with fewer daily files of any weekday known, no judgement


def short_index_files(con: duckdb.DuckDBPyConnection, index_files: pd.DataFrame) -> pd.DataFrame:
    """The daily index files of a batch whose row count is implausibly low for their day.

    Returns (index_file, rows, median_rows, files, basis) per suspicious file (basis
    ``weekday``: the trailing files of its weekday; ``any``: the nearest files of any weekday,
    while fewer of its weekday are known); the caller records
    them as status ``short`` (so coverage, the deal-flow marts and the next run treat the day
    as not read) and as an incident.
    """
    if index_files.empty:
        return pd.DataFrame(columns=["index_file", "rows", "median_rows", "files", "basis"])
    with registered(con, "edgar_index_batch", index_files[INDEX_FILE_COLUMNS]):
        return con.execute(
            read_sql("load/edgar_short_index_files.sql"),
            {
                "short_fraction": SHORT_INDEX_FRACTION,
                "weekday_files": SHORT_INDEX_WEEKDAY_FILES,
                "min_known": SHORT_INDEX_MIN_KNOWN,
                "min_any": SHORT_INDEX_MIN_ANY,
            },
        ).df()
