"""The stages of a run as plain functions: what the Prefect tasks in ``flows.daily`` call.

Kept free of ``prefect`` so each stage can be tested alone and the flow module reads like the
data flow. Every stage that writes opens its own short connection (the run holds the writer
lock around all of them) and commits one batch per transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quality import completeness, damage
from quality.prices import (
    LEVEL_SHIFT,
    ROWS_QUARANTINED,
    PriceRules,
    reason_counts,
    validate_prices,
)
from quality.records import quarantine_problems, quarantine_rows, record_validation
from rotation import calendar
from rotation.db import transaction, writing
from rotation.settings import PricesSettings, Settings
from rotation.sql import read as read_sql
from sources import edgar as _edgar
from sources import nasdaq as _nasdaq
from sources import prices as _prices
from sources.price_store import SEAM_CONFLICT, load_prices, stored_context, stored_extent
from sources.prices import PriceBatch, PriceSource, PriceSourceError
from sources.prices import price_window as plan_prices

if TYPE_CHECKING:  # transforms is imported where it is used (it is not needed to fetch)
    from pipeline.clients import Clients
    from transforms import BuildReport

log = logging.getLogger(__name__)

# The fetch plans live with their sources; the old names stay for the flows and tests.
CATCH_UP_DAYS, FULL_HISTORY_BELOW = _prices.CATCH_UP_DAYS, _prices.FULL_HISTORY_BELOW
EDGAR_REREAD_DAYS, NASDAQ_BACKFILL_MONTHS = _edgar.EDGAR_REREAD_DAYS, _nasdaq.NASDAQ_BACKFILL_MONTHS
edgar_days, edgar_quarters = _edgar.daily_days, _edgar.backfill_quarters
nasdaq_months = _nasdaq.backfill_months

PRICE_INCIDENT_KINDS = (LEVEL_SHIFT, ROWS_QUARANTINED, SEAM_CONFLICT)  # checked every run
LINES_UNREADABLE = "lines_unreadable"  # lines of a price file that could not be read


@dataclass
class SourceReport:
    """What happened to one source's batch in one run (the run summary and ops.runs hold it)."""

    source: str
    fetched: int = 0
    loaded: int = 0
    unchanged: int = 0
    quarantined: int = 0
    blocked: bool = False
    skipped: bool = False
    messages: list[str] = field(default_factory=list)
    damage: list[str] = field(default_factory=list)  # incidents seen this run, one line each
    new_incidents: int = 0  # of those, first seen in this run

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def note_damage(self, new: Sequence[Any], lines: Sequence[str]) -> None:
        self.new_incidents += len(new)
        self.damage += [line for line in lines if line not in self.damage]


def fallback_price_source(settings: Settings, clients: Clients) -> PriceSource | None:
    """The second vendor for symbols Yahoo delivered nothing for: the run's ``stooq`` client
    (live, off without its key, which it says once; or its replay twin over ``DIR/stooq/``,
    None when the folder has none), or None with ``[prices] fallback = "none"``."""
    if settings.prices.fallback == "none":
        return None
    return clients.get("stooq")  # type: ignore[no-any-return]


def price_window(
    db_path: str, as_of: dt.date, prices: PricesSettings
) -> tuple[dt.date, dt.date, str]:
    """The sessions this run fetches, and why: the price sources' plan
    (``sources.prices.price_window``) on the store."""
    with writing(db_path) as con:
        return plan_prices(con, as_of, prices)


def price_rules(prices: PricesSettings) -> PriceRules:
    return PriceRules(prices.max_daily_move, dict(prices.max_daily_move_overrides))


def fetch_prices(
    source: PriceSource,
    symbols: tuple[str, ...],
    start: dt.date,
    end: dt.date,
    fallback: PriceSource | None = None,
) -> PriceBatch:
    """The source's batch; what it delivered nothing for is asked of ``fallback`` and attached
    as ``batch.fallback`` (loaded with the batch, under its own source label)."""
    batch = source.fetch(symbols, start, end)
    if fallback is not None and batch.missing_symbols:
        batch = with_fallback(batch, fallback, start, end)
    log.info(
        "fetched %d price rows for %d symbols from %s (%s to %s)",
        len(batch.frame),
        len(symbols) - len(batch.missing_symbols),
        batch.source,
        start,
        end,
    )
    for note in batch.notes:
        log.warning("%s", note)
    return batch


