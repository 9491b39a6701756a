"""SEC XBRL company facts: record shapes, pure parsers, a live client, a replay twin, the load.

Earnings come from the companies' own filings (10-Q, 10-K) as tagged in XBRL, not from a data
vendor: free, primary, and dated. Every fact carries the date of the filing that reported it
(``filed``), which is what makes the data point-in-time: a fact is usable from its filing date,
never before, and a restated value (the same period in a later filing) replaces the old one
only from its own filing date. The raw table therefore keeps every (fact, filing) pair.

Request pattern (SEC fair access: a declared User-Agent, under 10 requests/s): one
``companyfacts/CIK##########.json`` per company holds its whole history with every filing
date. The alternative, ``frames/us-gaap/<Concept>/USD/CY2025Q1.json``, covers all companies
in one request per concept and period but keeps only the latest value per company and period
(restatements overwrite history, so no point-in-time) and aligns fiscal periods to calendar
quarters. So companyfacts it is, refreshed only for companies that filed a periodic report
since their last fetch (from ``raw.edgar_filings``) plus a bounded sweep: a few dozen requests
on a normal day, a few hundred in earnings season, ~3,000 once for the first load (10 minutes
at 5/s, spread over runs by ``[xbrl] max_companies_per_run``).

Concepts read, each mapped to a metric with a priority (the first a company reports wins):

- ``net_income``: NetIncomeLoss, else NetIncomeLossAvailableToCommonStockholdersBasic
- ``eps``: EarningsPerShareDiluted, else EarningsPerShareBasicAndDiluted, else
  EarningsPerShareBasic (basic is the fallback the issue asks for)
- ``revenue``: Revenues, RevenueFromContractWithCustomerExcludingAssessedTax,
  RevenueFromContractWithCustomerIncludingAssessedTax, SalesRevenueNet, SalesRevenueGoodsNet,
  RevenuesNetOfInterestExpense (companies moved between these tags over the years)
- ``shares_outstanding``: dei EntityCommonStockSharesOutstanding (an instant)
- IFRS filers' ifrs-full profit, EPS and revenue: loaded so the mart can say why such a company
  has no figure, never used for one (docs/fundamentals.md, "Odd filers")

Each concept is read in its own unit and in any other currency (``TWD``, ``EUR/shares``: loaded
under that unit, withheld by the mart); a unit of another kind is a problem row.
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
from sources.http import (
    HttpClient,
    HttpError,
    SourceSkipped,
    Throttled,
    check_sec_manners,
    sec_client,
)
from sources.replay import ReplayFileMissing, ReplayFolder

# (taxonomy, concept, unit) -> (metric, priority): lower priority wins for a period.
CONCEPTS: dict[tuple[str, str, str], tuple[str, int]] = {
    ("us-gaap", "NetIncomeLoss", "USD"): ("net_income", 1),
    ("us-gaap", "NetIncomeLossAvailableToCommonStockholdersBasic", "USD"): ("net_income", 2),
    ("us-gaap", "EarningsPerShareDiluted", "USD/shares"): ("eps", 1),
    ("us-gaap", "EarningsPerShareBasicAndDiluted", "USD/shares"): ("eps", 2),
    ("us-gaap", "EarningsPerShareBasic", "USD/shares"): ("eps", 3),
    ("us-gaap", "Revenues", "USD"): ("revenue", 1),
    ("us-gaap", "RevenueFromContractWithCustomerExcludingAssessedTax", "USD"): ("revenue", 2),
    ("us-gaap", "RevenueFromContractWithCustomerIncludingAssessedTax", "USD"): ("revenue", 3),
    ("us-gaap", "SalesRevenueNet", "USD"): ("revenue", 4),
    ("us-gaap", "SalesRevenueGoodsNet", "USD"): ("revenue", 5),
    ("us-gaap", "RevenuesNetOfInterestExpense", "USD"): ("revenue", 6),
    ("dei", "EntityCommonStockSharesOutstanding", "shares"): ("shares_outstanding", 1),
    # IFRS filers (20-F: TSMC files ifrs-full only). Loaded so the mart can say why such a
    # company has no figure; never used for one (docs/fundamentals.md: per ordinary share,
    # not per ADR, and the USD amounts are convenience translations of the home currency).
    ("ifrs-full", "ProfitLossAttributableToOwnersOfParent", "USD"): ("net_income", 11),
    ("ifrs-full", "DilutedEarningsLossPerShare", "USD/shares"): ("eps", 11),
    ("ifrs-full", "BasicEarningsLossPerShare", "USD/shares"): ("eps", 12),
    ("ifrs-full", "Revenue", "USD"): ("revenue", 11),
}
# A currency amount may come in another currency (TWD, EUR): such facts load under their own
# unit (the mart withholds them: a TWD net income must not meet a USD price). Any other unit
# (shares for an amount, pure for EPS) is a unit slip: a problem row, the fact does not load.
_OTHER_CURRENCY = {
    "USD": re.compile(r"[A-Z]{3}"),
    "USD/shares": re.compile(r"[A-Z]{3}/shares"),
}
FACT_COLUMNS = [
    "cik", "metric", "priority", "taxonomy", "concept", "unit", "period_start", "period_end",
    "is_instant", "value", "accession", "fiscal_year", "fiscal_period", "form", "filed",
    "frame", "file",
]  # fmt: skip
TICKER_COLUMNS = ["ticker", "cik", "title"]
PROBLEM_COLUMNS = ["file", "json_path", "natural_key", "reason", "raw_values"]
_FACT_KEY = ["cik", "taxonomy", "concept", "unit", "period_start", "period_end", "accession"]


class XbrlFormatError(ValueError):
    """The body is not the SEC JSON we know (not JSON, no ``facts`` / no ticker table)."""


class CompanyFactsMissing(LookupError):
    """The SEC has no XBRL data for this company (HTTP 404: e.g. a fund, a foreign filer)."""


@dataclass(frozen=True)
class ParsedFacts:
    file: str
    cik: int
    entity_name: str
    rows: pd.DataFrame  # FACT_COLUMNS
    problems: pd.DataFrame  # PROBLEM_COLUMNS
    ignored_duplicates: int  # identical facts repeated inside the file, collapsed


def _json(data: bytes | str, file: str) -> Any:
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise XbrlFormatError(f"{file}: not JSON ({exc})") from None


def parse_company_tickers(data: bytes | str, file: str) -> pd.DataFrame:
    """SEC ``company_tickers.json`` (``{"0": {"cik_str", "ticker", "title"}, …}``) → rows.

    Tickers are upper-cased and keep the SEC's class dash (``BRK-B``), the same form Yahoo
    uses; a ticker listed twice keeps its first CIK (the SEC orders by market value).
    """
    payload = _json(data, file)
    if not isinstance(payload, dict) or not payload:
        raise XbrlFormatError(f"{file}: expected an object of ticker entries")
    rows = []
    for key, item in payload.items():
        try:
            rows.append((str(item["ticker"]).strip().upper(), int(item["cik_str"]), item["title"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise XbrlFormatError(f"{file}: entry {key!r} lacks ticker/cik_str ({exc})") from None
    frame = pd.DataFrame(rows, columns=TICKER_COLUMNS)
    return frame.drop_duplicates("ticker", keep="first").reset_index(drop=True)


def parse_companyfacts(data: bytes | str, file: str) -> ParsedFacts:
    """The facts of one company for the concepts in :data:`CONCEPTS`.

    A fact that repeats identically (the same value in the same filing listed twice) is
    collapsed; the same key with two different values in one filing is a problem row (which
    value the company meant is not ours to guess), and so is a fact missing its dates, value
    or filing date.
    """
    payload = _json(data, file)
    if not isinstance(payload, dict) or not isinstance(payload.get("facts"), dict):
        raise XbrlFormatError(f"{file}: no 'facts' object in the companyfacts JSON")
    try:
        cik = int(payload["cik"])
    except (KeyError, TypeError, ValueError):
        raise XbrlFormatError(f"{file}: 'cik' is missing or not a number") from None
    name = str(payload.get("entityName", ""))
    records: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    for (taxonomy, concept, unit), (metric, priority), facts in _concept_units(payload["facts"]):
        if not isinstance(facts, list):
            path = f"facts.{taxonomy}.{concept}.units.{unit}"
            if isinstance(facts, _UnexpectedUnit):
                reason = f"{concept} filed in unit {unit!r}: {facts.expected}"
                problems.append(_problem(file, path, cik, concept, facts.count, reason))
                continue
            problems.append(_problem(file, path, cik, concept, facts, "expected a list of facts"))
            continue
        for i, fact in enumerate(facts):
            path = f"facts.{taxonomy}.{concept}.units.{unit}[{i}]"
            try:
                end = dt.date.fromisoformat(fact["end"])
                start = dt.date.fromisoformat(fact["start"]) if fact.get("start") else end
                filed = dt.date.fromisoformat(fact["filed"])
                value = float(fact["val"])
                accession = str(fact["accn"])
            except (KeyError, TypeError, ValueError) as exc:
                problems.append(
                    _problem(file, path, cik, concept, fact, f"unreadable fact ({exc})")
                )
                continue
            if not math.isfinite(value) or start > end:
                reason = "value is not finite" if not math.isfinite(value) else "start after end"
                problems.append(_problem(file, path, cik, concept, fact, reason))
                continue
            records.append(
                {
                    "cik": cik,
                    "metric": metric,
                    "priority": priority,
                    "taxonomy": taxonomy,
                    "concept": concept,
                    "unit": unit,
                    "period_start": start,
                    "period_end": end,
                    "is_instant": not fact.get("start"),
                    "value": value,
                    "accession": accession,
                    "fiscal_year": fact.get("fy"),
                    "fiscal_period": fact.get("fp"),
                    "form": fact.get("form"),
                    "filed": filed,
                    "frame": fact.get("frame"),
                    "file": file,
                    "_path": path,
                }
            )
    frame = pd.DataFrame(records, columns=[*FACT_COLUMNS, "_path"])
    before = len(frame)
    frame = frame.drop_duplicates([*_FACT_KEY, "value"], keep="first")
    collapsed = before - len(frame)
    conflicting = frame.duplicated(_FACT_KEY, keep=False)
    for _, row in frame[conflicting].iterrows():
        raw = {k: str(row[k]) for k in ("period_start", "period_end", "value", "accession")}
        problems.append(
            _problem(
                file,
                str(row["_path"]),
                cik,
                str(row["concept"]),
                raw,
                f"{row['concept']} {row['period_start']}..{row['period_end']} has two different "
                f"values in filing {row['accession']}",
            )
        )
    frame = frame[~conflicting].drop(columns="_path").reset_index(drop=True)
    for column in ("period_start", "period_end", "filed"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[s]")
    frame["value"] = frame["value"].astype("float64")
    frame["fiscal_year"] = pd.to_numeric(frame["fiscal_year"], errors="coerce").astype("Int64")
    frame["is_instant"] = frame["is_instant"].astype(bool)
    return ParsedFacts(
        file, cik, name, frame, pd.DataFrame(problems, columns=PROBLEM_COLUMNS), collapsed
    )


@dataclass(frozen=True)
class _UnexpectedUnit:
    expected: str
    count: str


def _concept_units(
    facts: Any,
) -> Iterable[tuple[tuple[str, str, str], tuple[str, int], Any]]:
    """Each configured concept's facts per unit: its own unit, then other currencies of it;
    a unit of another kind comes back as :class:`_UnexpectedUnit` (one problem per unit)."""
    for (taxonomy, concept, unit), mapped in CONCEPTS.items():
        yield (taxonomy, concept, unit), mapped, _dig(facts, taxonomy, concept, "units", unit)
        units = _dig(facts, taxonomy, concept, "units")
        if not isinstance(units, dict):
            continue
        other = _OTHER_CURRENCY.get(unit)
        for name in sorted(units):
            if name == unit:
                continue
            if other is not None and other.fullmatch(name):
                yield (taxonomy, concept, name), mapped, units[name]
            else:
                size = len(units[name]) if isinstance(units[name], list) else 0
                expected = f"expected {unit}" + (" or another currency" if other else "")
                yield (taxonomy, concept, name), mapped, _UnexpectedUnit(expected, f"{size} facts")


def _dig(node: Any, *keys: str) -> Any:
    """``node[k1][k2]…``, or ``[]`` when a level is absent or not an object (no such concept)."""
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return []
        node = node[key]
    return node


def _problem(
    file: str, path: str, cik: int, concept: str, raw: Any, reason: str
) -> dict[str, object]:
    return {
        "file": file,
        "json_path": path,
        "natural_key": f"{cik}|{concept}",
        "reason": f"{file} {path}: {reason}",
        "raw_values": json.dumps(raw, default=str),
    }


def facts_name(cik: int) -> str:
    """``companyfacts.CIK0001640147.json``: the replay name (the live path ends the same)."""
    return f"companyfacts.CIK{cik:010d}.json"


# --- clients ------------------------------------------------------------------------------------


class XbrlClient(Protocol):
    source: str

    def company_tickers(self) -> tuple[str, bytes]: ...

    def companyfacts(self, cik: int) -> tuple[str, bytes]:
        """(file name, body); raises CompanyFactsMissing when the SEC has none."""
        ...


class XbrlLiveClient:
    """``data.sec.gov/api/xbrl/companyfacts/CIK##########.json`` and the ticker table.

    Shares the SEC's manners with EDGAR (``sources/http.py``): declared User-Agent with a
    contact address, a rate under 10/s, a 403 throttle page stops the fetch (no retry).
    """

    source = "sec-xbrl"

    def __init__(
        self,
        *,
        user_agent: str,
        base_url: str = "https://data.sec.gov",
        tickers_url: str = "https://www.sec.gov/files/company_tickers.json",
        max_requests_per_s: float = 5.0,
        timeout_s: float = 30.0,
        http: HttpClient | None = None,
    ) -> None:
        if not user_agent.strip():
            raise SourceSkipped(
                "XBRL skipped: no SEC User-Agent configured; set [edgar] user_agent "
                '(or ROTATION_EDGAR_USER_AGENT) to e.g. "Acme Research ops@acme.example"'
            )
        check_sec_manners(user_agent, service="SEC XBRL", max_requests_per_s=max_requests_per_s)
        self.base_url = base_url.rstrip("/")
        self.tickers_url = tickers_url
        self.http = http or sec_client(
            user_agent,
            service="SEC XBRL",
            max_requests_per_s=max_requests_per_s,
            timeout_s=timeout_s,
        )

    def company_tickers(self) -> tuple[str, bytes]:
        return "company_tickers.json", self.http.get(self.tickers_url).content

    def companyfacts(self, cik: int) -> tuple[str, bytes]:
        url = f"{self.base_url}/api/xbrl/companyfacts/CIK{cik:010d}.json"
        response = self.http.get(url, ok_statuses=(200, 404))
        if response.status == 404:
            raise CompanyFactsMissing(f"no XBRL company facts for CIK {cik} (HTTP 404 {url})")
        return facts_name(cik), response.content


class XbrlReplayClient:
    """Recorded bodies in ``<root>/xbrl/``: ``company_tickers.json`` and
    ``companyfacts.CIK##########.json``; a company without a file has no XBRL data."""

    KIND = "xbrl"

    def __init__(self, root: str | Path) -> None:
        self.folder = ReplayFolder(root)
        self.folder.kind_dir(self.KIND)
        self.source = f"replay:{self.folder.root.name}"

    def company_tickers(self) -> tuple[str, bytes]:
        return "company_tickers.json", self.folder.read_bytes(self.KIND, "company_tickers.json")

    def companyfacts(self, cik: int) -> tuple[str, bytes]:
        name = facts_name(cik)
        try:
            return name, self.folder.read_bytes(self.KIND, name)
        except ReplayFileMissing as exc:
            raise CompanyFactsMissing(f"no XBRL company facts for CIK {cik} ({exc})") from None


