"""The daily run and the backfill, as Prefect flows: named stages, no logic.

One flow does every source, the build and the alerts in sequence so DuckDB's single-writer
lock is taken once per run and never contested between sources. The stage bodies live in
``pipeline.stages`` (plain functions); here they only become tasks with names, time limits and
retries.

Left alone for weeks, a run must never hang silently (``flows.limits``): every source fetch
has a deadline and fails alone, every other stage a Prefect task timeout, the whole run a
limit that ends it through the normal failure path, and a watchdog that ends the process
when something cannot be interrupted. The heartbeat (``flows.heartbeat``) tells an outside
monitor that each run started and how it ended.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows import heartbeat, limits, preflight
from pipeline import fundamentals, holdings_history, member_prices, registry, stages
from pipeline.clients import Clients
from pipeline.edgar_backfill import load_edgar_quarters
from rotation import calendar
from rotation.db import DatabaseError, publish_copy, writer_lock, writing
from rotation.progress import Steps
from rotation.runs import finish_run, start_run
from rotation.settings import Settings, load_settings

log = logging.getLogger(__name__)

# Inputs are DataFrames and batches: hashing them for a cache key is costly and pointless.
fetch_prices = task(name="fetch-prices", cache_policy=NO_CACHE)(stages.fetch_prices)
validate_and_load_prices = task(name="validate-and-load-prices", cache_policy=NO_CACHE)(
    stages.validate_and_load_prices
)
fetch_edgar = task(name="fetch-edgar", cache_policy=NO_CACHE)(stages.fetch_edgar)
fetch_nasdaq = task(name="fetch-nasdaq", cache_policy=NO_CACHE)(stages.fetch_nasdaq)
fetch_fred = task(name="fetch-fred", cache_policy=NO_CACHE)(stages.fetch_fred)
validate_and_load_source = task(name="validate-and-load", cache_policy=NO_CACHE)(
    stages.validate_and_load_source
)
load_fundamentals = task(name="load-fundamentals", cache_policy=NO_CACHE)(
    registry.load_fundamentals
)
backfill_edgar = task(name="backfill-edgar-quarters", cache_policy=NO_CACHE)(load_edgar_quarters)
load_member_prices = task(name="load-member-prices", cache_policy=NO_CACHE)(
    member_prices.load_member_prices
)
build_models = task(name="build-models", cache_policy=NO_CACHE)(stages.build_models)
backfill_xbrl = task(name="backfill-xbrl", cache_policy=NO_CACHE)(fundamentals.backfill_xbrl)
backfill_members = task(name="backfill-member-prices", cache_policy=NO_CACHE)(
    member_prices.backfill_member_prices
)
backfill_holdings_history = task(name="backfill-holdings-history", cache_policy=NO_CACHE)(
    holdings_history.backfill_holdings_history
)
cross_check_fund_pe = task(name="cross-check-fund-pe", cache_policy=NO_CACHE)(
    fundamentals.cross_check_fund_pe
)
alert = task(name="evaluate-and-deliver-alerts", cache_policy=NO_CACHE)(
    stages.evaluate_and_deliver_alerts
)
publish = task(name="publish-read-only-copy", cache_policy=NO_CACHE)(publish_copy)
report = task(name="report-and-artifact", cache_policy=NO_CACHE)(stages.report_and_summary)


STAGE_LOGGERS = (
    "flows",
    "pipeline",
    "sources",
    "quality",
    "transforms",
    "alerts",
    "reporting",
    "rotation",
)


def _route_stage_logs() -> None:
    """Send the stages' own loggers to the run's logs in Prefect (its UI and API).

    ``PREFECT_LOGGING_EXTRA_LOGGERS`` hands Prefect's API handler to named loggers but not its
    level, so their INFO lines (rebases, quarantine counts, model timings) were still dropped
    at the root's WARNING; and a worker started without the variable would route nothing.
    The flow wires them itself, at Prefect's configured level.
    """
    extra = logging.getLogger("prefect.extra")
    for name in STAGE_LOGGERS:
        stage_logger = logging.getLogger(name)
        for handler in extra.handlers:
            if handler not in stage_logger.handlers:
                stage_logger.addHandler(handler)
        if stage_logger.level == logging.NOTSET:
            stage_logger.setLevel(extra.getEffectiveLevel())


def _run_id() -> str:
    return str(flow_run.id or uuid.uuid4())


def run_page_url(run_id: str) -> str:
    """The flow run's page in the Prefect UI, for the alerts' links: only when a real server
    API is configured (an ephemeral server is gone when the run ends), else empty."""
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL

    if not (PREFECT_API_URL.value() and PREFECT_UI_URL.value()):
        return ""
    return f"{str(PREFECT_UI_URL.value()).rstrip('/')}/flow-runs/flow-run/{run_id}"


def _settings(config_path: str | None) -> Settings:
    """Settings, with the alert rules checked before anything is fetched or written."""
    import alerts

    settings = load_settings(config_path)
    alerts.load_rules(settings.rules, settings.alerts)
    return settings


def alert_on_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """Prefect failure hook: a failed run is itself an alert (pipeline health).

    Runs after the flow body has released the writer lock, for any failure of the flow,
    including one before a run row existed (an unreachable source, a locked database). The
    event id includes the flow run id, so a hook that fires twice stores one event.

    The heartbeat's ``/fail`` ping goes first: it needs no lock, so an outside monitor hears
    of the failure even when the alert cannot be stored. The hook waits for the writer lock
    no longer than the run itself was configured to (``[storage] lock_timeout_s``): with the
    lock held by another run it says so in one line instead of waiting.
    """
    settings = load_settings(flow_run.parameters.get("config_path"))
    db_path = settings.storage.path
    message = f"{flow.name} failed: {state.message or 'no message'}"[:2000]
    heartbeat.ping(settings.heartbeat.url, "fail", message, timeout_s=settings.heartbeat.timeout_s)
    try:
        with writer_lock(db_path, timeout_s=settings.storage.lock_timeout_s):
            stages.record_failure_alert(
                db_path,
                settings,
                str(flow_run.id),
                flow.name,
                message,
                run_page_url(str(flow_run.id)),
            )
    except (DatabaseError, OSError) as exc:  # held by another run, or storage unusable
        log.error("pipeline-health alert for %s not stored: %s", flow.name, exc)


def _watchdog(settings: Settings, run_id: str, flow_name: str, limit_s: float) -> limits.Watchdog:
    """The hard stop ``grace_s`` after the run's limit (see ``flows.limits``)."""
    db_path = settings.storage.path
    prefect_run_id = flow_run.id  # read here: the watchdog's thread has no run context
    message = (
        f"{flow_name} exceeded its time limit of {limit_s:g} s and did not stop within "
        f"{settings.limits.grace_s:g} s more; the process was ended"
    )

    def record() -> None:
        log.error("%s", message)
        heartbeat.ping(settings.heartbeat.url, "fail", message, timeout_s=5)
        for step in (
            lambda: _record_failure(db_path, run_id, message),
            lambda: stages.record_failure_alert(
                db_path, settings, run_id, flow_name, message, run_page_url(run_id)
            ),
            lambda: _fail_prefect_run(prefect_run_id, message),
        ):
            try:
                step()
            except Exception as exc:  # each step alone: one failing must not stop the others
                log.error("watchdog: %s", exc)

    return limits.Watchdog(limit_s + settings.limits.grace_s, record)