def with_fallback(
    batch: PriceBatch, fallback: PriceSource, start: dt.date, end: dt.date
) -> PriceBatch:
    """``batch`` with the fallback vendor's rows for its missing symbols attached.

    Symbols the fallback delivered leave ``batch.missing_symbols`` (no "no data" incident);
    the others stay missing there. A fallback that fails is one note, never the run's end.
    """
    try:
        second = fallback.fetch(batch.missing_symbols, start, end)
    except PriceSourceError as exc:
        return dataclasses.replace(batch, notes=(*batch.notes, f"{fallback.name}: {exc}"))
    got = tuple(dict.fromkeys(second.frame["symbol"]))
    per_symbol = tuple(f"{s}: " for s in second.requested)
    general = tuple(n for n in second.notes if not n.startswith(per_symbol))
    priced = tuple(f"{s}: priced from {second.source} instead" for s in got)
    if not got:
        return dataclasses.replace(batch, notes=(*batch.notes, *general))
    second = dataclasses.replace(second, requested=got, missing_symbols=(), notes=general,
                                 damaged=())  # fmt: skip
    return dataclasses.replace(
        batch,
        missing_symbols=tuple(s for s in batch.missing_symbols if s not in got),
        notes=(*batch.notes, *priced),
        fallback=second,
    )


def validate_and_load_prices(
    db_path: str,
    batch: PriceBatch,
    *,
    rules: PriceRules,
    run_id: str,
    start: dt.date,
    end: dt.date,
    source: str = "prices",
    resolve_incidents: bool = True,
    log_damage: bool = True,
) -> SourceReport:
    """Validate the batch, then write quarantine, validation record, rows and gaps together.

    Damage stays with its symbol: a file that could not be read (``batch.damaged``) and, in a
    daily run, a configured symbol that delivered nothing are incidents; the other symbols
    load. A batch whose validation or load raises on bad data is reported and recorded as an
    incident with DuckDB's or the check's own one-line cause, and the run goes on to the other
    sources with the stored prices unchanged.

    ``source`` names the batch in ops.quarantine, ops.validation_runs and ops.incidents
    (``member_prices`` for index members, so their damage and health are told apart from the
    configured symbols'); ``resolve_incidents`` false leaves resolving the price suite's
    incidents to the caller (the member stage loads many chunks and resolves once, after the
    last); ``log_damage`` false leaves the warning per incident to the caller too (the member
    stage says all of its chunks' damage in one line).
    """
    report = SourceReport(source, fetched=len(batch.frame))
    report.messages += list(batch.notes)
    if batch.missing_symbols:
        report.messages.append(f"no data for: {', '.join(batch.missing_symbols)}")
    fetched_at = dt.datetime.now(dt.UTC)
    with writing(db_path) as con:
        flow, session = damage.run_context(con, run_id)
        # a configured symbol with no rows is an incident; an index member without rows is
        # one line of the member stage's summary (thousands of incidents would be noise)
        checked = _price_damage(
            batch, source, expect_every_symbol=flow == "daily-run" and source == "prices"
        )
        try:
            with transaction(con):
                _load_price_batch(
                    con,
                    batch,
                    rules,
                    run_id,
                    start,
                    end,
                    fetched_at,
                    report,
                    checked,
                    resolve_incidents=resolve_incidents,
                )
                report.note_damage(
                    *damage.record_checked(con, checked, run_id=run_id, session=session)
                )
        except damage.CONTAINED_ERRORS as exc:
            _contain(con, report, checked, exc, run_id=run_id, session=session)
    if batch.fallback is not None:  # the second vendor's rows, judged the same way
        extra = validate_and_load_prices(
            db_path, batch.fallback, rules=rules, run_id=run_id, start=start, end=end,
            source=source, resolve_incidents=resolve_incidents,
        )  # fmt: skip
        report.fetched += extra.fetched
        report.loaded += extra.loaded
        report.unchanged += extra.unchanged
        report.quarantined += extra.quarantined
        report.blocked |= extra.blocked
        report.messages += extra.messages
        report.note_damage([None] * extra.new_incidents, extra.damage)
        return report
    for message in report.messages:
        log.info("%s: %s", source, message)
    for line in report.damage if log_damage else ():
        log.warning("damage: %s", line)
    return report


