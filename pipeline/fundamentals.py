"""The fundamentals stages of a run as plain functions: tickers, holdings, XBRL facts.

Kept apart from ``pipeline.stages`` (the price and deal-flow stages) and free of ``prefect``, so
each stage is testable alone and ``flows.daily`` only wraps them as tasks. Order matters and is
the order of the registry's fundamentals group (``pipeline.registry.load_fundamentals``): the
SEC ticker table first (the holdings parser uses it to put class-share tickers in the vendor's
form, the XBRL queue to find each member's CIK),
then the holdings snapshots (who is a member), then the facts of the members that are due.
Every stage opens its own short connection under the run's writer lock and commits one
snapshot or one batch per transaction, with its quarantine rows.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from pipeline.stages import SourceReport
from quality.records import quarantine_problems, record_verdict
from rotation.db import transaction, writing
from rotation.settings import Settings
from rotation.sql import read as read_sql

if TYPE_CHECKING:
    from pipeline.clients import Clients

log = logging.getLogger(__name__)


def load_sec_tickers(
    db_path: str, settings: Settings, clients: Clients, *, run_id: str
) -> SourceReport:
    """Refresh ``raw.sec_company_tickers`` (one request); skipped with a reason when the SEC
    User-Agent is not configured or the replay folder has no ticker file."""
    from sources import xbrl
    from sources.http import HttpError, SourceSkipped
    from sources.replay import ReplayError

    report = SourceReport("sec_tickers")
    if not settings.xbrl.enabled:
        return _skipped(report, "disabled in settings ([xbrl] enabled)")
    try:
        client = clients.get("sec_tickers")
        name, body = client.company_tickers()
        source = client.source
        frame = xbrl.parse_company_tickers(body, name)
    except (SourceSkipped, ReplayError, HttpError, OSError, xbrl.XbrlFormatError) as exc:
        return _skipped(report, f"SEC ticker table unavailable: {exc}")
    report.fetched = len(frame)
    with writing(db_path) as con, transaction(con):
        report.loaded = xbrl.load_company_tickers(
            con, frame, source=source, run_id=run_id, fetched_at=dt.datetime.now(dt.UTC)
        )
    log.info("sec_tickers: %d tickers", report.loaded)
    return report


def load_holdings(
    db_path: str,
    settings: Settings,
    clients: Clients,
    as_of: dt.date,
    *,
    run_id: str,
) -> SourceReport:
    """Fetch each configured fund's holdings; validate, quarantine and load each snapshot.

    A replayed snapshot already loaded from the same file is not validated again (a replay
    folder offers every snapshot up to the run's date on every run).
    """
    from quality.holdings import validate_snapshot
    from sources import holdings
    from sources.replay import ReplayError

    report = SourceReport("holdings")
    cfg = settings.holdings
    if not cfg.enabled:
        return _skipped(report, "disabled in settings ([holdings] enabled)")
    try:
        client = clients.get("holdings")
    except ReplayError as exc:
        return _skipped(report, str(exc))
    today = clients.today(as_of)  # a replayed run is as of its session
    with writing(db_path) as con:
        known = {r[0] for r in con.execute(read_sql("load/holdings_known_tickers.sql")).fetchall()}
        loaded_files = set(con.execute(read_sql("load/holdings_loaded_files.sql")).fetchall())
    batch = holdings.fetch(
        client, cfg.funds, as_of, aliases=cfg.alias_map(), known_tickers=known or None
    )
    report.messages.extend(batch.messages)
    report.skipped = not batch.snapshots
    blocked: dict[str, str] = {}
    for snapshot in batch.snapshots:
        if clients.replayed and (snapshot.fund, snapshot.as_of, snapshot.file) in loaded_files:
            continue
        report.fetched += len(snapshot.rows)
        verdict = validate_snapshot(
            snapshot.rows,
            today=today,
            min_equity_weight_pct=cfg.min_equity_weight_pct,
            max_equity_weight_pct=cfg.max_equity_weight_pct,
        )
        with writing(db_path) as con, transaction(con):
            quarantined = record_verdict(
                con, run_id=run_id, source="holdings", suite="holdings", verdict=verdict,
                rows_in=len(snapshot.rows), key_columns=["fund", "as_of", "line"],
                problems=snapshot.problems, message=f"{snapshot.file}: {verdict.message}",
            )  # fmt: skip
            report.quarantined += quarantined
            if not verdict.batch_ok:
                report.blocked = True
                report.messages.append(verdict.message + "; the previous snapshot stays")
                blocked[snapshot.fund] = f"{snapshot.file}: {verdict.message}"
                continue
            report.loaded += holdings.load_snapshot(
                con,
                snapshot,
                verdict.good,
                source=batch.source,
                run_id=run_id,
                fetched_at=dt.datetime.now(dt.UTC),
            )
        report.messages.append(f"{snapshot.file}: {verdict.message}")
    with writing(db_path) as con, transaction(con):
        _record_holdings_damage(con, cfg.funds, batch, blocked, report, run_id, as_of)
    for message in report.messages:
        log.info("holdings: %s", message)
    return report


SNAPSHOT_BLOCKED = "snapshot_blocked"  # a fund's snapshot failed validation as a whole


def _record_holdings_damage(
    con: Any,
    funds: Any,
    batch: Any,
    blocked: dict[str, str],
    report: SourceReport,
    run_id: str,
    as_of: dt.date,
) -> None:
    """One ``holdings`` incident per damaged fund (subject: the fund): no file came, a file
    that cannot be read (garbage, a preamble date that contradicts its name), a snapshot
    blocked by validation. Every configured fund was asked, so a fund whose files read and
    validated this run resolves its open incidents."""
    from quality import damage

    checked = damage.Checked("holdings")
    for kind in (damage.NO_DATA, damage.FILE_UNREADABLE, SNAPSHOT_BLOCKED):
        checked.looked_at(kind, funds)
    for fund, reason in batch.funds_failed.items():
        kind = damage.NO_DATA if fund in batch.funds_missing else damage.FILE_UNREADABLE
        checked.saw(fund, kind, reason)
    for fund, reason in blocked.items():
        checked.saw(fund, SNAPSHOT_BLOCKED, reason)
    _, session = damage.run_context(con, run_id)
    new, lines = damage.record_checked(con, checked, run_id=run_id, session=session or as_of)
    report.note_damage(new, lines)


def load_xbrl(
    db_path: str,
    settings: Settings,
    clients: Clients,
    as_of: dt.date,
    *,
    run_id: str,
) -> SourceReport:
    """Fetch the facts of the members that are due (filed since, new, the sweep); load them."""
    from sources import xbrl
    from sources.http import SourceSkipped
    from sources.replay import ReplayError

    report = SourceReport("xbrl")
    cfg = settings.xbrl
    if not cfg.enabled:
        return _skipped(report, "disabled in settings ([xbrl] enabled)")
    try:
        client = clients.get("xbrl")
    except (SourceSkipped, ReplayError) as exc:
        return _skipped(report, str(exc))
    today = clients.today(as_of)  # a replay is as of its day
    with writing(db_path) as con:
        queue = xbrl.refresh_queue(
            con,
            funds=settings.holdings.funds,
            sweep=cfg.sweep_per_run,
            limit=cfg.max_companies_per_run,
            today=today,
        )
    if not queue:
        return _skipped(report, "no member companies due (no holdings or no ticker table yet)")
    _fetch_validate_load_xbrl(db_path, settings, client, queue, today, report, run_id=run_id)
    for message in report.messages:
        log.info("xbrl: %s", message)
    return report


def _fetch_validate_load_xbrl(
    db_path: str,
    settings: Settings,
    client: Any,
    queue: list[int],
    today: dt.date,
    report: SourceReport,
    *,
    run_id: str,
) -> Any:
    """Fetch ``queue``'s company facts, validate them company by company and load them in one
    transaction with their quarantine rows and incidents; adds to ``report``; returns the
    fetched batch.

    One company's damage stays with it: a body that cannot be read, or one most of whose facts
    fail, holds that company back (an ``xbrl`` incident, its fetch recorded with the reason and
    retried with back-off) while every other company loads.
    """
    from quality.xbrl import validate_companies
    from sources import xbrl

    cfg = settings.xbrl
    batch = xbrl.fetch_facts(client, queue)
    report.messages.extend(batch.messages)
    report.fetched += len(batch.frame)
    verdicts = validate_companies(batch.frame, today=today) if not batch.frame.empty else None
    if verdicts is not None and not verdicts.verdict.result.batch_failures:
        _mark_blocked(batch, verdicts.blocked)
    elif verdicts is not None:  # structural: cannot be pinned on one company
        _mark_blocked(batch, {cik: verdicts.verdict.message for cik in _loaded_ciks(batch)})
    with writing(db_path) as con, transaction(con):
        if verdicts is None:
            # Nothing to validate (every company due had no XBRL data, failed, or was
            # throttled): record the fetches so they are not asked again at once, but no
            # validation row, which would read as "the source delivered nothing good" to the
            # source-health alert.
            report.quarantined += quarantine_problems(
                con, run_id=run_id, source="xbrl", problems=batch.problems
            )
            good = batch.frame
        else:
            verdict = verdicts.verdict
            report.quarantined += record_verdict(
                con, run_id=run_id, source="xbrl", suite="xbrl", verdict=verdict,
                rows_in=len(batch.frame), problems=batch.problems,
                key_columns=["cik", "concept", "period_start", "period_end", "accession"],
            )  # fmt: skip
            good = verdict.good
            if not verdict.batch_ok:
                report.blocked = True
                report.messages.append(verdict.message + "; the stored facts are unchanged")
            elif verdicts.blocked:
                report.messages.append(verdict.message)
        report.loaded += xbrl.load_facts(
            con, batch, good, run_id=run_id, fetched_at=dt.datetime.now(dt.UTC)
        )
        _record_backoff(con, batch, today)
        quarantined = dict(verdicts.quarantined) if verdicts is not None else {}
        _record_xbrl_damage(con, batch, quarantined, report, run_id, today)
        con.execute(read_sql("load/xbrl_valuation_settings.sql"), [cfg.coverage_floor])
    report.messages.append(_fetch_summary(queue, batch))
    return batch


FAILED_FETCHES = ("failed", "blocked")


def _loaded_ciks(batch: Any) -> list[int]:
    return [cik for cik, status, *_ in batch.fetches if status == "loaded"]


def _mark_blocked(batch: Any, blocked: dict[int, str]) -> None:
    """A company held back by validation is recorded as ``blocked`` with its reason (never
    ``loaded``: the run summary and ``raw.xbrl_fetches`` say what really happened)."""
    batch.fetches = [
        (cik, "blocked", name, 0, blocked[cik]) if cik in blocked else (cik, status, name, n, m)
        for cik, status, name, n, m in batch.fetches
    ]


def _record_backoff(con: Any, batch: Any, today: dt.date) -> None:
    """Failed and blocked companies wait 1, 2, 4 … 32 days; the others leave the back-off."""
    import pandas as pd

    if not batch.fetches:
        return
    outcomes = pd.DataFrame(
        [(cik, status in FAILED_FETCHES, message) for cik, status, _, _, message in batch.fetches],
        columns=["cik", "failed", "reason"],
    )
    con.register("fetch_outcomes", outcomes)
    try:
        con.execute(read_sql("load/xbrl_fetch_backoff.sql"), [today])
        con.execute(read_sql("load/xbrl_fetch_backoff_clear.sql"))
    finally:
        con.unregister("fetch_outcomes")


def _record_xbrl_damage(
    con: Any,
    batch: Any,
    quarantined: dict[int, tuple[int, str]],
    report: SourceReport,
    run_id: str,
    today: dt.date,
) -> None:
    """One ``xbrl`` incident per damaged company (subject ``CIK##########``): a body that
    could not be read, a company blocked, facts quarantined (by validation, ``quarantined``,
    or by the parser). Each company fetched this run is checked: its incidents not seen again
    resolve; a company not fetched this run keeps its own open."""
    from quality import damage

    for key, reason in zip(batch.problems["natural_key"], batch.problems["reason"], strict=True):
        cik = int(str(key).split("|")[0])
        n, first = quarantined.get(cik, (0, str(reason)))
        quarantined[cik] = (n + 1, first)
    checked = damage.Checked("xbrl")
    subjects = [f"CIK{cik:010d}" for cik, *_ in batch.fetches]
    for kind in (damage.FILE_UNREADABLE, COMPANY_BLOCKED, damage.ROWS_QUARANTINED):
        checked.looked_at(kind, subjects)
    for cik, status, name, _, message in batch.fetches:
        subject = f"CIK{cik:010d}"
        who = f"{name} ({subject})" if name else subject
        if status == "failed":
            checked.saw(subject, damage.FILE_UNREADABLE, f"{who}: {message}")
        elif status == "blocked":
            checked.saw(subject, COMPANY_BLOCKED, f"{who} held back: {message}")
        elif cik in quarantined:
            n, first = quarantined[cik]
            checked.saw(
                subject, damage.ROWS_QUARANTINED, f"{who}: {n} fact(s) quarantined; first: {first}"
            )
    _, session = damage.run_context(con, run_id)
    new, lines = damage.record_checked(con, checked, run_id=run_id, session=session or today)
    report.note_damage(new, lines)


COMPANY_BLOCKED = "company_blocked"  # most of one company's facts failed; it is held back


def backfill_xbrl(
    db_path: str,
    settings: Settings,
    clients: Clients,
    as_of: dt.date,
    *,
    run_id: str,
    logger: Any = log,
    batch_size: int = 100,
) -> SourceReport:
    """Company facts for the members of *every* stored snapshot never fetched yet, in batches
    of ``batch_size`` (each committed alone), with progress.

    One companyfacts body holds a company's whole filing history, so one fetch per company
    backfills it; companies already fetched (by this backfill or a daily run) are not asked
    again, which makes an interrupted backfill resume where it stopped. A throttle page from
    the SEC ends the backfill early with a message: run it again after ~10 minutes.
    """
    from rotation.progress import Steps
    from sources.http import SourceSkipped
    from sources.replay import ReplayError

    report = SourceReport("xbrl-backfill")
    if not settings.xbrl.enabled:
        return _skipped(report, "disabled in settings ([xbrl] enabled)")
    try:
        client = clients.get("xbrl")
    except (SourceSkipped, ReplayError) as exc:
        return _skipped(report, str(exc))
    with writing(db_path) as con:
        queue = [
            int(r[0])
            for r in con.execute(
                read_sql("load/xbrl_backfill_queue.sql"), [list(settings.holdings.funds)]
            ).fetchall()
        ]
    if not queue:
        return _skipped(report, "every member of every stored snapshot has been fetched")
    today = clients.today(as_of)
    chunks = [queue[i : i + batch_size] for i in range(0, len(queue), batch_size)]
    logger.info("xbrl backfill: %d companies never fetched, %d batches", len(queue), len(chunks))
    with Steps(len(chunks), "xbrl backfill", logger) as steps:
        for chunk in chunks:
            batch = _fetch_validate_load_xbrl(
                db_path, settings, client, chunk, today, report, run_id=run_id
            )
            steps.advance(report.messages[-1])
            if batch.not_fetched:
                report.messages.append(
                    "stopped: the SEC is throttling; run the backfill again in ~10 minutes "
                    "(companies fetched so far are kept and skipped)"
                )
                break
    return report


def load_fund_pe(
    db_path: str,
    settings: Settings,
    clients: Clients,
    as_of: dt.date,
    *,
    run_id: str,
) -> SourceReport:
    """The funds' own P/E from Yahoo (the cross-check of the built one): validate and load.

    The tolerance the cross-check mart judges with is synced by
    :func:`sync_valuation_settings`, skipped or not.
    """
    from quality.fund_pe import validate_fund_pe
    from sources import fund_pe
    from sources.replay import ReplayError

    report = SourceReport("fund_pe")
    cfg = settings.valuation
    if not cfg.fund_pe_enabled:
        return _skipped(report, "disabled in settings ([valuation] fund_pe_enabled)")
    try:
        client = clients.get("fund_pe")
    except ReplayError as exc:
        return _skipped(report, str(exc))
    batch = fund_pe.fetch(client, cfg.fund_pe_funds, as_of)
    report.messages.extend(batch.messages)
    report.fetched = len(batch.frame)
    if batch.frame.empty:
        report.skipped = True
        for message in report.messages:
            log.info("fund_pe: %s", message)
        return report
    today = clients.today(as_of)
    verdict = validate_fund_pe(batch.frame, today=today)
    with writing(db_path) as con, transaction(con):
        report.quarantined = record_verdict(
            con, run_id=run_id, source="fund_pe", suite="fund_pe", verdict=verdict,
            rows_in=len(batch.frame), key_columns=["fund", "as_of"],
        )  # fmt: skip
        if verdict.batch_ok:
            report.loaded = fund_pe.load_fund_pe(
                con, verdict.good, source=batch.source, run_id=run_id,
                fetched_at=dt.datetime.now(dt.UTC),
            )  # fmt: skip
        else:
            report.blocked = True
            report.messages.append(verdict.message + "; the stored quotes are unchanged")
    for message in report.messages:
        log.info("fund_pe: %s", message)
    return report


def load_shiller(
    db_path: str,
    settings: Settings,
    clients: Clients,
    as_of: dt.date,
    *,
    run_id: str,
) -> SourceReport:
    """Shiller's monthly workbook: validate and load (live: at most once per refresh period)."""
    from quality.shiller import validate_shiller
    from sources import shiller
    from sources.replay import ReplayError

    report = SourceReport("shiller")
    cfg = settings.valuation
    if not cfg.shiller_enabled:
        return _skipped(report, "disabled in settings ([valuation] shiller_enabled)")
    if not clients.replayed:  # a replay offers its one recorded file on every run
        with writing(db_path) as con:
            row = con.execute(read_sql("load/shiller_last_fetch.sql")).fetchone()
        last = row[0] if row else None
        age = dt.datetime.now(dt.UTC) - last if last is not None else None
        if age is not None and age < dt.timedelta(days=cfg.shiller_refresh_days):
            return _skipped(report, f"loaded {age.days} day(s) ago; a monthly file")
    try:
        client = clients.get("shiller")
    except ReplayError as exc:
        return _skipped(report, str(exc))
    today = clients.today(as_of)
    batch = shiller.fetch(client, as_of)
    report.messages.extend(batch.messages)
    if batch.parsed is None:
        report.skipped = True
        for message in report.messages:
            log.info("shiller: %s", message)
        return report
    rows = batch.parsed.rows
    report.fetched = len(rows)
    verdict = validate_shiller(rows, today=today)
    with writing(db_path) as con, transaction(con):
        report.quarantined = record_verdict(
            con, run_id=run_id, source="shiller", suite="shiller", verdict=verdict,
            rows_in=len(rows), key_columns=["month"], problems=batch.parsed.problems,
            message=f"{batch.parsed.file}: {verdict.message}",
        )  # fmt: skip
        if verdict.batch_ok:
            report.loaded = shiller.load_shiller(
                con, verdict.good, source=batch.source, run_id=run_id,
                fetched_at=dt.datetime.now(dt.UTC),
            )  # fmt: skip
        else:
            report.blocked = True
            report.messages.append(verdict.message + "; the stored months are unchanged")
    for message in report.messages:
        log.info("shiller: %s", message)
    return report


def cross_check_fund_pe(db_path: str, as_of: dt.date, *, run_id: str) -> list[str]:
    """After the build: one ``fund_pe/<FUND>/pe_gap`` incident per fund whose vendor P/E is
    beyond the tolerance from the built one on its latest compared session; a fund compared
    and within it resolves its open incident. Returns one line per fund compared."""
    from rotation import incidents

    with writing(db_path) as con, transaction(con):
        rows = con.execute(read_sql("ops/fund_pe_gaps.sql"), [as_of]).fetchall()
        lines, seen = [], []
        for fund, session, vendor, reported, reported_as, built, gap, tolerance, beyond in rows:
            yield_ = reported_as == "reciprocal"
            how = f" (reported {reported:g}, read as a yield)" if yield_ else ""
            line = (
                f"{fund} on {session}: vendor P/E {vendor:.2f}{how} vs built {built:.2f}, "
                f"gap {gap:+.1%} (tolerance {tolerance:.0%})"
            )
            lines.append(line)
            if beyond:
                seen.append(incidents.Incident("fund_pe", fund, "pe_gap", line))
        incidents.record_all(con, seen, run_id=run_id, session=as_of)
        checked = {fund for fund, *_ in rows}
        if checked:
            incidents.resolve_unseen(con, source="fund_pe", kinds=["pe_gap"], run_id=run_id)
    with writing(db_path) as con:  # outside the transaction: a missing mart must not abort it
        coverage = valuation_coverage_lines(con)
    for line in lines:
        log.info("fund P/E cross-check: %s", line)
    for line in coverage:
        log.info("valuation coverage: %s", line)
    return lines


def valuation_coverage_lines(con: Any) -> list[str]:
    """One line per fund from ``marts.valuation_coverage`` (the daily run and the backfill log
    it after the build): the usable weight and every reason members are out, heaviest first."""
    import duckdb

    sql = read_sql("reporting/valuation_coverage.sql")
    try:
        rows = con.execute(sql).fetchall()
    except duckdb.CatalogException:  # not built yet (a first run that stopped early)
        return []
    funds: dict[str, list[str]] = {}
    for fund, session, status, members, weight, _reason in rows:
        head = funds.setdefault(fund, [f"{fund} on {session}:"])
        head.append(f"{status} {members} ({(weight or 0):.1%})")
    return [" ".join(parts[:2]) + "; " + ", ".join(parts[2:]) for parts in funds.values()]


def sync_valuation_settings(db_path: str, settings: Settings) -> None:
    """Copy the settings the valuation marts read into ``ops`` tables, before any build:
    the cross-check tolerance and how far back the first snapshot stands in."""
    cfg = settings.valuation
    with writing(db_path) as con, transaction(con):
        con.execute(read_sql("load/fund_pe_settings.sql"), [cfg.pe_tolerance])
        con.execute(read_sql("load/valuation_history.sql"), [dt.date(cfg.history_start_year, 1, 1)])


def _fetch_summary(queue: list[int], batch: Any) -> str:
    counts: dict[str, int] = {}
    for _, status, *_ in batch.fetches:
        counts[status] = counts.get(status, 0) + 1
    left = f", {len(batch.not_fetched)} left for the next run" if batch.not_fetched else ""
    return f"{len(queue)} companies due: {counts or 'none fetched'}{left}"


def _skipped(report: SourceReport, reason: str) -> SourceReport:
    report.skipped = True
    report.messages.append(reason)
    log.warning("%s skipped: %s", report.source, reason)
    return report