def _fail_prefect_run(prefect_run_id: str | None, message: str) -> None:
    """Mark this flow run Failed on the Prefect server, so a queued run is not held behind
    a dead one (the concurrency slot is released with the terminal state)."""
    from prefect.client.orchestration import get_client
    from prefect.states import Failed

    if prefect_run_id is None:
        return
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(prefect_run_id, Failed(message=message), force=True)


@flow(
    name="daily-run",
    log_prints=True,
    on_failure=[alert_on_failure],
    on_crashed=[alert_on_failure],  # ended by a signal or its infrastructure
)
def daily_run(
    as_of: dt.date | None = None,
    replay_dir: str | None = None,
    config_path: str | None = None,
) -> dict[str, Any]:
    """One run for the session ``as_of`` (default: today in New York)."""
    _route_stage_logs()
    logger = get_run_logger()
    settings = _settings(config_path)
    beat = settings.heartbeat
    heartbeat.ping(beat.url, "start", f"daily-run {as_of or 'today'}", timeout_s=beat.timeout_s)
    as_of = as_of or calendar.today_in_new_york()
    preflight.check_session(as_of, "as_of")  # a deployment parameter beyond the calendar
    if not calendar.is_session(as_of):
        message = f"{as_of} is not an NYSE session (weekend or holiday): nothing to do"
        logger.info(message)
        create_markdown_artifact(key="rotation-run-summary", markdown=f"# Skipped\n\n{message}")
        heartbeat.ping(beat.url, "success", message, timeout_s=beat.timeout_s)
        return {"status": "skipped", "as_of": as_of.isoformat(), "message": message}

    preflight.check_storage(settings)  # one clear line for a run a scheduler started
    db_path = settings.storage.path
    run_id = _run_id()
    lim = settings.limits
    started = time.time()
    with (
        limits.noting_stop_signals(),
        _watchdog(settings, run_id, "daily-run", lim.daily_run_timeout_s),
        limits.run_limit(lim.daily_run_timeout_s, "daily-run", "daily_run_timeout_s") as clock,
    ):
        # live or replay: decided here, once, for every source of the run
        clients = Clients.build(settings, replay_dir)
        summary = _daily_body(settings, run_id, as_of, clients, logger, clock)
        # The report reads the published copy: it never holds the writer lock.
        markdown = _Bounded(settings, db_path, run_id, as_of).stage(report)(
            settings, summary, as_of
        )
    create_markdown_artifact(key="rotation-run-summary", markdown=markdown)
    _link_report(settings, started)
    logger.info(summary["message"])
    heartbeat.ping(beat.url, "success", summary["message"], timeout_s=beat.timeout_s)
    return summary