def _price_damage(batch: PriceBatch, source: str, *, expect_every_symbol: bool) -> damage.Checked:
    """Incidents of a price batch: unreadable files, and (daily) symbols with no rows."""
    checked = damage.Checked(source)
    checked.looked_at(damage.FILE_UNREADABLE, batch.requested)
    checked.looked_at(damage.LOAD_FAILED, [source])
    unreadable = dict(batch.damaged)
    for symbol, reason in unreadable.items():
        checked.saw(symbol, damage.FILE_UNREADABLE, reason)
    checked.looked_at(LINES_UNREADABLE, [s for s in batch.requested if s not in unreadable])
    lines: dict[str, list[str]] = {}
    for reject in batch.rejected:
        lines.setdefault(reject.symbol, []).append(reject.reason)
    for symbol, reasons in lines.items():
        checked.saw(
            symbol,
            LINES_UNREADABLE,
            f"{len(reasons)} line(s) could not be read and were quarantined, the file's other "
            f"lines loaded; first: {reasons[0]}",
        )
    if expect_every_symbol:  # a backfill chunk older than a fund is empty for it, rightly
        checked.looked_at(damage.NO_DATA, batch.requested)
        for symbol in batch.missing_symbols:
            if symbol in unreadable:
                continue
            note = next((n for n in batch.notes if n.startswith(f"{symbol}: ")), "")
            checked.saw(
                symbol,
                damage.NO_DATA,
                note.removeprefix(f"{symbol}: ") or f"no rows delivered by {batch.source}",
            )
    return checked


def _load_price_batch(
    con: Any,
    batch: PriceBatch,
    rules: PriceRules,
    run_id: str,
    start: dt.date,
    end: dt.date,
    fetched_at: dt.datetime,
    report: SourceReport,
    checked: damage.Checked,
    *,
    resolve_incidents: bool = True,
) -> None:
    """Validation and load of one price batch, inside the caller's transaction.

    Held level shifts, quarantined rows and seams that could not be judged join ``checked``
    as incidents. A batch that reaches every symbol's latest stored session re-checked the
    recent damage and may resolve it; an older backfill chunk did not and must not.
    """
    validation = validate_prices(
        batch.frame, rules, stored_context(con, batch.frame), fetched_at=batch.fetched_at
    )
    latest = [d for _, d in stored_extent(con, list(batch.requested)).values() if d]
    rechecked = not batch.missing_symbols and all(d <= end for d in latest)
    reasons = reason_counts(validation.quarantined)
    report.quarantined = _quarantine_lines(con, batch, run_id, report.source)
    report.quarantined += quarantine_rows(
        con,
        run_id=run_id,
        source=report.source,
        rows=validation.quarantined,
        key_columns=("symbol", "date"),
    )
    record_validation(
        con,
        run_id=run_id,
        source=report.source,
        suite="prices",
        rows_in=len(batch.frame),
        rows_passed=len(validation.good),
        rows_quarantined=report.quarantined,
        batch_ok=validation.batch_ok,
        message=validation.message,
        results={"checks": validation.result.checks, "quarantine_reasons": reasons},
    )
    for found in validation.incidents():  # also when the batch is blocked: a held shift is news
        checked.saw(found.subject, found.kind, found.detail)
    if not validation.batch_ok:
        report.blocked = True
        report.messages.append(validation.message + "; the stored prices are unchanged")
        log.error("%s", validation.message)
        return
    loaded = load_prices(
        con, validation.good, source=batch.source, run_id=run_id, fetched_at=fetched_at
    )
    present = [s for s in batch.requested if s not in batch.missing_symbols]
    gaps = completeness.missing_sessions(con, present, start, end)
    completeness.record_missing(con, run_id, gaps)
    for found in loaded.incidents:
        checked.saw(found.subject, found.kind, found.detail)
    if rechecked and resolve_incidents:
        for kind in PRICE_INCIDENT_KINDS:
            checked.looked_at_all(kind)
    report.loaded, report.unchanged = loaded.loaded, loaded.unchanged
    for rebase in loaded.rebases:
        report.messages.append(
            f"{rebase.symbol}: adjustment basis moved by {rebase.factor - 1:+.4%}; "
            f"{rebase.rows} stored rows {rebase.side} {rebase.boundary} re-based"
        )
    report.messages += loaded.warnings + [h.incident().detail for h in validation.held_shifts]
    report.messages += completeness.summarise(gaps)
    if reasons:
        report.messages.append(
            f"{report.quarantined} rows quarantined: "
            + ", ".join(f"{reason} ({n})" for reason, n in sorted(reasons.items()))
        )


