"""Membership history: each fund's month-end holdings snapshot back to a start date.

Without it the valuation history judges today's survivors (the first snapshot stands in for
every earlier month, docs/fundamentals.md). iShares serves a past day's holdings with
``asOfDate``; this stage asks for the last weekday of every month from ``[holdings]
history_start`` to the run's date, one request at a time at the HTTP layer's pace, and loads
each answer as an ordinary snapshot (validated, quarantined, ``raw.holdings``), so
``marts.fund_valuation`` uses each date's own members and the XBRL backfill fetches every
company that was ever a member.

Resumable and polite: every answered (fund, month_end) is recorded in ``ops.holdings_history``
with its status and reason and not asked again (a month the vendor has no holdings for, or
answers with an HTML page, answers the same next time); only a failed request is retried by
the next backfill. The bytes of every answer are cached in ``cache_dir`` first, so a backfill
interrupted between the download and the load does not download again.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.stages import SourceReport
from quality.records import record_verdict
from rotation.db import transaction, writing
from rotation.settings import Settings
from rotation.sql import read as read_sql

if TYPE_CHECKING:
    from pipeline.clients import Clients

log = logging.getLogger(__name__)


def history_cache_dir(settings: Settings) -> Path:
    """Where the answers' bytes are kept: ``holdings-history/`` beside the database file."""
    return Path(settings.storage.path).resolve().parent / "holdings-history"


def backfill_holdings_history(
    db_path: str,
    settings: Settings,
    clients: Clients,
    end: dt.date,
    *,
    run_id: str,
    logger: Any = log,
) -> SourceReport:
    """Month-end snapshots of every configured fund from ``[holdings] history_start`` to
    ``end``; skipped with a reason when ``history_start`` is empty."""
    from sources.replay import ReplayError

    report = SourceReport("holdings-history")
    cfg = settings.holdings
    start = cfg.history_start_date()
    if not cfg.enabled or start is None:
        report.skipped = True
        report.messages.append("off ([holdings] history_start is empty)")
        return report
    try:
        client = clients.get("holdings_history")
    except ReplayError as exc:
        report.skipped = True
        report.messages.append(str(exc))
        return report
    today = clients.today(end)
    return load_history(
        db_path,
        settings,
        client,
        start,
        end,
        cache_dir=history_cache_dir(settings),
        today=today,
        run_id=run_id,
        report=report,
        logger=logger,
    )


def load_history(
    db_path: str,
    settings: Settings,
    client: Any,
    start: dt.date,
    end: dt.date,
    *,
    cache_dir: Path,
    today: dt.date,
    run_id: str,
    report: SourceReport | None = None,
    logger: Any = log,
) -> SourceReport:
    """Ask ``client`` for each fund's month-ends in ``[start, end]`` not answered yet; load."""
    from rotation.progress import Steps
    from sources import holdings

    report = report or SourceReport("holdings-history")
    cfg = settings.holdings
    with writing(db_path) as con:
        known = {r[0] for r in con.execute(read_sql("load/holdings_known_tickers.sql")).fetchall()}
        done = set(con.execute(read_sql("load/holdings_history_done.sql")).fetchall())
    due = [
        (fund, day)
        for fund in cfg.funds
        for day in holdings.month_ends(start, end)
        if (fund, day) not in done
    ]
    logger.info(
        "holdings history: %d fund month-ends due from %s to %s (%d answered before)",
        len(due), start, end, len(done),
    )  # fmt: skip
    counts: dict[str, int] = {}
    cache_dir.mkdir(parents=True, exist_ok=True)
    with Steps(len(due), "holdings history", logger) as steps:
        for fund, day in due:
            status = _one_month(
                db_path, settings, client, fund, day, known, cache_dir, today, run_id, report
            )
            counts[status] = counts.get(status, 0) + 1
            steps.advance(f"{fund} {day}: {status}")
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing due"
    report.messages.append(f"{len(due)} fund month-ends asked: {summary}")
    report.skipped = not due
    return report


def _one_month(
    db_path: str,
    settings: Settings,
    client: Any,
    fund: str,
    day: dt.date,
    known: set[str],
    cache_dir: Path,
    today: dt.date,
    run_id: str,
    report: SourceReport,
) -> str:
    """Fetch (or read from the cache), judge, validate and load one month; return its status."""
    from quality.holdings import validate_snapshot
    from sources import holdings
    from sources.http import HttpError

    cfg = settings.holdings
    cached = cache_dir / f"{fund}.asOfDate={day:%Y%m%d}.csv"
    if cached.is_file():
        item = holdings.HoldingsFile(fund, cached.name, cached.read_bytes(), None)
    else:
        try:
            item = client.snapshot(fund, day)
        except (HttpError, OSError) as exc:
            line = f"{fund} {day}: no answer, asked again next backfill: {exc}"
            report.messages.append(line)
            _record(db_path, fund, day, "failed", line, None, None, client, run_id)
            return "failed"
        if item.as_of is None:  # live: keep the bytes before anything else can fail
            cached.write_bytes(item.body)
    judged = holdings.judge_dated(item, day, aliases=cfg.alias_map(), known_tickers=known or None)
    if judged.snapshot is None:
        report.messages.append(judged.reason)
        _record(db_path, fund, day, judged.status, judged.reason, item, None, client, run_id)
        return judged.status
    snapshot = judged.snapshot
    report.fetched += len(snapshot.rows)
    verdict = validate_snapshot(
        snapshot.rows,
        today=today,
        min_equity_weight_pct=cfg.min_equity_weight_pct,
        max_equity_weight_pct=cfg.max_equity_weight_pct,
    )
    now = dt.datetime.now(dt.UTC)
    with writing(db_path) as con, transaction(con):
        report.quarantined += record_verdict(
            con, run_id=run_id, source="holdings", suite="holdings", verdict=verdict,
            rows_in=len(snapshot.rows), key_columns=["fund", "as_of", "line"],
            problems=snapshot.problems, message=f"{snapshot.file}: {verdict.message}",
        )  # fmt: skip
        if not verdict.batch_ok:
            reason = f"{snapshot.file}: {verdict.message}"
            report.blocked = True
            report.messages.append(reason)
            _insert(con, fund, day, "blocked", reason, snapshot.as_of, item, client, now, run_id)
            return "blocked"
        report.loaded += holdings.load_snapshot(
            con, snapshot, verdict.good, source=client.source, run_id=run_id, fetched_at=now
        )
        _insert(
            con, fund, day, holdings.HISTORY_LOADED, judged.reason, snapshot.as_of, item,
            client, now, run_id,
        )  # fmt: skip
    return holdings.HISTORY_LOADED


def _record(
    db_path: str,
    fund: str,
    day: dt.date,
    status: str,
    reason: str,
    item: Any,
    as_of: dt.date | None,
    client: Any,
    run_id: str,
) -> None:
    with writing(db_path) as con, transaction(con):
        _insert(
            con, fund, day, status, reason, as_of, item, client, dt.datetime.now(dt.UTC), run_id
        )


def _insert(
    con: Any,
    fund: str,
    day: dt.date,
    status: str,
    reason: str,
    as_of: dt.date | None,
    item: Any,
    client: Any,
    now: dt.datetime,
    run_id: str,
) -> None:
    con.execute(
        read_sql("load/holdings_history_record.sql"),
        [
            fund,
            day,
            status,
            reason,
            as_of,
            item.name if item is not None else None,
            len(item.body) if item is not None else None,
            client.source,
            now.replace(tzinfo=None),
            run_id,
        ],
    )