def _daily_body(
    settings: Settings,
    run_id: str,
    as_of: dt.date,
    clients: Clients,
    logger: Any,
    clock: limits.RunClock,
) -> dict[str, Any]:
    """Everything of the daily run that holds the writer lock, up to the published copy."""
    db_path = settings.storage.path
    lim = settings.limits
    with writer_lock(db_path, timeout_s=settings.storage.lock_timeout_s):
        with writing(db_path) as con:
            if interrupted := start_run(con, run_id, "daily-run", as_of):
                logger.warning("marked %d earlier run(s) as interrupted", interrupted)
        try:
            start, end, why = stages.price_window(db_path, as_of, settings.prices)
            logger.info("prices: fetching %s to %s: %s", start, end, why)
            source = clients.get("prices")
            bounded = _Bounded(settings, db_path, run_id, as_of)
            batch = bounded.fetch(
                fetch_prices, "prices", source, settings.prices.symbols, start, end,
                stages.fallback_price_source(settings, clients),  # Stooq, for what Yahoo lacks
            )  # fmt: skip
            if batch is None:
                prices = _timed_out("prices", lim.source_timeout_s)
            else:
                prices = bounded.stage(validate_and_load_prices)(
                    db_path,
                    batch,
                    rules=stages.price_rules(settings.prices),
                    run_id=run_id,
                    start=start,
                    end=end,
                )
            days = stages.edgar_days(as_of, settings.prices.lookback_sessions)
            days += stages.edgar_days_to_reread(db_path, as_of)  # damaged days, until whole
            fetched = [
                bounded.fetch(fetch_edgar, "edgar", settings, clients, days),
                bounded.fetch(fetch_nasdaq, "nasdaq", settings, clients, as_of),
                bounded.fetch(fetch_fred, "fred", settings, clients),
            ]
            edgar, nasdaq, fred = (
                bounded.stage(validate_and_load_source)(
                    db_path, got or _skipped(name, lim.source_timeout_s), run_id=run_id
                )
                for name, got in zip(("edgar", "nasdaq", "fred"), fetched, strict=True)
            )
            constituents = bounded.stage(load_fundamentals)(
                db_path, settings, clients, as_of, run_id=run_id
            )
            members = bounded.stage(load_member_prices)(
                db_path, settings, clients, as_of, run_id=run_id
            )
            build = bounded.stage(build_models)(db_path, settings, run_id, as_of)
            if build.kept:  # a rolled-back build has no new figures to judge
                bounded.stage(cross_check_fund_pe)(db_path, as_of, run_id=run_id)
            alerts = bounded.stage(alert)(
                db_path, settings, as_of, run_id, run_url=run_page_url(run_id)
            )
        except BaseException as exc:
            _record_failure(db_path, run_id, clock.failure(exc))
            raise
        summary = _summary(
            run_id, as_of, [prices, edgar, nasdaq, fred, *constituents, members], build, alerts
        )
        with writing(db_path) as con:
            finish_run(con, run_id, **summary["ops"])
        if build.kept or not _published_exists(settings):  # a failed audit keeps the old copy
            bounded.stage(publish)(
                db_path, settings.published_path, settings.storage.published_storage_version
            )
    return summary


