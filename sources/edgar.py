"""SEC EDGAR filing indexes: record shape, one pure parser, a live client, a replay twin, the load.

Deal flow (IPO pipeline, pricings, withdrawals, M&A) is read from EDGAR's index files rather than
from each filing: one small file per day (``daily-index/.../master.YYYYMMDD.idx``) or per quarter
for backfills (``full-index/YYYY/QTRn/master.idx``) lists every filing with its form type, which is
all the counting needs, at one request per day.

The parser reads every layout EDGAR has published: the pipe-delimited master files (daily with
``YYYYMMDD`` dates, quarterly with an extra ``Cloud HTTP:`` header line and ISO dates) and the
fixed-width ``form`` and ``company`` files. Malformed lines are returned as problems naming the
file and line, the good lines are kept; only a file with no recognisable header is an error.

One filing can appear on several lines with the same accession number: a 425 or an SC 13D is
listed under the filer *and* the subject company. The natural key of a row is therefore
``(accession, cik)``; counts of filings count distinct accessions (see ``sql/staging``).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb
import numpy as np
import pandas as pd

from sources.http import HttpClient, SourceSkipped, Throttled, require_contact_user_agent

SQL_LOAD_DIR = Path(__file__).resolve().parent.parent / "sql" / "load"

FILING_COLUMNS = [
    "accession", "cik", "company_name", "form_type", "date_filed",
    "file_name", "index_file", "line_no", "source",
]  # fmt: skip
PROBLEM_COLUMNS = ["index_file", "line_no", "natural_key", "reason", "raw_values"]
INDEX_FILE_COLUMNS = ["index_file", "period_start", "period_end", "status", "rows", "url"]

_FILE_RE = r"^edgar/data/(\d{1,10})/(\d{10}-\d{2}-\d{6})\.txt$"
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


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # old index files carry a few Latin-1 company names


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
    """Parse one EDGAR index file of any published layout; never drops a line silently."""
    lines = _decode(data).splitlines()
    layout, start, header = _find_header(lines, file)
    if layout.startswith("master"):
        rows, problems = _parse_master(lines, start, file)
    else:
        rows, problems = _parse_fixed(lines, start, file, layout, header)
    return ParsedIndex(file=file, layout=layout, rows=rows, problems=problems)


def _bad(file: str, line_no: int, reason: str, raw: str, key: str = "") -> dict[str, object]:
    return {
        "index_file": file,
        "line_no": line_no,
        "natural_key": key or f"{file}:{line_no}",
        "reason": f"{file} line {line_no}: {reason}",
        "raw_values": json.dumps({"line": raw}),
    }


def _parse_master(lines: list[str], start: int, file: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pipe-delimited rows: shape checks in Python, field parsing vectorised in pandas.

    Lines are pre-sorted by their pipe count so the C CSV reader only sees well-formed lines
    (it cannot report a bad line's number); that keeps a 400,000-line quarter near the speed
    of DuckDB's own reader (see benchmarks/edgar_parse.py).
    """
    body = lines[start:]
    good_idx: list[int] = []
    problems: list[dict[str, object]] = []
    for i, line in enumerate(body):
        n = line.count("|")
        if n == 4:
            good_idx.append(i)
        elif line.strip():
            line_no = start + i + 1
            problems.append(
                _bad(file, line_no, f"expected 5 '|'-separated fields, got {n + 1}", line)
            )
    if not good_idx:
        return _empty_rows(), _problem_frame(problems)
    good_lines = [body[i] for i in good_idx] if len(good_idx) != len(body) else body
    frame = pd.read_csv(
        io.StringIO("\n".join(good_lines)),
        sep="|",
        header=None,
        names=["cik", "company_name", "form_type", "date_filed", "file_name"],
        dtype=str,
        keep_default_na=False,
        quoting=3,  # csv.QUOTE_NONE: company names contain quotes
        engine="c",
    )
    frame["line_no"] = np.asarray(good_idx, dtype=np.int64) + start + 1
    return _finish(frame, file, problems)