def _quarantine_lines(con: Any, batch: PriceBatch, run_id: str, source: str) -> int:
    """The lines of the batch's files that could not be read, each with its file and line."""
    import json

    import pandas as pd

    if not batch.rejected:
        return 0
    problems = pd.DataFrame(
        [
            (
                f"{r.symbol}|line {r.line}",
                r.reason,
                json.dumps({"symbol": r.symbol, "line": r.line, "text": r.text}),
            )
            for r in batch.rejected
        ],
        columns=["natural_key", "reason", "raw_values"],
    )
    return quarantine_problems(con, run_id=run_id, source=source, problems=problems)


def _contain(
    con: Any,
    report: SourceReport,
    checked: damage.Checked,
    exc: BaseException,
    *,
    run_id: str,
    session: dt.date | None,
) -> None:
    """A batch that raised on bad data: nothing of it loaded (rolled back), the run goes on.

    The incident names the real cause (DuckDB's message names the value and the column) and
    is written with the other damage the fetch saw, in a transaction of its own.
    """
    cause = damage.one_line(exc)
    source = report.source
    report.blocked, report.loaded, report.unchanged, report.quarantined = True, 0, 0, 0
    report.messages.append(f"{source} not loaded: {cause}; the stored rows are unchanged")
    log.error("%s not loaded: %s", source, cause)
    checked.saw(source, damage.LOAD_FAILED, f"batch not loaded: {cause}")
    keep = {damage.LOAD_FAILED}  # resolving anything else needs a batch that got through
    checked.subjects = {k: v for k, v in checked.subjects.items() if k in keep}
    checked.whole_kinds &= keep
    with transaction(con):
        report.note_damage(*damage.record_checked(con, checked, run_id=run_id, session=session))


def build_models(
    db_path: str,
    settings: Settings,
    run_id: str | None = None,
    session: dt.date | None = None,
    *,
    full: bool = False,
) -> BuildReport:
    """Sync the configured pairs, then build and audit every model in one transaction.

    The price marts are updated from what changed since the last build (the same result as a
    full build, ``transforms.incremental``), or built in full when that cannot be proven or
    ``full`` asks for it (``rotation rebuild``). Returns the runner's BuildReport. When a
    blocking audit fails the build is rolled back (``report.kept`` is False) and the caller
    keeps the previous published copy, unless the audit pins its damage on subjects: then only
    those keep their previous marts (``report.held``) and the build is kept. Each failed audit
    is an incident of ``run_id`` either way.
    """
    from transforms import AuditRun, audit_parameters, sync_breadth_settings, sync_pairs
    from transforms import build_models as build

    run = AuditRun(run_id, session) if run_id else None
    with writing(db_path) as con:
        sync_pairs(con, settings.prices.pairs)
        sync_breadth_settings(con, settings.breadth)
        report = build(
            con,
            parameters=audit_parameters(settings.prices, settings.breadth.max_daily_move),
            run=run,
            incremental=not full,
        )
    for result in report.models:
        log.info("built %s", result)
    log.info("%s", report.plan)
    log.info("%s", report.line())
    return report


def backfill_chunks(
    start: dt.date, end: dt.date, chunk_sessions: int, overlap_sessions: int
) -> list[tuple[dt.date, dt.date]]:
    """Split ``[start, end]`` into chunks of sessions, newest first.

    Each chunk reaches ``overlap_sessions`` into the newer chunk loaded before it, so the
    loader sees common sessions and can keep one adjustment basis across chunks.
    """
    if chunk_sessions < 1:
        raise ValueError("chunk_sessions must be at least 1")
    days = calendar.sessions(start, end)
    if not days:
        raise ValueError(f"no NYSE sessions between {start} and {end}")
    chunks = []
    stop = len(days)
    while stop > 0:
        begin = max(0, stop - chunk_sessions)
        reach = min(len(days), stop + overlap_sessions) - 1
        chunks.append((days[begin], days[reach]))
        stop = begin
    return chunks


def backfill_scope(what: str, clients: Clients) -> str:
    """What a backfill chunk loaded and from where: ``prices:IWM,SPY@live``, ``edgar@replay:…``."""
    return f"{what}@{clients.where}"


