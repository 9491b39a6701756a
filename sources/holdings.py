"""iShares fund holdings: record shape, one pure parser, a live client, a replay twin, the load.

A fund's holdings file is the only free, daily, public list of an index's constituents with
their weights (IWM for the Russell 2000, IWB for the Russell 1000, IVV for the S&P 500). The
file is meant for people, not programs, and every layout seen in the wild parses here:

- a UTF-8 BOM or none; CRLF or LF;
- a preamble (fund name, ``Fund Holdings as of,"Nov 05, 2025"``, shares outstanding, …) ended
  by a line holding one space (or a non-breaking space), or no preamble at all (then the as-of
  date must come from the caller, e.g. the file name);
- a spreadsheet round trip: dates like ``13-Apr-26``, preamble lines padded with commas,
  numbers partly unquoted;
- the 15-column layout (``Weight (%)``, ``Quantity`` or ``Shares``), the old 12-column layout
  (``…,SEDOL,ISIN,Exchange``) and the 17-column layout with ``Type`` and ``Market Weight``
  (whose SWAP rows repeat equity tickers);
- ``-`` for a missing value, thousands separators, a legal footer in one quoted multi-line
  field with curly quotes, trailing lines of empty fields.

Every line of the file is kept (``raw.holdings`` by ``(fund, as_of, line)``): cash, futures,
collateral and money-market lines too, flagged ``is_equity = false``, so a snapshot can be
checked against the file it came from. Tickers are stored as received and in the price
vendor's form (``BRKB``/``BRK.B`` → ``BRK-B``, see :func:`vendor_ticker`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb
import pandas as pd

from rotation.sql import read as read_sql
from sources.http import HttpClient, HttpError
from sources.replay import ReplayFileMissing, ReplayFolder

HOLDING_COLUMNS = [
    "fund", "as_of", "line", "ticker_raw", "ticker", "name", "sector", "asset_class",
    "security_type", "market_value", "weight_pct", "notional_value", "quantity", "price",
    "location", "exchange", "exchange_code", "currency", "fx_rate", "is_equity", "file",
]  # fmt: skip
PROBLEM_COLUMNS = ["file", "line_no", "natural_key", "reason", "raw_values"]

# Header name in the file -> our column. Several names map to one column (layouts differ).
_HEADER_MAP = {
    "Ticker": "ticker_raw",
    "Name": "name",
    "Sector": "sector",
    "Asset Class": "asset_class",
    "Type": "security_type",
    "Market Value": "market_value",
    "Weight (%)": "weight_pct",
    "Market Weight": "weight_pct",
    "Notional Value": "notional_value",
    "Quantity": "quantity",
    "Shares": "quantity",
    "Price": "price",
    "Location": "location",
    "Exchange": "exchange",
    "Currency": "currency",
    "FX Rate": "fx_rate",
}
_REQUIRED_HEADERS = ("ticker_raw", "name", "asset_class", "weight_pct", "price")
_NUMERIC = ("market_value", "weight_pct", "notional_value", "quantity", "price", "fx_rate")
_DATE_FORMATS = ("%b %d, %Y", "%d-%b-%y", "%Y-%m-%d", "%m/%d/%Y", "%d-%b-%Y")
# The same venue under the names the files used over time (renamed between Jan and Apr 2026).
EXCHANGE_CODES = {
    "New York Stock Exchange Inc.": "NYSE",
    "NYSE": "NYSE",
    "NASDAQ": "NASDAQ",
    "Nyse Mkt Llc": "NYSE American",
    "Cboe BZX": "Cboe BZX",
}
_FILE_NAME = re.compile(r"^(?P<fund>[A-Z0-9]+)\.(?P<date>\d{4}-\d{2}-\d{2})\.csv$")


class HoldingsFormatError(ValueError):
    """The file is not an iShares holdings file we can read (no ``Ticker,…`` header, missing
    columns, or a preamble date that contradicts the date the caller gave)."""


@dataclass(frozen=True)
class ParsedHoldings:
    """One snapshot: a fund's holdings on one day, every line of the file."""

    file: str
    fund: str
    as_of: dt.date | None
    as_of_from: str  # preamble | caller | unknown
    layout: int  # number of columns: 12, 15 or 17
    shares_outstanding: float | None
    rows: pd.DataFrame  # HOLDING_COLUMNS
    problems: pd.DataFrame  # PROBLEM_COLUMNS: lines that could not be read