class _Bounded:
    """Time limits of one run's stages: a deadline per source fetch, a timeout per task."""

    def __init__(self, settings: Settings, db_path: str, run_id: str, session: dt.date) -> None:
        self.limits = settings.limits
        self.db_path, self.run_id, self.session = db_path, run_id, session

    def fetch(self, fetch_task: Any, source: str, *args: Any) -> Any:
        """The fetch task's result, or None when the source exceeded its limit (recorded)."""
        limit = self.limits.source_timeout_s
        return limits.fetch_within(
            limit,
            source,
            # The task's own timeout is a backstop: the deadline is enforced outside it.
            lambda: fetch_task.with_options(timeout_seconds=limit + 30)(*args),
            db_path=self.db_path,
            run_id=self.run_id,
            session=self.session,
        )

    def stage(self, stage_task: Any) -> Any:
        return stage_task.with_options(timeout_seconds=self.limits.stage_timeout_s)


def _skipped(source: str, limit_s: float) -> stages.FetchedSource:
    return stages.FetchedSource(
        source, skipped=True, messages=[f"did not answer within {limit_s:g} s: skipped"]
    )


def _timed_out(source: str, limit_s: float) -> stages.SourceReport:
    return stages.SourceReport(
        source, skipped=True, messages=[f"did not answer within {limit_s:g} s: skipped"]
    )


def _link_report(settings: Settings, since: float) -> None:
    """The report this run wrote, as a link artifact on the run's page."""
    pages = [
        p for p in stages.report_dir(settings).glob("report-*.html") if p.stat().st_mtime >= since
    ]
    if pages:
        page = max(pages, key=lambda p: p.stat().st_mtime)
        create_link_artifact(
            key="rotation-report",
            link=Path(page).resolve().as_uri(),
            link_text=page.name,
            description="The session's HTML report (charts beside it)",
        )


