"""Every index member priced daily, so breadth can count them (docs/breadth.md).

The members are the equity lines of each configured fund's latest holdings snapshot,
de-duplicated across funds (about 3,000 tickers for IWM, IWB and IVV). They go through the
same price source, validation, quarantine and adjustment-basis safety as the configured
symbols, in chunks: one yfinance download per ``[breadth] chunk_size`` tickers, each bounded
by ``chunk_timeout_s``, each validated and loaded in its own transaction. So a run killed
half-way keeps the chunks it finished, a chunk that fails is reported and the rest loads, and
a symbol that delivers nothing is reported and asked again by the next run (it is still short
of history or behind). A member with less than ``history_sessions`` stored gets that history;
the others the trailing ``[prices] lookback_sessions``. A member that leaves keeps its rows.

Runs after the holdings are loaded (today's members) and before the build. Batches are
labelled ``member_prices`` in ops.quarantine, ops.validation_runs and ops.incidents, and the
members are listed in ops.member_symbols (the per-symbol staleness rule leaves them out).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline import stages
from pipeline.stages import SourceReport
from quality.prices import PriceRules
from rotation import calendar, incidents
from rotation.db import transaction, writing
from rotation.progress import Steps
from rotation.settings import Settings
from rotation.sql import read as read_sql
from sources.yahoo import PriceBatch, PriceSource, PriceSourceError

if TYPE_CHECKING:
    from pipeline.clients import Clients

log = logging.getLogger(__name__)

SOURCE = "member_prices"
PREVIEW = 10  # symbols named in a one-line summary before "…"


@dataclass(frozen=True)
class Member:
    """A member to price and what is stored for it."""

    symbol: str
    sessions: int
    latest: dt.date | None


@dataclass(frozen=True)
class MemberChunk:
    """One download: these symbols over these sessions."""

    symbols: tuple[str, ...]
    start: dt.date
    end: dt.date
    why: str

    @property
    def label(self) -> str:
        return f"{self.symbols[0]}…{self.symbols[-1]} ({len(self.symbols)}, {self.why})"


def member_symbols(con: Any, funds: Sequence[str], configured: Sequence[str]) -> list[Member]:
    """The members of the funds' latest snapshots, without the configured symbols."""
    rows = con.execute(
        read_sql("load/member_symbols.sql"), [list(funds), list(configured)]
    ).fetchall()
    return [Member(str(s), int(n), latest) for s, n, latest in rows]


def plan_member_chunks(
    members: Sequence[Member],
    as_of: dt.date,
    *,
    lookback_sessions: int,
    history_sessions: int,
    chunk_size: int,
) -> list[MemberChunk]:
    """Chunks of at most ``chunk_size`` symbols: members short of history first, then the rest.

    Short members get the last ``history_sessions`` sessions. The others get the trailing
    ``lookback_sessions``; those whose latest stored session is older than that window (the
    machine was off, a ticker stopped trading) form their own chunks reaching back to it,
    never before the history start. Each window overlaps what is stored, so the loader keeps
    one adjustment basis.
    """
    history = calendar.previous_sessions(as_of, history_sessions)
    window = calendar.previous_sessions(as_of, lookback_sessions)
    end = window[-1]
    short = sorted(m.symbol for m in members if m.latest is None or m.sessions < history_sessions)
    current = [m for m in members if m.symbol not in set(short)]
    up_to_date = sorted(m.symbol for m in current if m.latest and m.latest >= window[0])
    behind = [m for m in current if m.symbol not in set(up_to_date)]
    groups: list[tuple[list[str], dt.date, str]] = []
    if short:
        groups.append((short, history[0], f"history from {history[0]}"))
    if behind:  # apart, so one stale ticker does not widen every member's window
        oldest = min(m.latest for m in behind if m.latest is not None)
        start = max(calendar.previous_sessions(oldest, lookback_sessions)[0], history[0])
        groups.append((sorted(m.symbol for m in behind), start, f"catching up from {start}"))
    if up_to_date:
        groups.append((up_to_date, window[0], f"trailing {lookback_sessions} sessions"))
    return [
        MemberChunk(tuple(symbols[i : i + chunk_size]), start, end, why)
        for symbols, start, why in groups
        for i in range(0, len(symbols), chunk_size)
    ]


def _preview(symbols: Sequence[str]) -> str:
    shown = ", ".join(symbols[:PREVIEW])
    return shown + (f" … (+{len(symbols) - PREVIEW})" if len(symbols) > PREVIEW else "")


def _quiet(batch: PriceBatch) -> PriceBatch:
    """The batch without one note per missing symbol: the stage summarises them in one line."""
    missing = tuple(f"{s}: " for s in batch.missing_symbols)
    notes = tuple(n for n in batch.notes if not n.startswith(missing))
    return dataclasses.replace(batch, notes=notes)