def _parse_fixed(
    lines: list[str], start: int, file: str, layout: str, header: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fixed-width rows, read from the right (file, date, CIK) so long names cannot shift them.

    The left part holds the company name and the form type; the column where the second one
    starts comes from the header, so a wider column in a future file is still read correctly.
    """
    split = header.index("Company Name" if layout == "form" else "Form Type")
    records: list[tuple[str, str, str, str, str, int]] = []
    problems: list[dict[str, object]] = []
    for i in range(start, len(lines)):
        line = lines[i]
        if not line.strip():
            continue
        m = _FIXED_RE.match(line)
        if m is None:
            problems.append(_bad(file, i + 1, "not a fixed-width index row", line))
            continue
        left = m["left"]
        if len(left) > split and left[split - 1] != " ":
            problems.append(_bad(file, i + 1, f"no column break at position {split}", line))
            continue
        first, second = left[:split].strip(), left[split:].strip()
        company, form = (second, first) if layout == "form" else (first, second)
        records.append((m["cik"], company, form, m["date"], m["file"], i + 1))
    frame = pd.DataFrame(
        records,
        columns=["cik", "company_name", "form_type", "date_filed", "file_name", "line_no"],
    )
    return _finish(frame, file, problems)


def _empty_rows() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=str) for c in FILING_COLUMNS if c != "source"})
    frame["cik"] = frame["cik"].astype("int64")
    frame["line_no"] = frame["line_no"].astype("int64")
    frame["date_filed"] = pd.to_datetime(frame["date_filed"])
    return frame


def _finish(
    frame: pd.DataFrame, file: str, problems: list[dict[str, object]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Type the fields; rows whose CIK, date or file name do not parse become problems."""
    if frame.empty:
        return _empty_rows(), _problem_frame(problems)
    for col in ("company_name", "form_type", "file_name", "cik", "date_filed"):
        frame[col] = frame[col].str.strip()
    parts = frame["file_name"].str.extract(_FILE_RE)
    dates = frame["date_filed"]
    iso = dates.str.len() == 10
    parsed = pd.to_datetime(dates.where(~iso), format="%Y%m%d", errors="coerce")
    if iso.any():
        parsed = parsed.fillna(pd.to_datetime(dates.where(iso), format="%Y-%m-%d", errors="coerce"))
    cik_ok = frame["cik"].str.fullmatch(r"\d{1,10}")
    reasons = pd.Series("", index=frame.index, dtype=object)
    reasons[~cik_ok] = "CIK is not a number"
    reasons[parsed.isna()] = "date filed is not YYYYMMDD or YYYY-MM-DD"
    reasons[parts[1].isna()] = "file name is not edgar/data/<CIK>/<accession>.txt"
    bad = reasons != ""
    if bad.any():
        for idx in frame.index[bad]:
            row = frame.loc[idx]
            raw = "|".join(str(row[c]) for c in ("cik", "company_name", "form_type", "date_filed"))
            problems.append(
                _bad(file, int(row["line_no"]), reasons[idx], f"{raw}|{row['file_name']}")
            )
    good = frame.loc[~bad].copy()
    good["accession"] = parts.loc[~bad, 1]
    good["cik"] = good["cik"].astype("int64")
    good["date_filed"] = parsed.loc[~bad].astype("datetime64[s]")
    good["index_file"] = file
    good = good[[c for c in FILING_COLUMNS if c != "source"]].reset_index(drop=True)
    problem_frame = _problem_frame(problems).sort_values("line_no", kind="stable")
    return good, problem_frame.reset_index(drop=True)


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
        http: HttpClient | None = None,
    ) -> None:
        if not user_agent.strip():
            raise EdgarNotConfigured(
                "EDGAR skipped: no SEC User-Agent configured; set [edgar] user_agent "
                '(or ROTATION_EDGAR_USER_AGENT) to e.g. "Acme Research ops@acme.example"'
            )
        require_contact_user_agent(user_agent, service="SEC EDGAR")
        if max_requests_per_s >= 10:
            raise ValueError(f"max_requests_per_s={max_requests_per_s}: the SEC allows < 10/s")
        self.base_url = base_url.rstrip("/")
        self.http = http or HttpClient(
            user_agent=user_agent,
            connect_timeout_s=min(10.0, timeout_s),
            read_timeout_s=timeout_s,
            max_requests_per_s=max_requests_per_s,
            throttle_403=True,
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
    Reads the folder directly with pathlib: ``sources/replay.py`` did not exist when this was
    written; switching to its ``ReplayFolder`` changes only this class.
    """

    def __init__(self, root: str | Path) -> None:
        self.folder = Path(root) / "edgar"
        if not self.folder.is_dir():
            raise FileNotFoundError(f"replay folder {self.folder} does not exist")
        self.source = f"replay:{Path(root).name}"

    def _read(self, name: str, start: dt.date, end: dt.date) -> IndexFile:
        path = self.folder / name
        content = path.read_bytes() if path.exists() else None
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
    """Upsert filing rows (and the index-file coverage log); return rows.

    Call inside ``rotation.db.transaction`` with the batch's quarantine rows, so a killed
    process leaves all of the batch or none of it.

    Idempotent: loading the same batch twice leaves the same rows (``first_fetched_at`` keeps
    the first sighting). Call it on validated rows only; the caller quarantines the rest.
    """
    filings_sql = (SQL_LOAD_DIR / "edgar_filings.sql").read_text()
    files_sql = (SQL_LOAD_DIR / "edgar_index_files.sql").read_text()
    batch = frame[FILING_COLUMNS]
    files = index_files[INDEX_FILE_COLUMNS] if index_files is not None else None
    con.register("edgar_batch", batch)
    if files is not None:
        con.register("edgar_index_batch", files)
    try:
        con.execute(filings_sql, [fetched_at, run_id])
        if files is not None and not files.empty:
            con.execute(files_sql, [fetched_at, run_id])
    finally:
        con.unregister("edgar_batch")
        if files is not None:
            con.unregister("edgar_index_batch")
    return len(frame)