def price_scope(symbols: tuple[str, ...], clients: Clients) -> str:
    return backfill_scope(f"prices:{','.join(sorted(symbols))}", clients)


def completed_chunks(con: Any, scope: str) -> set[tuple[dt.date, dt.date]]:
    rows = con.execute(read_sql("ops/backfill_chunks_done.sql"), [scope]).fetchall()
    return {(a, b) for a, b in rows}


def mark_chunk_done(
    con: Any, run_id: str, scope: str, chunk_start: dt.date, chunk_end: dt.date
) -> None:
    con.execute(read_sql("ops/backfill_chunk_record.sql"), [scope, chunk_start, chunk_end, run_id])


# ----------------------------------------------------------------------------- deal flow, macro


@dataclass
class FetchedSource:
    """A deal-flow or macro batch as fetched: rows, parser rejects, what to tell the user."""

    source: str  # edgar | nasdaq | fred
    frame: Any = None  # pandas DataFrame of normalised rows
    problems: Any = None  # parser rejects (natural_key, reason, raw_values)
    extra: Any = None  # EDGAR: the index files read
    messages: list[str] = field(default_factory=list)
    skipped: bool = False
    checked: damage.Checked | None = None  # what the fetch looked at and the damage it saw

    def __post_init__(self) -> None:
        if self.checked is None:
            self.checked = damage.Checked(self.source)


def _unavailable(source: str, message: str) -> FetchedSource:
    """A source that could not be reached: skipped for this run, and an incident."""
    fetched = FetchedSource(source, skipped=True, messages=[message])
    assert fetched.checked is not None
    fetched.checked.saw(source, damage.UNAVAILABLE, message)
    return fetched


def fetch_edgar(
    settings: Settings,
    clients: Clients,
    days: Sequence[dt.date] = (),
    quarters: Sequence[tuple[int, int]] = (),
) -> FetchedSource:
    """EDGAR master indexes: daily ones for ``days``, quarterly full indexes for ``quarters``
    (a backfill); skipped with a reason when not possible."""
    from sources import edgar
    from sources.http import HttpError, SourceSkipped
    from sources.replay import ReplayError

    if not settings.edgar.enabled:
        return FetchedSource("edgar", skipped=True, messages=["disabled in settings"])
    try:
        client = clients.get("edgar")
    except (SourceSkipped, ReplayError) as exc:  # not configured, or not in this replay folder
        return FetchedSource("edgar", skipped=True, messages=[str(exc)])
    try:
        batch = edgar.fetch(client, days=days, quarters=quarters)
    except (HttpError, OSError) as exc:  # a source that is down: the run goes on without it
        return _unavailable("edgar", f"EDGAR unavailable: {exc}")
    read = batch.index_files["status"].value_counts().to_dict() if len(batch.index_files) else {}
    messages = [f"index files: {read or 'none'}", *batch.messages]
    if batch.duplicates:
        messages.append(f"{batch.duplicates} repeated (accession, CIK) lines merged")
    fetched = FetchedSource("edgar", batch.frame, batch.problems, batch.index_files, messages)
    checked = fetched.checked
    assert checked is not None
    checked.looked_at(damage.UNAVAILABLE, ["edgar"])
    checked.looked_at(damage.INCOMPLETE_FETCH, ["edgar"])
    checked.looked_at(damage.FILE_UNREADABLE, batch.index_files["index_file"])
    for problem in batch.problems.loc[batch.problems["line_no"] == 0].itertuples():
        checked.saw(str(problem.index_file), damage.FILE_UNREADABLE, str(problem.reason))
    if not batch.complete:
        stopped = next((m for m in batch.messages if "stopped early" in m), "fetch stopped early")
        checked.saw("edgar", damage.INCOMPLETE_FETCH, stopped)
    return fetched