def vendor_ticker(
    raw: str | None,
    *,
    aliases: Mapping[str, str] | None = None,
    known: Collection[str] | None = None,
) -> str | None:
    """The ticker as the price vendor (Yahoo) and the SEC write it, or None when unlisted.

    iShares drops the share-class dot (``BRKB`` for BRK.B) or keeps it, and sometimes adds a
    Bloomberg suffix (``HOLX US``). Order: an explicit alias (``[holdings] ticker_aliases``);
    a class dot or slash becomes ``-``; with ``known`` (the SEC ticker list), a ticker the
    list does not have but whose last letter split off (``GEFB`` → ``GEF-B``) it does have
    takes that form. ``-`` and empty mean "no ticker" (unlisted lines, warrants, escrows).
    """
    if raw is None:
        return None
    ticker = raw.strip().upper()
    if ticker in {"", "-"}:
        return None
    if ticker.endswith(" US"):
        ticker = ticker[:-3].strip()
    if aliases and ticker in aliases:
        return aliases[ticker]
    ticker = re.sub(r"[./ ]+", "-", ticker)
    if known is not None and ticker not in known and len(ticker) >= 3 and "-" not in ticker:
        split = f"{ticker[:-1]}-{ticker[-1]}"
        if split in known:
            return split
    return ticker


def _number(text: str) -> float | None:
    """``"1,234.50"`` → 1234.5; ``-`` or empty → None; anything else raises ValueError."""
    cleaned = text.strip().replace(",", "")
    if cleaned in {"", "-"}:
        return None
    return float(cleaned)


def _date(text: str) -> dt.date | None:
    cleaned = text.strip().strip('"').strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    return None


def _blank(fields: list[str]) -> bool:
    return all(not f.strip() or f.strip() == "\xa0" for f in fields)


def parse_holdings(
    data: bytes | str,
    file: str,
    *,
    fund: str,
    as_of: dt.date | None = None,
    aliases: Mapping[str, str] | None = None,
    known_tickers: Collection[str] | None = None,
) -> ParsedHoldings:
    """Parse one holdings file of any known layout.

    ``as_of`` is the caller's date (from a file name): used when the file has no preamble,
    and checked against the preamble when it has one (a mismatch raises, the file is not what
    its name says). A line with the wrong number of fields or an unreadable number becomes a
    problem naming the file and line; the other lines still load.
    """
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    text = text.lstrip("\ufeff")
    try:
        records = list(_records(text))
    except csv.Error as exc:  # e.g. an unterminated quote swallowing the rest of the file
        raise HoldingsFormatError(f"{file}: not readable as CSV ({exc})") from None
    header_at = next(
        (i for i, (_, fields) in enumerate(records) if fields and fields[0].strip() == "Ticker"),
        None,
    )
    if header_at is None:
        raise HoldingsFormatError(f"{file}: no header line starting with 'Ticker,' found")
    preamble = {
        fields[0].strip(): fields[1] if len(fields) > 1 else ""
        for _, fields in records[:header_at]
        if fields and fields[0].strip()
    }
    header = [h.strip() for h in records[header_at][1]]
    unknown = [h for h in header if h not in _HEADER_MAP and h not in {"SEDOL", "ISIN", ""}]
    columns = [_HEADER_MAP.get(h) for h in header]
    lacking = [c for c in _REQUIRED_HEADERS if c not in columns]
    if lacking:
        raise HoldingsFormatError(
            f"{file}: header lacks {', '.join(lacking)} (got {', '.join(header)}"
            + (f"; unknown {', '.join(unknown)}" if unknown else "")
            + ")"
        )

    stated = _date(preamble.get("Fund Holdings as of", ""))
    if "Fund Holdings as of" in preamble and stated is None:
        raise HoldingsFormatError(
            f"{file}: as-of date {preamble['Fund Holdings as of']!r} is not a date we can read"
        )
    if stated and as_of and stated != as_of:
        raise HoldingsFormatError(
            f"{file}: the file says holdings as of {stated}, the caller expected {as_of}"
        )
    snapshot_date = stated or as_of
    as_of_from = "preamble" if stated else ("caller" if as_of else "unknown")
    try:
        shares_outstanding = _number(preamble.get("Shares Outstanding", ""))
    except ValueError:
        shares_outstanding = None

    rows: list[dict[str, object]] = []
    problems: list[dict[str, object]] = []
    for line_no, fields in records[header_at + 1 :]:
        if _blank(fields):
            continue
        if len(fields) == 1 and len(header) > 1:
            continue  # the legal footer: one quoted multi-line field
        raw = dict(zip(header, fields, strict=False))
        if len(fields) != len(header):
            reason = f"expected {len(header)} fields, got {len(fields)}"
            problems.append(_problem(file, line_no, fund, snapshot_date, raw, reason))
            continue
        row: dict[str, object] = {c: None for c in HOLDING_COLUMNS}
        bad = ""
        for column, value in zip(columns, fields, strict=True):
            if column is None:
                continue
            if column in _NUMERIC:
                try:
                    row[column] = _number(value)
                except ValueError:
                    bad = f"{column} {value!r} is not a number"
                    break
            else:
                row[column] = value.strip() or None
        if bad:
            problems.append(_problem(file, line_no, fund, snapshot_date, raw, bad))
            continue
        asset_class = str(row["asset_class"] or "")
        security_type = row["security_type"]
        row.update(
            fund=fund,
            as_of=snapshot_date,
            line=line_no,
            file=file,
            ticker=vendor_ticker(
                str(row["ticker_raw"] or ""), aliases=aliases, known=known_tickers
            ),
            is_equity=asset_class == "Equity" and security_type in (None, "EQUITY"),
            exchange_code=EXCHANGE_CODES.get(str(row["exchange"] or ""), row["exchange"]),
        )
        rows.append(row)
    frame = pd.DataFrame(rows, columns=HOLDING_COLUMNS)
    frame["as_of"] = pd.to_datetime(frame["as_of"]).astype("datetime64[s]")
    for column in _NUMERIC:
        frame[column] = frame[column].astype("float64")
    frame["line"] = frame["line"].astype("int64")
    frame["is_equity"] = frame["is_equity"].astype(bool)
    return ParsedHoldings(
        file,
        fund,
        snapshot_date,
        as_of_from,
        len(header),
        shares_outstanding,
        frame,
        pd.DataFrame(problems, columns=PROBLEM_COLUMNS),
    )