@flow(
    name="backfill",
    log_prints=True,
    on_failure=[alert_on_failure],
    on_crashed=[alert_on_failure],
)
def backfill(
    start: dt.date,
    end: dt.date,
    replay_dir: str | None = None,
    config_path: str | None = None,
    chunk_sessions: int = 1260,
) -> dict[str, Any]:
    """Load history from ``start`` to ``end`` in chunks (newest first), then build once.

    Resumable: a chunk that loaded is recorded in ``ops.backfill_chunks`` and skipped when the
    same backfill runs again after an interruption. An EDGAR quarter counts as loaded only
    when its index was read whole (``pipeline.edgar_backfill``). The index members are priced
    over the same chunks once the holdings are loaded (``pipeline.member_prices``).
    """
    _route_stage_logs()
    logger = get_run_logger()
    settings = _settings(config_path)
    beat = settings.heartbeat
    heartbeat.ping(beat.url, "start", f"backfill {start} to {end}", timeout_s=beat.timeout_s)
    preflight.check_session(start, "start")
    preflight.check_session(end, "end")
    preflight.check_storage(settings)
    db_path = settings.storage.path
    run_id = _run_id()
    lim = settings.limits
    chunks = stages.backfill_chunks(start, end, chunk_sessions, settings.prices.lookback_sessions)
    clients = Clients.build(settings, replay_dir)  # live or replay: decided once, here
    prices_scope = stages.price_scope(settings.prices.symbols, clients)
    reports = []
    with (
        limits.noting_stop_signals(),
        _watchdog(settings, run_id, "backfill", lim.backfill_timeout_s),
        limits.run_limit(lim.backfill_timeout_s, "backfill", "backfill_timeout_s") as clock,
        writer_lock(db_path, timeout_s=settings.storage.lock_timeout_s),
    ):
        with writing(db_path) as con:
            start_run(con, run_id, "backfill", end)
            done = stages.completed_chunks(con, prices_scope)
        try:
            source = clients.get("prices")
            bounded = _Bounded(settings, db_path, run_id, end)
            with Steps(len(chunks), "prices", logger) as steps:
                for chunk_start, chunk_end in chunks:
                    label = f"{chunk_start} to {chunk_end}"
                    if (chunk_start, chunk_end) in done:
                        steps.advance(f"{label} already loaded, skipped")
                        continue
                    batch = bounded.fetch(
                        fetch_prices, "prices", source, settings.prices.symbols,
                        chunk_start, chunk_end,
                    )  # fmt: skip
                    if batch is None:
                        reports.append(_timed_out("prices", lim.source_timeout_s))
                        steps.advance(f"{label}: timed out, left for the next backfill")
                        continue
                    report = bounded.stage(validate_and_load_prices)(
                        db_path,
                        batch,
                        rules=stages.price_rules(settings.prices),
                        run_id=run_id,
                        start=chunk_start,
                        end=chunk_end,
                    )
                    reports.append(report)
                    if not report.blocked:
                        with writing(db_path) as con:
                            stages.mark_chunk_done(
                                con, run_id, prices_scope, chunk_start, chunk_end
                            )
                    steps.advance(f"{label}: {report.loaded} rows loaded")

            # Every quarter in one task: bounded by the backfill's limit (a quarter's request
            # by the HTTP layer's timeouts), not by one stage's.
            reports += backfill_edgar.with_options(timeout_seconds=lim.backfill_timeout_s)(
                db_path,
                settings,
                clients,
                stages.edgar_quarters(start, end),
                run_id=run_id,
                session=end,
            )
            months = stages.nasdaq_months(start, end)
            fetched = [
                bounded.fetch(fetch_nasdaq, "nasdaq", settings, clients, end, months),
                bounded.fetch(fetch_fred, "fred", settings, clients),
            ]
            for name, got in zip(("nasdaq", "fred"), fetched, strict=True):
                reports.append(
                    bounded.stage(validate_and_load_source)(
                        db_path, got or _skipped(name, lim.source_timeout_s), run_id=run_id
                    )
                )
            reports.extend(
                bounded.stage(load_fundamentals)(db_path, settings, clients, end, run_id=run_id)
            )
            # the members of the snapshot just loaded, over the same chunks: breadth history
            reports.append(
                backfill_members.with_options(timeout_seconds=lim.backfill_timeout_s)(
                    db_path, settings, clients, chunks, run_id=run_id
                )
            )
            if settings.holdings.history_start:  # month-end members, before their facts
                reports.append(
                    backfill_holdings_history.with_options(timeout_seconds=lim.backfill_timeout_s)(
                        db_path, settings, clients, end, run_id=run_id, logger=logger
                    )
                )
            reports.append(
                backfill_xbrl.with_options(timeout_seconds=lim.backfill_timeout_s)(
                    db_path, settings, clients, end, run_id=run_id, logger=logger
                )
            )
            build = bounded.stage(build_models)(db_path, settings, run_id, end)
            if build.kept:  # a rolled-back build has no new figures to judge
                bounded.stage(cross_check_fund_pe)(db_path, end, run_id=run_id)
            alerts = bounded.stage(alert)(
                db_path,
                settings,
                end,
                run_id,
                deliver=settings.alerts.deliver_on_backfill,
                run_url=run_page_url(run_id),
            )
        except BaseException as exc:
            _record_failure(db_path, run_id, clock.failure(exc))
            raise
        summary = _summary(run_id, end, reports, build, alerts)
        with writing(db_path) as con:
            finish_run(con, run_id, **summary["ops"])
        if build.kept or not _published_exists(settings):  # a failed audit keeps the old copy
            bounded.stage(publish)(
                db_path, settings.published_path, settings.storage.published_storage_version
            )
    logger.info(summary["message"])
    heartbeat.ping(beat.url, "success", summary["message"], timeout_s=beat.timeout_s)
    return summary