def fetch_nasdaq(
    settings: Settings,
    clients: Clients,
    as_of: dt.date,
    months: Sequence[str] | None = None,
) -> FetchedSource:
    """The IPO calendar of ``months`` (default: the months of the trailing window)."""
    from sources import nasdaq
    from sources.http import HttpError
    from sources.replay import ReplayError

    if not settings.nasdaq.enabled:
        return FetchedSource("nasdaq", skipped=True, messages=["disabled in settings"])
    try:
        client = clients.get("nasdaq")
    except ReplayError as exc:  # this replay folder has no nasdaq/
        return FetchedSource("nasdaq", skipped=True, messages=[str(exc)])
    try:
        wanted = months or nasdaq.months_ending(as_of, settings.nasdaq.months_back)
        batch = nasdaq.fetch(client, wanted)
    except (HttpError, OSError) as exc:
        return _unavailable("nasdaq", f"Nasdaq unavailable: {exc}")
    if not batch.available:  # one incident for the source, not one per month
        first = next(iter(batch.months_failed.values()), "no month could be read")
        fetched = _unavailable("nasdaq", f"Nasdaq IPO calendar unavailable: {first}")
        fetched.messages = batch.messages
        return fetched
    fetched = FetchedSource("nasdaq", batch.frame, batch.problems, None, batch.messages)
    checked = fetched.checked
    assert checked is not None
    checked.looked_at(damage.UNAVAILABLE, ["nasdaq"])
    checked.looked_at_all(damage.NO_DATA)  # a month that left the window is not read again
    for month, reason in batch.months_failed.items():
        checked.saw(nasdaq.calendar_name(month), damage.NO_DATA, reason)
    return fetched


def fetch_fred(settings: Settings, clients: Clients) -> FetchedSource:
    from sources import fred
    from sources.http import HttpError
    from sources.replay import ReplayError

    if not settings.fred.enabled:
        return FetchedSource("fred", skipped=True, messages=["disabled in settings"])
    try:
        client = clients.get("fred")
    except ReplayError as exc:  # this replay folder has no fred/
        return FetchedSource("fred", skipped=True, messages=[str(exc)])
    try:
        batch = fred.fetch(client, settings.fred.series)
    except (HttpError, OSError) as exc:
        return _unavailable("fred", f"FRED unavailable: {exc}")
    if not batch.series_ok:  # one incident for the source, not one per series
        first = next(iter(batch.series_failed.values()), "no series could be read")
        fetched = _unavailable("fred", f"FRED unavailable: {first}")
        fetched.messages = batch.messages
        return fetched
    fetched = FetchedSource("fred", batch.frame, batch.problems, None, batch.messages)
    checked = fetched.checked
    assert checked is not None
    checked.looked_at(damage.UNAVAILABLE, ["fred"])
    checked.looked_at(damage.NO_DATA, settings.fred.series)
    for series_id, reason in batch.series_failed.items():
        checked.saw(series_id, damage.NO_DATA, reason)
    delivered = set(batch.frame["series_id"]) if len(batch.frame) else set()
    for series_id in batch.series_ok:
        if series_id not in delivered:
            checked.saw(series_id, damage.NO_DATA, f"{series_id}.csv has a header and no rows")
    return fetched


_FILE_COLUMN = {"edgar": "index_file", "nasdaq": "file", "fred": "file"}


def validate_and_load_source(db_path: str, fetched: FetchedSource, *, run_id: str) -> SourceReport:
    """Validate a deal-flow or macro batch with its GX suite; quarantine and load together.

    The source's damage is recorded with the batch: files that could not be read, files with
    quarantined rows, months or series that delivered nothing, and EDGAR daily indexes cut
    short (recorded as status ``short``, so the day counts as not read and the next run reads
    it again). A batch that raises on bad data is rolled back and reported with the real
    cause; the run goes on with the other sources.
    """
    report = SourceReport(fetched.source, messages=list(fetched.messages))
    checked = fetched.checked or damage.Checked(fetched.source)
    if fetched.skipped or fetched.frame is None:
        report.skipped = True
        for message in report.messages:
            log.warning("%s skipped: %s", fetched.source, message)
        if checked.seen:  # a source that could not be reached; it checked nothing else
            with writing(db_path) as con, transaction(con):
                _, session = damage.run_context(con, run_id)
                report.note_damage(*damage.record_checked(
                    con, damage.Checked(checked.source, seen=checked.seen),
                    run_id=run_id, session=session,
                ))  # fmt: skip
        return report
    report.fetched = len(fetched.frame)
    with writing(db_path) as con:
        _, session = damage.run_context(con, run_id)
        try:
            with transaction(con):
                _load_source_batch(con, fetched, checked, run_id, report)
                report.note_damage(
                    *damage.record_checked(con, checked, run_id=run_id, session=session)
                )
        except damage.CONTAINED_ERRORS as exc:
            _contain(con, report, checked, exc, run_id=run_id, session=session)
    if report.quarantined:
        report.messages.append(f"{report.quarantined} rows quarantined")
    for message in report.messages:
        log.info("%s: %s", fetched.source, message)
    for line in report.damage:
        log.warning("damage: %s", line)
    return report