def load_member_prices(
    db_path: str,
    settings: Settings,
    clients: Clients,
    as_of: dt.date,
    *,
    run_id: str,
    source: PriceSource | None = None,
    fallback: PriceSource | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> SourceReport:
    """Price every member of the funds' latest snapshots; one report for the whole stage.

    A member the price source delivers nothing for (or whose chunk failed) is asked of the
    ``fallback`` vendor (Stooq) in the same chunk window, and that batch goes through the same
    validation, quarantine and seam judgement, labelled with its own source. Without an
    injected ``source`` the fallback comes from the settings; a fallback that fails for good
    (a wrong key) is dropped for the rest of the run with one message.
    """
    cfg = settings.breadth
    report = SourceReport(SOURCE)
    if not cfg.members:
        report.skipped = True
        report.messages.append("members are not priced ([breadth] members = false)")
        return report
    with writing(db_path) as con:
        members = member_symbols(con, settings.holdings.funds, settings.prices.symbols)
    if not members:
        report.skipped = True
        report.messages.append(
            "no holdings snapshot loaded yet: members are priced from the first one"
        )
        return report
    if source is None:
        # the clients' member source: live Yahoo with the per-chunk wall-time bound, or the twin
        source = clients.get("member_prices")
        fallback = fallback or stages.fallback_price_source(settings, clients)
    rules = PriceRules(
        settings.prices.max_daily_move,
        dict(settings.prices.max_daily_move_overrides),
        stock_max_daily_move=cfg.max_daily_move,
        stocks=frozenset(m.symbol for m in members),
    )
    chunks = plan_member_chunks(
        members,
        as_of,
        lookback_sessions=settings.prices.lookback_sessions,
        history_sessions=cfg.history_sessions,
        chunk_size=cfg.chunk_size,
    )
    delivered: set[str] = set()
    rechecked: set[str] = set()  # delivered in a chunk that was validated and loaded
    missing: list[str] = []
    failed: list[str] = []
    rebased = 0
    deadline = clock() + cfg.stage_timeout_s
    with Steps(len(chunks), "member prices", log) as steps:
        for chunk in chunks:
            if clock() > deadline:
                failed.extend(chunk.symbols)
                steps.advance(f"{chunk.label}: not started, the stage's time is up")
                continue
            batches: list[PriceBatch] = []
            chunk_failed = False
            try:
                batches.append(source.fetch(chunk.symbols, chunk.start, chunk.end))
                lacking = batches[0].missing_symbols
            except PriceSourceError as exc:
                lacking, chunk_failed = chunk.symbols, True
                report.messages.append(f"chunk {chunk.label} failed: {exc}; asked again next run")
            if fallback is not None and lacking:
                try:
                    batches.append(fallback.fetch(lacking, chunk.start, chunk.end))
                except PriceSourceError as exc:
                    report.messages.append(f"{fallback.name} not asked again this run: {exc}")
                    fallback = None
            got = 0
            for batch in batches:
                report.fetched += len(batch.frame)
                if batch.frame.empty:
                    symbol_notes = tuple(f"{s}: " for s in batch.missing_symbols)
                    report.messages += [n for n in batch.notes if not n.startswith(symbol_notes)]
                    continue
                delivered.update(batch.frame["symbol"].unique())
                loaded = stages.validate_and_load_prices(
                    db_path,
                    _quiet(batch),
                    rules=rules,
                    run_id=run_id,
                    start=chunk.start,
                    end=chunk.end,
                    source=SOURCE,
                    resolve_incidents=False,
                )
                got += loaded.loaded
                report.loaded += loaded.loaded
                report.unchanged += loaded.unchanged
                report.quarantined += loaded.quarantined
                report.blocked |= loaded.blocked
                if not loaded.blocked:
                    rechecked.update(batch.frame["symbol"].unique())
                for message in loaded.messages:
                    if "adjustment basis moved" in message:
                        rebased += 1
                    elif not message.startswith("no data for:"):
                        report.messages.append(message)
            unpriced = [s for s in lacking if s not in delivered]
            (failed if chunk_failed else missing).extend(unpriced)
            steps.advance(f"{chunk.label}: {got} rows loaded")
    with writing(db_path) as con, transaction(con):
        con.executemany(
            read_sql("load/member_symbols_record.sql"),
            [[m.symbol, as_of, m.symbol in delivered, run_id] for m in members],
        )
        # the members whose rows were validated were re-checked: damage not seen again is over
        incidents.resolve_unseen(
            con,
            source=SOURCE,
            kinds=stages.PRICE_INCIDENT_KINDS,
            run_id=run_id,
            subjects=sorted(rechecked),
        )
    summary = f"priced {len(delivered)} of {len(members)} members in {len(chunks)} chunks"
    report.messages.insert(0, summary)
    if rebased:
        report.messages.append(f"adjustment basis moved for {rebased} members (re-based)")
    if missing:
        report.messages.append(
            f"no data for {len(missing)} members: {_preview(sorted(missing))}; asked again next run"
        )
    if failed:
        report.messages.append(
            f"{len(failed)} members not fetched (chunk failed or time up): "
            f"{_preview(sorted(failed))}; asked again next run"
        )
    for message in report.messages:
        log.info("%s: %s", SOURCE, message)
    return report