def _records(text: str) -> Iterable[tuple[int, list[str]]]:
    """(first physical line number, fields) of every CSV record; quoted newlines included."""
    reader = csv.reader(io.StringIO(text))
    start = 1
    for fields in reader:
        yield start, fields
        start = reader.line_num + 1


def _problem(
    file: str,
    line_no: int,
    fund: str,
    as_of: dt.date | None,
    raw: Mapping[str, str],
    reason: str,
) -> dict[str, object]:
    return {
        "file": file,
        "line_no": line_no,
        "natural_key": f"{fund}|{as_of}|{line_no}",
        "reason": f"{file} line {line_no}: {reason}",
        "raw_values": json.dumps(dict(raw)),
    }


# --- clients ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoldingsFile:
    fund: str
    name: str
    body: bytes
    as_of: dt.date | None  # known from the file name (replay); live files carry it inside


class HoldingsClient(Protocol):
    source: str

    def holdings_files(self, fund: str, up_to: dt.date) -> list[HoldingsFile]:
        """The fund's snapshot file(s) to read for a run on ``up_to``; raises on failure."""
        ...


class HoldingsLiveClient:
    """``GET`` each fund's configured holdings URL (the iShares "Detailed holdings" CSV).

    The live file always holds the latest holdings; its date is in its preamble.
    """

    source = "ishares"

    def __init__(
        self,
        urls: Mapping[str, str],
        *,
        user_agent: str = "rotation-monitor/0.1",
        timeout_s: float = 30.0,
        http: HttpClient | None = None,
    ) -> None:
        self.urls = dict(urls)
        self.http = http or HttpClient(
            user_agent=user_agent,
            connect_timeout_s=min(10.0, timeout_s),
            read_timeout_s=timeout_s,
            max_requests_per_s=1.0,
        )

    def holdings_files(self, fund: str, up_to: dt.date) -> list[HoldingsFile]:
        if fund not in self.urls:
            raise HttpError(f"no holdings URL configured for fund {fund}", url="")
        response = self.http.get(self.urls[fund])
        return [HoldingsFile(fund, f"{fund}.csv", response.content, None)]


