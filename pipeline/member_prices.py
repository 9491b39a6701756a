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
import hashlib
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipeline import stages
from pipeline.stages import SourceReport
from quality.prices import PriceRules
from rotation import calendar, incidents
from rotation.db import transaction, writing
from rotation.progress import Steps
from rotation.settings import Settings
from rotation.sql import read as read_sql
from sources.prices import PriceBatch, PriceSource, PriceSourceError

if TYPE_CHECKING:
    from pipeline.clients import Clients

log = logging.getLogger(__name__)

SOURCE = "member_prices"
PREVIEW = 10  # symbols named in a one-line summary before "…"
MISSING_SESSIONS = " session(s) missing: "  # quality.completeness.summarise, one line a symbol
QUARANTINED = re.compile(r"\d+ rows quarantined: ")  # a chunk's count by reason


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


def damage_line(counts: Sequence[tuple[str, int, int]], noun: str = "members") -> str | None:
    """The open damage of the members as one line, from (kind, open, opened by this run).

    '41 members with quarantined rows, 3 held shifts (5 new); see `rotation status`': the
    same words as the one data_incident alert of the source (sql/alerts/data_quality.sql),
    so the run output, the report and the alert agree; the per-member lines stay in
    ``ops.incidents`` and ``rotation status``.
    """
    parts = []
    for kind, n, _ in counts:
        if kind == "level_shift":
            parts.append(f"{n} held shift{'' if n == 1 else 's'}")
        elif kind == "rows_quarantined":
            parts.append(f"{n} {noun} with quarantined rows")
        else:
            parts.append(f"{n} {noun} with {kind.replace('_', ' ')}")
    if not parts:
        return None
    new = sum(c for _, _, c in counts)
    return (
        f"{SOURCE}: {', '.join(parts)}"
        + (f" ({new} new)" if new else "")
        + ("; see `rotation status`")
    )


def _per_member(message: str, symbols: Sequence[str]) -> bool:
    """A line about one member (a vendor note, a seam, a held shift): told in the summary."""
    head = message.split(":", 1)[0].split(" ", 1)[0]
    return head in symbols