class SecTickersReplayClient:
    """The recorded SEC ticker table: ``company_tickers.json`` under ``<root>/xbrl/`` or, as
    it sits in ../shared/data, beside the EDGAR recordings under ``<root>/edgar/``."""

    NAME = "company_tickers.json"

    def __init__(self, root: str | Path) -> None:
        self.folder = ReplayFolder(root)
        self.source = f"replay:{self.folder.root.name}"

    def company_tickers(self) -> tuple[str, bytes]:
        kind = next(
            (k for k in ("xbrl", "edgar") if (self.folder.root / k / self.NAME).is_file()), "xbrl"
        )
        return self.NAME, self.folder.read_bytes(kind, self.NAME)


# --- fetch ---------------------------------------------------------------------------------------


@dataclass
class XbrlBatch:
    frame: pd.DataFrame  # FACT_COLUMNS
    problems: pd.DataFrame  # PROBLEM_COLUMNS
    fetches: list[tuple[int, str, str, int, str]] = field(default_factory=list)
    # (cik, status loaded|no_xbrl|failed, entity name, facts, message)
    not_fetched: list[int] = field(default_factory=list)  # left for a later run (throttled)
    messages: list[str] = field(default_factory=list)
    source: str = ""


def fetch_facts(client: XbrlClient, ciks: Iterable[int]) -> XbrlBatch:
    """Fetch and parse each company's facts; a throttle stops the loop, the rest waits.

    A company without XBRL data (404) is recorded as ``no_xbrl`` so it is not asked again
    every day; a bad body is ``failed`` with its reason; neither stops the others.
    """
    frames, problems = [], []
    batch = XbrlBatch(
        pd.DataFrame(columns=FACT_COLUMNS),
        pd.DataFrame(columns=PROBLEM_COLUMNS),
        source=client.source,
    )
    queue = list(dict.fromkeys(ciks))
    for position, cik in enumerate(queue):
        try:
            name, body = client.companyfacts(cik)
            parsed = parse_companyfacts(body, name)
        except CompanyFactsMissing as exc:
            batch.fetches.append((cik, "no_xbrl", "", 0, str(exc)))
            continue
        except Throttled as exc:
            batch.not_fetched = queue[position:]
            batch.messages.append(
                f"XBRL stopped after {position} of {len(queue)} companies: {exc}; "
                f"{len(batch.not_fetched)} left for the next run"
            )
            break
        except (HttpError, XbrlFormatError, OSError) as exc:
            batch.fetches.append((cik, "failed", "", 0, str(exc)))
            batch.messages.append(f"XBRL CIK {cik} skipped: {exc}")
            continue
        if parsed.cik != cik:
            reason = f"{name}: body is for CIK {parsed.cik}, asked for {cik}"
            batch.fetches.append((cik, "failed", parsed.entity_name, 0, reason))
            batch.messages.append(f"XBRL CIK {cik} skipped: {reason}")
            continue
        batch.fetches.append((cik, "loaded", parsed.entity_name, len(parsed.rows), ""))
        frames.append(parsed.rows)
        if not parsed.problems.empty:
            problems.append(parsed.problems)
            batch.messages.append(f"{name}: {len(parsed.problems)} fact(s) quarantined")
        if parsed.ignored_duplicates:
            batch.messages.append(f"{name}: {parsed.ignored_duplicates} repeated fact(s) merged")
    if frames:
        batch.frame = pd.concat(frames, ignore_index=True)
    if problems:
        batch.problems = pd.concat(problems, ignore_index=True)
    return batch