class HoldingsReplayClient:
    """Recorded snapshots in ``<root>/holdings/<FUND>.<YYYY-MM-DD>.csv``.

    ``holdings_files`` returns every snapshot dated on or before ``up_to``, oldest first, so
    a replayed run rebuilds the history of membership (loads are idempotent).
    """

    KIND = "holdings"

    def __init__(self, root: str | Path) -> None:
        self.folder = ReplayFolder(root)
        self.folder.kind_dir(self.KIND)
        self.source = f"replay:{self.folder.root.name}"

    def holdings_files(self, fund: str, up_to: dt.date) -> list[HoldingsFile]:
        found = []
        for path in self.folder.list(self.KIND, f"{fund}.*.csv"):
            match = _FILE_NAME.match(path.name)
            if not match or match["fund"] != fund:
                continue
            day = dt.date.fromisoformat(match["date"])
            if day <= up_to:
                body = self.folder.read_bytes(self.KIND, path.name)
                found.append(HoldingsFile(fund, path.name, body, day))
        if not found:
            raise ReplayFileMissing(
                f"replay folder {self.folder.root}/holdings has no {fund}.<YYYY-MM-DD>.csv "
                f"dated on or before {up_to}"
            )
        return found


# --- fetch ---------------------------------------------------------------------------------------


@dataclass
class HoldingsBatch:
    snapshots: list[ParsedHoldings] = field(default_factory=list)
    funds_failed: dict[str, str] = field(default_factory=dict)
    funds_missing: set[str] = field(default_factory=set)  # of those, no file came at all
    messages: list[str] = field(default_factory=list)
    source: str = ""


def fetch(
    client: HoldingsClient,
    funds: Iterable[str],
    up_to: dt.date,
    *,
    aliases: Mapping[str, str] | None = None,
    known_tickers: Collection[str] | None = None,
) -> HoldingsBatch:
    """Download and parse each fund's holdings; a fund that fails is reported, others load."""
    batch = HoldingsBatch(source=client.source)
    for fund in funds:
        try:
            files = client.holdings_files(fund, up_to)
        except (HttpError, OSError) as exc:
            batch.funds_failed[fund] = str(exc)
            batch.funds_missing.add(fund)
            batch.messages.append(f"holdings {fund} skipped: {exc}")
            continue
        for item in files:
            try:
                parsed = parse_holdings(
                    item.body,
                    item.name,
                    fund=fund,
                    as_of=item.as_of,
                    aliases=aliases,
                    known_tickers=known_tickers,
                )
            except HoldingsFormatError as exc:
                batch.funds_failed[fund] = str(exc)
                batch.messages.append(f"holdings {fund} skipped: {exc}")
                continue
            batch.snapshots.append(parsed)
            if not parsed.problems.empty:
                batch.messages.append(f"{item.name}: {len(parsed.problems)} line(s) quarantined")
    return batch


# --- load ----------------------------------------------------------------------------------------


def load_snapshot(
    con: duckdb.DuckDBPyConnection,
    snapshot: ParsedHoldings,
    good: pd.DataFrame,
    *,
    source: str,
    run_id: str,
    fetched_at: dt.datetime,
) -> int:
    """Upsert one validated snapshot's lines and its summary row; return the lines written.

    Call inside ``rotation.db.transaction`` with its quarantine rows. Loading the same file
    again changes nothing; a corrected file for the same day replaces the snapshot's lines
    (lines no longer in it are removed after the upsert, never delete-then-insert, which can
    trip DuckDB's unique check inside one transaction).
    """
    lines_sql = read_sql("load/holdings_lines.sql")
    prune_sql = read_sql("load/holdings_prune.sql")
    snapshot_sql = read_sql("load/holdings_snapshots.sql")
    batch = good[HOLDING_COLUMNS].copy()
    batch["source"] = source
    con.register("holdings_batch", batch)
    try:
        con.execute(lines_sql, [fetched_at, run_id])
        con.execute(prune_sql, [snapshot.fund, snapshot.as_of])
        equity = batch[batch["is_equity"]]
        con.execute(
            snapshot_sql,
            [
                snapshot.fund,
                snapshot.as_of,
                snapshot.file,
                snapshot.layout,
                snapshot.as_of_from,
                snapshot.shares_outstanding,
                len(snapshot.rows),
                len(batch),
                len(equity),
                float(equity["weight_pct"].sum()),
                source,
                fetched_at,
                run_id,
            ],
        )
    finally:
        con.unregister("holdings_batch")
    return len(batch)