@dataclass
class _Tally:
    """What the member chunks of one stage did, summed into one report (a line per kind of
    news, never a line per member)."""

    report: SourceReport
    rules: PriceRules
    run_id: str
    delivered: set[str] = field(default_factory=set)
    rechecked: set[str] = field(default_factory=set)  # in a chunk validated and loaded
    missing: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    rebased: int = 0
    gaps: dict[str, int] = field(default_factory=dict)  # member -> sessions missing
    per_member: int = 0  # other one-member lines (held shifts, seams, notes), in the log

    def load(
        self, db_path: str, batch: PriceBatch, start: dt.date, end: dt.date
    ) -> SourceReport | None:
        """Validate and load one chunk's batch; None when nothing came back."""
        report = self.report
        self.missing.extend(batch.missing_symbols)
        report.fetched += len(batch.frame)
        if batch.frame.empty:  # the vendor's own words (not one per member) still reach the user
            report.messages += [n for n in _quiet(batch).notes if n not in report.messages]
            return None
        self.delivered.update(batch.frame["symbol"].unique())
        loaded = stages.validate_and_load_prices(
            db_path,
            _quiet(batch),
            rules=self.rules,
            run_id=self.run_id,
            start=start,
            end=end,
            source=SOURCE,
            resolve_incidents=False,
            log_damage=False,  # summarised once, at the end
        )
        report.loaded += loaded.loaded
        report.unchanged += loaded.unchanged
        report.quarantined += loaded.quarantined
        report.blocked |= loaded.blocked
        if not loaded.blocked:
            self.rechecked.update(batch.frame["symbol"].unique())
        for message in loaded.messages:
            if "adjustment basis moved" in message:
                self.rebased += 1
            elif message.startswith("no data for:"):
                continue
            elif MISSING_SESSIONS in message:
                symbol, rest = message.split(": ", 1)
                self.gaps[symbol] = self.gaps.get(symbol, 0) + int(rest.split(" ", 1)[0])
            elif _per_member(message, batch.requested):
                self.per_member += 1
                log.info("%s: %s", SOURCE, message)
            elif not QUARANTINED.match(message):  # one total at the end instead
                report.messages.append(message)  # a chunk's own line (blocked, not loaded)
        return loaded

    def finish(self, db_path: str, members: Sequence[Member], as_of: dt.date, chunks: int) -> None:
        """Record the members asked for, resolve what was re-checked, say it in few lines."""
        report = self.report
        with writing(db_path) as con, transaction(con):
            con.executemany(
                read_sql("load/member_symbols_record.sql"),
                [[m.symbol, as_of, m.symbol in self.delivered, self.run_id] for m in members],
            )
            # the members whose rows were validated were re-checked: damage not seen is over
            incidents.resolve_unseen(
                con,
                source=SOURCE,
                kinds=stages.PRICE_INCIDENT_KINDS,
                run_id=self.run_id,
                subjects=sorted(self.rechecked),
            )
            counts = con.execute(
                read_sql("ops/incidents_open_by_kind.sql"),
                {"source": SOURCE, "run_id": self.run_id},
            ).fetchall()
        summary = f"priced {len(self.delivered)} of {len(members)} members in {chunks} chunks"
        report.messages.insert(0, summary)
        if self.rebased:
            report.messages.append(f"adjustment basis moved for {self.rebased} members (re-based)")
        missing = sorted(set(self.missing) - self.delivered)
        if missing:
            report.messages.append(
                f"no data for {len(missing)} members: {_preview(missing)}; asked again next run"
            )
        if report.quarantined:
            report.messages.append(
                f"{report.quarantined} rows quarantined (per member in ops.quarantine)"
            )
        if self.gaps:
            report.messages.append(
                f"sessions missing for {len(self.gaps)} members, {sum(self.gaps.values())} in "
                f"all: {_preview(sorted(self.gaps))} (per member in ops.missing_sessions)"
            )
        if self.per_member:
            report.messages.append(f"{self.per_member} notes on single members, in the log")
        line = damage_line([(str(k), int(n), int(c)) for k, n, c in counts])
        if line:
            report.damage.append(line)
            report.new_incidents += sum(int(c) for _, _, c in counts)
        if self.failed:
            report.messages.append(
                f"{len(self.failed)} members not fetched (chunk failed or time up): "
                f"{_preview(sorted(set(self.failed)))}; asked again next run"
            )
        for message in report.messages:
            log.info("%s: %s", SOURCE, message)


def _member_rules(settings: Settings, members: Sequence[Member]) -> PriceRules:
    return PriceRules(
        settings.prices.max_daily_move,
        dict(settings.prices.max_daily_move_overrides),
        stock_max_daily_move=settings.breadth.max_daily_move,
        stocks=frozenset(m.symbol for m in members),
    )


def _members_or_skip(db_path: str, settings: Settings, report: SourceReport) -> list[Member]:
    """The members to price, or [] with the reason in ``report`` (skipped)."""
    if not settings.breadth.members:
        report.skipped = True
        report.messages.append("members are not priced ([breadth] members = false)")
        return []
    with writing(db_path) as con:
        members = member_symbols(con, settings.holdings.funds, settings.prices.symbols)
    if not members:
        report.skipped = True
        report.messages.append(
            "no holdings snapshot loaded yet: members are priced from the first one"
        )
    return members


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
    members = _members_or_skip(db_path, settings, report)
    if not members:
        return report
    if source is None:
        # the clients' member source: live Yahoo with the per-chunk wall-time bound, or the twin
        source = clients.get("member_prices")
        fallback = fallback or stages.fallback_price_source(settings, clients)
    tally = _Tally(report, _member_rules(settings, members), run_id)
    chunks = plan_member_chunks(
        members,
        as_of,
        lookback_sessions=settings.prices.lookback_sessions,
        history_sessions=cfg.history_sessions,
        chunk_size=cfg.chunk_size,
    )
    deadline = clock() + cfg.stage_timeout_s
    with Steps(len(chunks), "member prices", log) as steps:
        for chunk in chunks:
            if clock() > deadline:
                tally.failed.extend(chunk.symbols)
                steps.advance(f"{chunk.label}: not started, the stage's time is up")
                continue
            batch: PriceBatch | None = None
            try:
                batch = source.fetch(chunk.symbols, chunk.start, chunk.end)
                lacking = batch.missing_symbols
            except PriceSourceError as exc:
                lacking = chunk.symbols
                report.messages.append(f"chunk {chunk.label} failed: {exc}; asked again next run")
            got = 0
            if batch is not None:
                loaded = tally.load(db_path, batch, chunk.start, chunk.end)
                got += loaded.loaded if loaded else 0
            if fallback is not None and lacking:  # the second vendor, same rules, same run
                try:
                    second = fallback.fetch(lacking, chunk.start, chunk.end)
                except PriceSourceError as exc:
                    report.messages.append(f"{fallback.name} not asked again this run: {exc}")
                    fallback = None
                else:
                    loaded = tally.load(db_path, second, chunk.start, chunk.end)
                    got += loaded.loaded if loaded else 0
            if batch is None:  # a failed chunk's members the fallback did not price
                tally.failed.extend(s for s in chunk.symbols if s not in tally.delivered)
            steps.advance(f"{chunk.label}: {got} rows loaded")
    tally.finish(db_path, members, as_of, len(chunks))
    return report