def _load_source_batch(
    con: Any, fetched: FetchedSource, checked: damage.Checked, run_id: str, report: SourceReport
) -> None:
    """Validation, damage checks and load of one deal-flow or macro batch, in one transaction."""
    from quality import sources as suites
    from quality.records import record_verdict
    from sources import edgar, fred, nasdaq

    suite, key = {
        "edgar": (suites.EDGAR, ("accession", "cik")),
        "nasdaq": (suites.NASDAQ, ("deal_id",)),
        "fred": (suites.FRED, ("series_id", "date")),
    }[fetched.source]
    validation = suites.validate_source(suite, fetched.frame)
    fetched_at = dt.datetime.now(dt.UTC)
    file_column = _FILE_COLUMN[fetched.source]
    files = set(fetched.frame[file_column].astype(str)) if file_column in fetched.frame else set()
    if fetched.problems is not None and file_column in fetched.problems:
        files |= set(fetched.problems[file_column].astype(str))
    problems = fetched.problems
    if problems is not None and "line_no" in problems:  # line 0: a whole file, reported above
        problems = problems.loc[problems["line_no"] != 0]
    damage.quarantined_files(
        checked,
        [(problems, file_column, "reason"), (validation.quarantined, file_column, "reason")],
        files,
    )
    checked.looked_at(damage.LOAD_FAILED, [fetched.source])
    report.quarantined = record_verdict(
        con, run_id=run_id, source=fetched.source, suite=suite.name, verdict=validation,
        rows_in=len(fetched.frame), key_columns=key, problems=fetched.problems,
    )  # fmt: skip
    if not validation.batch_ok:
        report.blocked = True
        report.messages.append(validation.message + "; the stored rows are unchanged")
    elif fetched.source == "edgar":
        index_files = _flag_short_indexes(con, fetched.extra, checked)
        report.loaded = edgar.load_edgar(
            con, validation.good, run_id, fetched_at, index_files=index_files
        )
    elif fetched.source == "nasdaq":
        report.loaded = nasdaq.load_nasdaq(con, validation.good, run_id, fetched_at)
    else:
        report.loaded = fred.load_fred(con, validation.good, run_id, fetched_at)
    report.unchanged = max(0, len(validation.good) - report.loaded)


def _flag_short_indexes(con: Any, index_files: Any, checked: damage.Checked) -> Any:
    """EDGAR daily indexes with implausibly few rows become status ``short`` and incidents."""
    from sources import edgar

    if index_files is None or index_files.empty:
        return index_files
    daily = index_files.loc[index_files["period_start"] == index_files["period_end"]]
    checked.looked_at(damage.SHORT_INDEX, daily.loc[daily["status"] == "loaded", "index_file"])
    short = edgar.short_index_files(con, index_files)
    if short.empty:
        return index_files
    flagged = index_files.copy()
    flagged.loc[flagged["index_file"].isin(short["index_file"]), "status"] = "short"
    for row in short.itertuples():
        checked.saw(
            str(row.index_file),
            damage.SHORT_INDEX,
            f"{row.index_file} has {int(row.rows):,} rows, under "
            f"{edgar.SHORT_INDEX_FRACTION:.0%} of the median {float(row.median_rows):,.0f} of "
            + (
                f"the last {int(row.files)} files of its weekday"
                if row.basis == "weekday"
                else f"the nearest {int(row.files)} daily files (too few of its weekday yet)"
            )
            + ": taken for a cut download, its day counts as not read and the next run reads it "
            "again",
        )
    return flagged


def edgar_days_to_reread(db_path: str, as_of: dt.date) -> list[dt.date]:
    """Damaged daily indexes the daily run reads again (``sources.edgar.days_to_reread``)."""
    from sources.edgar import days_to_reread

    with writing(db_path) as con:
        return days_to_reread(con, as_of)


# ----------------------------------------------------------------------------- alerts