# --- load ----------------------------------------------------------------------------------------


def load_company_tickers(
    con: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    *,
    source: str,
    run_id: str,
    fetched_at: dt.datetime,
) -> int:
    """Upsert the ticker → CIK table (a ticker that moved to another company follows it)."""
    batch = frame[TICKER_COLUMNS].copy()
    batch["source"] = source
    con.register("ticker_batch", batch)
    try:
        con.execute(read_sql("load/xbrl_company_tickers.sql"), [fetched_at, run_id])
    finally:
        con.unregister("ticker_batch")
    return len(batch)


def load_facts(
    con: duckdb.DuckDBPyConnection,
    batch: XbrlBatch,
    good: pd.DataFrame,
    *,
    run_id: str,
    fetched_at: dt.datetime,
) -> int:
    """Upsert validated facts and record every company asked for; return facts written.

    Call inside ``rotation.db.transaction`` with the batch's quarantine rows. Facts are never
    deleted: a filing's facts do not change, and history is what point-in-time needs.
    """
    facts = good[FACT_COLUMNS].copy()
    facts["source"] = batch.source
    fetches = pd.DataFrame(
        batch.fetches, columns=["cik", "status", "entity_name", "facts", "message"]
    )
    con.register("facts_batch", facts)
    con.register("fetch_batch", fetches)
    try:
        con.execute(read_sql("load/xbrl_facts.sql"), [fetched_at, run_id])
        con.execute(read_sql("load/xbrl_fetches.sql"), [fetched_at, run_id])
    finally:
        con.unregister("facts_batch")
        con.unregister("fetch_batch")
    return len(facts)


def refresh_queue(
    con: duckdb.DuckDBPyConnection,
    *,
    funds: Iterable[str],
    sweep: int,
    limit: int,
    today: dt.date | None = None,
) -> list[int]:
    """The companies to fetch this run, most urgent first (``sql/load/xbrl_refresh_queue.sql``):
    members that filed a periodic report since their last fetch, members never fetched (by
    weight), then the ``sweep`` longest unrefreshed; at most ``limit`` in all. A company in
    back-off (its last fetch failed or was blocked) waits until its retry day ``today``."""
    sql = read_sql("load/xbrl_refresh_queue.sql")
    rows = con.execute(sql, [list(funds), sweep, limit, today]).fetchall()
    return [int(r[0]) for r in rows]