def member_scope(symbols: Sequence[str], clients: Clients) -> str:
    """The ``ops.backfill_chunks`` scope of one group of members: ``member_prices:A…Z#hash``
    (the hash names the whole group: a group that changes with the holdings is asked again)."""
    ordered = sorted(symbols)
    digest = hashlib.sha256(",".join(ordered).encode()).hexdigest()[:12]
    return stages.backfill_scope(
        f"{SOURCE}:{ordered[0]}…{ordered[-1]}({len(ordered)})#{digest}", clients
    )


def backfill_member_prices(
    db_path: str,
    settings: Settings,
    clients: Clients,
    chunks: Sequence[tuple[dt.date, dt.date]],
    *,
    run_id: str,
    source: PriceSource | None = None,
) -> SourceReport:
    """History for breadth: every member over the backfill's chunks, so a new installation
    has breadth from its first day.

    The same session chunks as the configured symbols' backfill (newest first, each reaching
    into the newer one so one adjustment basis holds), times groups of ``[breadth]
    chunk_size`` members: one download per (chunk, group), validated and loaded in its own
    transaction and recorded in ``ops.backfill_chunks`` once loaded, so an interrupted
    backfill resumes with the first group not loaded. Members are those of the latest
    holdings snapshot (the backfill loads the holdings first); a member that did not trade
    yet in an old chunk simply has no rows there, which is not damage (a group with no rows
    at all is not marked loaded: an outage looks the same).
    """
    report = SourceReport(SOURCE)
    members = _members_or_skip(db_path, settings, report)
    if not members:
        return report
    source = source or clients.get("member_prices")
    tally = _Tally(report, _member_rules(settings, members), run_id)
    size = settings.breadth.chunk_size
    symbols = sorted(m.symbol for m in members)
    groups = [tuple(symbols[i : i + size]) for i in range(0, len(symbols), size)]
    scopes = {group: member_scope(group, clients) for group in groups}
    with writing(db_path) as con:
        done = {scope: stages.completed_chunks(con, scope) for scope in scopes.values()}
    skipped = 0
    with Steps(len(chunks) * len(groups), "member history", log) as steps:
        for start, end in chunks:
            for group in groups:
                label = f"{group[0]}…{group[-1]} {start} to {end}"
                if (start, end) in done[scopes[group]]:
                    skipped += 1
                    steps.advance(f"{label}: already loaded, skipped")
                    continue
                try:
                    batch = source.fetch(group, start, end)
                except PriceSourceError as exc:
                    tally.failed.extend(group)
                    report.messages.append(f"{label} failed: {exc}; left for the next backfill")
                    steps.advance(f"{label}: failed")
                    continue
                loaded = tally.load(db_path, batch, start, end)
                # nothing back for a whole group is asked again (an outage looks the same)
                if loaded is not None and not loaded.blocked:
                    with writing(db_path) as con:
                        stages.mark_chunk_done(con, run_id, scopes[group], start, end)
                steps.advance(f"{label}: {loaded.loaded if loaded else 0} rows loaded")
    if chunks:
        tally.finish(db_path, members, max(end for _, end in chunks), len(chunks) * len(groups))
    if skipped:
        report.messages.append(f"{skipped} member chunks already loaded, skipped")
    return report