def _published_exists(settings: Settings) -> bool:
    """Whether there is a published copy to keep: a first run blocked by an audit still
    publishes (raw data and the incident, no marts), so readers and the report have a file."""
    return Path(settings.published_path).exists()


def _record_failure(db_path: str, run_id: str, message: str) -> None:
    """Mark the run failed in ``ops.runs`` (the alert comes from the failure hook)."""
    with writing(db_path) as con:
        finish_run(con, run_id, status="failed", message=message[:2000])


def _summary(
    run_id: str,
    as_of: dt.date,
    reports: list[stages.SourceReport],
    build: Any,
    alerts: dict[str, Any],
) -> dict[str, Any]:
    fetched = sum(r.fetched for r in reports)
    loaded = sum(r.loaded for r in reports)
    quarantined = sum(r.quarantined for r in reports)
    blocked = [r.source for r in reports if r.blocked]
    status = "completed_with_blocked_batches" if blocked else "completed"
    if not build.kept:
        status = "completed_with_failed_audits"
    models = build.models if build.kept else []
    # Damage contained in a symbol or source (ops.incidents) does not change the status: the
    # rest of the run loaded. It is named in the message, the details and the summary.
    # A build that held subjects (transforms.isolation) is damage contained the same way.
    damage = list(dict.fromkeys([*(line for r in reports for line in r.damage), *build.damage]))
    new_incidents = sum(r.new_incidents for r in reports)
    message = (
        f"run {run_id} for {as_of}: fetched {fetched}, loaded {loaded} new or changed, "
        f"quarantined {quarantined}, {build.line()}"
        + (f"; blocked: {', '.join(blocked)}" if blocked else "")
        + (f"; damage contained: {len(damage)} ({new_incidents} new)" if damage else "")
    )
    message += f"; alerts: {alerts['new_events']} new, {alerts['delivery']}"
    details = {
        "sources": [r.as_dict() for r in reports],
        "models": [str(m) for m in models],
        "audits": [a.as_dict() for a in build.audits],
        "alerts": alerts,
        "damage": damage,
    }
    return {
        "status": status,
        "run_id": run_id,
        "as_of": as_of.isoformat(),
        "message": message,
        "sources": details["sources"],
        "damage": damage,
        "alerts": alerts,
        "ops": {
            "status": status,
            "message": message,
            "fetched_rows": fetched,
            "loaded_rows": loaded,
            "quarantined_rows": quarantined,
            "built_models": len(models),
            "details": details,
        },
    }