def evaluate_and_deliver_alerts(
    db_path: str,
    settings: Settings,
    as_of: dt.date,
    run_id: str,
    *,
    deliver: bool = True,
    run_url: str = "",
) -> dict[str, Any]:
    """Run the rules for ``as_of`` into the outbox, then deliver everything pending.

    A run that gets this far also resolves an earlier failure of its flow (pipeline health).
    ``run_url`` is the orchestrator's page of this run (the flows pass Prefect's), or empty.
    """
    import alerts

    rules = alerts.load_rules(settings.rules, settings.alerts)
    with writing(db_path) as con:
        events = alerts.evaluate(con, rules, as_of, run_id, deliverable=deliver)
        recovered = alerts.record_pipeline_recovery(
            con, run_id, channels=pipeline_channels(settings)
        )
        events += [recovered] if recovered else []
        report = None
        # A backfill records its history quietly, but a recovered pipeline is news now.
        if deliver or recovered:
            channels = alerts.build_channels(settings.alerts, settings.secrets)
            _embed_headline_chart(channels, con)
            context = alert_context(settings, as_of, run_url)
            report = alerts.deliver(con, channels, run_id, context=context)
            refreshed = alerts.refresh_alertmanager(con, channels, as_of, run_id, context=context)
            if refreshed:
                log.info("alerts: %s", refreshed)
    outcome = {"new_events": len(events), "delivery": str(report) if report else "not delivered"}
    log.info("alerts: %s", outcome)
    return outcome


def pipeline_channels(settings: Settings) -> tuple[str, ...]:
    """Where pipeline-health alerts go: the configured channels through the routes."""
    import alerts

    configured = tuple(settings.alerts.channels) or ("console",)
    routed = alerts.routed_channels(settings.alerts, "critical", "pipeline_health", configured)
    if not routed:  # refused when rules load; a failure hook must not go quiet over it
        log.error("alerts: the routes leave failed-run alerts no channel; sending to all")
        return configured
    return routed


def alert_context(settings: Settings, as_of: dt.date | None, run_url: str = "") -> Any:
    """The links every alert message of this run carries: the run's page in the orchestrator
    (given by the flows, which alone know Prefect) and the session's report (a URL under
    ``[alerts] report_base_url``, else its path)."""
    import alerts

    report = ""
    if as_of is not None:
        name = f"report-{as_of.isoformat()}.html"
        base = settings.alerts.report_base_url.rstrip("/")
        report = f"{base}/{name}" if base else str(report_dir(settings) / name)
    return alerts.DigestContext(run_url=run_url, report=report)


def _embed_headline_chart(channels: Sequence[Any], con: Any) -> None:
    """Give the e-mail channel the report's headline chart (alerts/ does not import
    reporting/: the composition root connects them)."""
    import alerts
    from reporting import headline_chart_png

    def chart(as_of: dt.date) -> bytes | None:
        try:
            return headline_chart_png(con, as_of)
        except Exception as exc:  # a chart problem must not hold back the alert itself
            log.error("headline chart for the e-mail could not be drawn: %s", exc)
            return None

    for channel in channels:
        if isinstance(channel, alerts.EmailChannel):
            channel.chart = chart


def record_failure_alert(
    db_path: str, settings: Settings, run_id: str, flow: str, message: str, run_url: str = ""
) -> None:
    """A failed run is itself an alert (pipeline health); deliver it right away."""
    import alerts

    with writing(db_path) as con:
        alerts.record_pipeline_failure(
            con, run_id, flow, message, channels=pipeline_channels(settings)
        )
        channels = alerts.build_channels(settings.alerts, settings.secrets)
        alerts.deliver(con, channels, run_id, context=alert_context(settings, None, run_url))


# ----------------------------------------------------------------------------- report


def report_and_summary(settings: Settings, summary: dict[str, Any], as_of: dt.date) -> str:
    """Write the session's report next to the database; return the run's markdown summary.

    Reads the published copy, so it runs after the writer lock is released. A report that
    cannot be drawn must not fail a run whose data is committed: the summary says so instead.
    """
    from reporting import run_summary_markdown, write_report
    from rotation.db import reading

    with reading(settings.published_path) as con:
        page = None
        try:
            page = write_report(con, as_of, report_dir(settings))
        except Exception as exc:  # the data is loaded; a chart bug is reported, not fatal
            log.error("report for %s could not be written: %s", as_of, exc)
        return run_summary_markdown(summary, con, report_path=page)


def report_dir(settings: Settings) -> Path:
    """Reports live beside the database: ``data/reports`` for ``data/rotation.duckdb``."""
    return Path(settings.storage.path).parent / "reports"
