"""The funds' own P/E from Yahoo ``quoteSummary``: a parser, a live client, a replay twin, the load.

Used only as a cross-check of the P/E built from the funds' members and their filings
(``marts.fund_valuation``): a vendor figure far from ours means one of the two is wrong (a
member without a price, a unit slip in a filing, a stale holdings snapshot, or the vendor's
own change of convention), and the daily run records it as a data-quality incident.

The field is ``topHoldings.equityHoldings.priceToEarnings`` (the fund's holdings, weighted),
not ``summaryDetail.trailingPE`` (the ETF's price over its distributions per share, 84.9 for
QQQ in the 2021 recording: not an earnings multiple). Yahoo changed that field's meaning
between the real recordings: QQQ's is 34.82 on 2021-02-05 (a multiple) and 0.02938 on
2025-02-24 (its reciprocal, an earnings yield: 1/0.02938 = 34.04). No equity fund trades
below one times earnings and none earns more than its price in a year, so a value below 1
is read as a yield and inverted; ``reported_as`` keeps which reading was applied, and the
raw value is stored as received.

Live: ``query2.finance.yahoo.com/v10/finance/quoteSummary/<FUND>?modules=topHoldings,price``,
which needs Yahoo's cookie and crumb; yfinance (already a dependency) obtains them, so the
live client asks it for the raw JSON and keeps the body's bytes. Replay:
``DIR/fund_pe/yahoo-quotesummary.<FUND>.<YYYY-MM-DD>.json``. The real recordings in
``../shared/data/fundamentals`` wrap the body as ``{request, response: {bodyJson}}`` (how
node-yahoo-finance2 records its fixtures); the parser accepts the body and that wrapper.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from rotation.sql import read as read_sql
from sources.replay import ReplayError, ReplayFolder

NEW_YORK = ZoneInfo("America/New_York")
FIELD = "topHoldings.equityHoldings.priceToEarnings"
ROW_COLUMNS = ["fund", "as_of", "reported_value", "pe", "reported_as", "file"]
_REPLAY_NAME = re.compile(
    r"yahoo-quotesummary\.(?P<fund>[A-Z0-9^.-]+)\.(?P<day>\d{4}-\d{2}-\d{2})\.json"
)


class FundPeFormatError(ValueError):
    """The body is not a quoteSummary we can read (names the file and what is missing)."""


@dataclass(frozen=True)
class FundPe:
    fund: str
    as_of: dt.date  # the session of the quote (regularMarketTime in New York)
    reported_value: float  # as received
    pe: float  # the multiple, after reading a value below 1 as its reciprocal
    reported_as: str  # multiple | reciprocal
    file: str


def normalise_pe(value: float) -> tuple[float, str]:
    """(P/E, how it was read): a value below 1 is an earnings yield (Yahoo's 2025 form)."""
    if value <= 0:
        raise ValueError(f"P/E {value} is not positive")
    return (1.0 / value, "reciprocal") if value < 1.0 else (value, "multiple")


def parse_quote_summary(data: bytes | str, file: str, *, fund: str) -> FundPe:
    """The fund's P/E and quote date from one quoteSummary body (or a recorded wrapper)."""
    try:
        payload = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FundPeFormatError(f"{file}: not JSON ({exc})") from None
    if isinstance(payload, dict) and isinstance(payload.get("response"), dict):
        payload = payload["response"].get("bodyJson")
    result = _dig(payload, "quoteSummary", "result")
    if not isinstance(result, list) or not result or not isinstance(result[0], dict):
        error = _dig(payload, "quoteSummary", "error")
        raise FundPeFormatError(f"{file}: no quoteSummary result ({error or 'empty'})")
    body = result[0]
    symbol = _dig(body, "price", "symbol") or _dig(body, "quoteType", "symbol")
    if symbol and str(symbol).upper() != fund.upper():
        raise FundPeFormatError(f"{file}: quote is for {symbol}, asked for {fund}")
    raw = _dig(body, "topHoldings", "equityHoldings", "priceToEarnings")
    if isinstance(raw, dict):  # formatted=true bodies: {"raw": 34.8, "fmt": "34.80"}
        raw = raw.get("raw")
    if not isinstance(raw, int | float) or isinstance(raw, bool):
        raise FundPeFormatError(f"{file}: {FIELD} is missing or not a number ({raw!r})")
    try:
        pe, reported_as = normalise_pe(float(raw))
    except ValueError as exc:
        raise FundPeFormatError(f"{file}: {FIELD} {exc}") from None
    stamp = _dig(body, "price", "regularMarketTime")
    if isinstance(stamp, dict):
        stamp = stamp.get("raw")
    if not isinstance(stamp, int | float):
        raise FundPeFormatError(f"{file}: price.regularMarketTime is missing ({stamp!r})")
    as_of = dt.datetime.fromtimestamp(float(stamp), dt.UTC).astimezone(NEW_YORK).date()
    return FundPe(fund.upper(), as_of, float(raw), pe, reported_as, file)


def _dig(node: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


# --- clients ------------------------------------------------------------------------------------


class FundPeClient(Protocol):
    source: str

    def quote_summaries(self, fund: str, as_of: dt.date) -> list[tuple[str, bytes]]:
        """(file name, body) of each quote to load for ``fund`` up to ``as_of``; raises on
        failure."""
        ...


class FundPeLiveClient:
    """Today's quoteSummary of each fund, through yfinance's session (cookie and crumb)."""

    source = "yahoo-quotesummary"

    def __init__(self, *, base_url: str, timeout_s: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def quote_summaries(self, fund: str, as_of: dt.date) -> list[tuple[str, bytes]]:
        from yfinance.data import YfData  # imported here: 1.3 s, and only a live run needs it

        url = f"{self.base_url}/v10/finance/quoteSummary/{fund}"
        params = {"modules": "topHoldings,price", "formatted": "false"}
        try:
            body = YfData().get_raw_json(url, params=params, timeout=self.timeout_s)
        except Exception as exc:  # yfinance raises its own and requests' errors: one line
            raise OSError(f"Yahoo quoteSummary for {fund} failed: {exc}") from None
        name = f"yahoo-quotesummary.{fund}.{dt.date.today().isoformat()}.json"
        return [(name, json.dumps(body).encode())]


class FundPeReplayClient:
    """Recorded bodies in ``<root>/fund_pe/yahoo-quotesummary.<FUND>.<YYYY-MM-DD>.json``:
    every recording of the fund dated on or before the run's session."""

    KIND = "fund_pe"

    def __init__(self, root: str | Path) -> None:
        self.folder = ReplayFolder(root)
        self.folder.kind_dir(self.KIND)
        self.source = f"replay:{self.folder.root.name}"

    def quote_summaries(self, fund: str, as_of: dt.date) -> list[tuple[str, bytes]]:
        found = []
        for path in self.folder.list(self.KIND, f"yahoo-quotesummary.{fund}.*.json"):
            match = _REPLAY_NAME.fullmatch(path.name)
            if match and dt.date.fromisoformat(match["day"]) <= as_of:
                found.append((path.name, self.folder.read_bytes(self.KIND, path.name)))
        return found


# --- fetch ---------------------------------------------------------------------------------------


@dataclass
class FundPeBatch:
    frame: pd.DataFrame  # ROW_COLUMNS
    source: str
    failed: dict[str, str] = field(default_factory=dict)  # fund -> one line why
    messages: list[str] = field(default_factory=list)


def fetch(client: FundPeClient, funds: Iterable[str], as_of: dt.date) -> FundPeBatch:
    """Each fund's quote(s); a fund that fails is reported and the others still load."""
    rows: list[FundPe] = []
    batch = FundPeBatch(pd.DataFrame(columns=ROW_COLUMNS), client.source)
    for fund in funds:
        try:
            bodies = client.quote_summaries(fund, as_of)
            parsed = [parse_quote_summary(body, name, fund=fund) for name, body in bodies]
        except (FundPeFormatError, ReplayError, OSError) as exc:
            batch.failed[fund] = str(exc)
            batch.messages.append(f"fund P/E {fund} skipped: {exc}")
            continue
        if not parsed:
            batch.messages.append(f"fund P/E {fund}: no quote recorded up to {as_of}")
        for item in parsed:
            rows.append(item)
            flipped = " (a yield: inverted)" if item.reported_as == "reciprocal" else ""
            batch.messages.append(
                f"{item.file}: {item.fund} P/E {item.pe:.2f} as of {item.as_of}{flipped}"
            )
    if rows:
        batch.frame = pd.DataFrame(
            [(r.fund, r.as_of, r.reported_value, r.pe, r.reported_as, r.file) for r in rows],
            columns=ROW_COLUMNS,
        )
    return batch


# --- load ----------------------------------------------------------------------------------------


def load_fund_pe(
    con: duckdb.DuckDBPyConnection,
    good: pd.DataFrame,
    *,
    source: str,
    run_id: str,
    fetched_at: dt.datetime,
) -> int:
    """Upsert the validated quotes by (fund, as_of): the day's last download wins."""
    batch = good[ROW_COLUMNS].copy()
    batch["source"] = source
    con.register("fund_pe_batch", batch)
    try:
        con.execute(read_sql("load/fund_pe.sql"), [fetched_at, run_id])
    finally:
        con.unregister("fund_pe_batch")
    return len(batch)
