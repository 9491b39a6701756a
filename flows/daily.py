"""The daily run and the backfill, as Prefect flows: named stages, no logic.

One flow does every source, the build and the alerts in sequence so DuckDB's single-writer
lock is taken once per run and never contested between sources. The stage bodies live in
``flows.stages`` (plain functions); here they only become tasks with names and retries.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows import fundamentals, member_prices, stages
from rotation import calendar
from rotation.db import publish_copy, writer_lock, writing
from rotation.progress import Steps
from rotation.runs import finish_run, start_run
from rotation.settings import Settings, load_settings
from sources.edgar import quarter_bounds

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
    fundamentals.load_fundamentals
)
load_member_prices = task(name="load-member-prices", cache_policy=NO_CACHE)(
    member_prices.load_member_prices
)
build_models = task(name="build-models", cache_policy=NO_CACHE)(stages.build_models)
alert = task(name="evaluate-and-deliver-alerts", cache_policy=NO_CACHE)(
    stages.evaluate_and_deliver_alerts
)
publish = task(name="publish-read-only-copy", cache_policy=NO_CACHE)(publish_copy)
report = task(name="report-and-artifact", cache_policy=NO_CACHE)(stages.report_and_summary)


def _run_id() -> str:
    return str(flow_run.id or uuid.uuid4())


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
    """
    settings = load_settings(flow_run.parameters.get("config_path"))
    db_path = settings.storage.path
    message = f"{flow.name} failed: {state.message or 'no message'}"[:2000]
    with writer_lock(db_path, timeout_s=60):
        stages.record_failure_alert(db_path, settings, str(flow_run.id), flow.name, message)


@flow(name="daily-run", log_prints=True, on_failure=[alert_on_failure])
def daily_run(
    as_of: dt.date | None = None,
    replay_dir: str | None = None,
    config_path: str | None = None,
) -> dict[str, Any]:
    """One run for the session ``as_of`` (default: today in New York)."""
    logger = get_run_logger()
    settings = _settings(config_path)
    as_of = as_of or calendar.today_in_new_york()
    if not calendar.is_session(as_of):
        message = f"{as_of} is not an NYSE session (weekend or holiday): nothing to do"
        logger.info(message)
        create_markdown_artifact(key="rotation-run-summary", markdown=f"# Skipped\n\n{message}")
        return {"status": "skipped", "as_of": as_of.isoformat(), "message": message}

    db_path = settings.storage.path
    run_id = _run_id()
    with writer_lock(db_path, timeout_s=settings.storage.lock_timeout_s):
        with writing(db_path) as con:
            if interrupted := start_run(con, run_id, "daily-run", as_of):
                logger.warning("marked %d earlier run(s) as interrupted", interrupted)
        try:
            start, end, why = stages.price_window(db_path, as_of, settings.prices)
            logger.info("prices: fetching %s to %s: %s", start, end, why)
            source = stages.price_source(settings, replay_dir)
            batch = fetch_prices(source, settings.prices.symbols, start, end)
            prices = validate_and_load_prices(
                db_path,
                batch,
                rules=stages.price_rules(settings.prices),
                run_id=run_id,
                start=start,
                end=end,
            )
            days = stages.edgar_days(as_of, settings.prices.lookback_sessions)
            edgar = validate_and_load_source(
                db_path, fetch_edgar(settings, replay_dir, days), run_id=run_id
            )
            nasdaq = validate_and_load_source(
                db_path, fetch_nasdaq(settings, replay_dir, as_of), run_id=run_id
            )
            fred = validate_and_load_source(
                db_path, fetch_fred(settings, replay_dir), run_id=run_id
            )
            constituents = load_fundamentals(db_path, settings, replay_dir, as_of, run_id=run_id)
            members = load_member_prices(db_path, settings, replay_dir, as_of, run_id=run_id)
            models = build_models(db_path, settings)
            alerts = alert(db_path, settings, as_of, run_id)
        except BaseException as exc:
            _record_failure(db_path, settings, run_id, "daily-run", exc)
            raise
        summary = _summary(
            run_id, as_of, [prices, edgar, nasdaq, fred, *constituents, members], models, alerts
        )
        with writing(db_path) as con:
            finish_run(con, run_id, **summary["ops"])
        publish(db_path, settings.published_path, settings.storage.published_storage_version)
    markdown = report(settings, summary, as_of)
    create_markdown_artifact(key="rotation-run-summary", markdown=markdown)
    logger.info(summary["message"])
    return summary


@flow(name="backfill", log_prints=True, on_failure=[alert_on_failure])
def backfill(
    start: dt.date,
    end: dt.date,
    replay_dir: str | None = None,
    config_path: str | None = None,
    chunk_sessions: int = 1260,
) -> dict[str, Any]:
    """Load history from ``start`` to ``end`` in chunks (newest first), then build once.

    Resumable: a chunk that loaded is recorded in ``ops.backfill_chunks`` and skipped when the
    same backfill runs again after an interruption.
    """
    logger = get_run_logger()
    settings = _settings(config_path)
    db_path = settings.storage.path
    run_id = _run_id()
    chunks = stages.backfill_chunks(start, end, chunk_sessions, settings.prices.lookback_sessions)
    prices_scope = stages.price_scope(settings.prices.symbols, replay_dir)
    edgar_scope = stages.backfill_scope("edgar", replay_dir)
    reports = []
    with writer_lock(db_path, timeout_s=settings.storage.lock_timeout_s):
        with writing(db_path) as con:
            start_run(con, run_id, "backfill", end)
            done = stages.completed_chunks(con, prices_scope)
            edgar_done = stages.completed_chunks(con, edgar_scope)
        try:
            source = stages.price_source(settings, replay_dir)
            with Steps(len(chunks), "prices", logger) as steps:
                for chunk_start, chunk_end in chunks:
                    label = f"{chunk_start} to {chunk_end}"
                    if (chunk_start, chunk_end) in done:
                        steps.advance(f"{label} already loaded, skipped")
                        continue
                    batch = fetch_prices(source, settings.prices.symbols, chunk_start, chunk_end)
                    report = validate_and_load_prices(
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

            quarters = stages.edgar_quarters(start, end)
            with Steps(len(quarters), "edgar quarters", logger) as steps:
                for year, quarter in quarters:
                    bounds = quarter_bounds(year, quarter)
                    if bounds in edgar_done:
                        steps.advance(f"{year}Q{quarter} already loaded, skipped")
                        continue
                    fetched = fetch_edgar(settings, replay_dir, quarters=[(year, quarter)])
                    report = validate_and_load_source(db_path, fetched, run_id=run_id)
                    reports.append(report)
                    if report.skipped and not report.fetched:
                        steps.advance(f"{year}Q{quarter}: skipped ({'; '.join(report.messages)})")
                        break  # not configured or down: the other quarters would say the same
                    if not report.blocked:
                        with writing(db_path) as con:
                            stages.mark_chunk_done(con, run_id, edgar_scope, *bounds)
                    steps.advance(f"{year}Q{quarter}: {report.loaded} filings loaded")

            months = stages.nasdaq_months(start, end)
            reports.append(
                validate_and_load_source(
                    db_path, fetch_nasdaq(settings, replay_dir, end, months), run_id=run_id
                )
            )
            reports.append(
                validate_and_load_source(db_path, fetch_fred(settings, replay_dir), run_id=run_id)
            )
            reports.extend(load_fundamentals(db_path, settings, replay_dir, end, run_id=run_id))
            models = build_models(db_path, settings)
            alerts = alert(
                db_path, settings, end, run_id, deliver=settings.alerts.deliver_on_backfill
            )
        except BaseException as exc:
            _record_failure(db_path, settings, run_id, "backfill", exc)
            raise
        summary = _summary(run_id, end, reports, models, alerts)
        with writing(db_path) as con:
            finish_run(con, run_id, **summary["ops"])
        publish(db_path, settings.published_path, settings.storage.published_storage_version)
    logger.info(summary["message"])
    return summary


def _record_failure(
    db_path: str, settings: Settings, run_id: str, flow_name: str, exc: BaseException
) -> None:
    """Mark the run failed in ``ops.runs`` (the alert comes from the failure hook)."""
    message = f"{type(exc).__name__}: {exc}"[:2000]
    with writing(db_path) as con:
        finish_run(con, run_id, status="failed", message=message)


def _summary(
    run_id: str,
    as_of: dt.date,
    reports: list[stages.SourceReport],
    models: list[Any],
    alerts: dict[str, Any],
) -> dict[str, Any]:
    fetched = sum(r.fetched for r in reports)
    loaded = sum(r.loaded for r in reports)
    quarantined = sum(r.quarantined for r in reports)
    blocked = [r.source for r in reports if r.blocked]
    status = "completed_with_blocked_batches" if blocked else "completed"
    message = (
        f"run {run_id} for {as_of}: fetched {fetched}, loaded {loaded} new or changed, "
        f"quarantined {quarantined}, built {len(models)} models"
        + (f"; blocked: {', '.join(blocked)}" if blocked else "")
    )
    message += f"; alerts: {alerts['new_events']} new, {alerts['delivery']}"
    details = {
        "sources": [r.as_dict() for r in reports],
        "models": [str(m) for m in models],
        "alerts": alerts,
    }
    return {
        "status": status,
        "run_id": run_id,
        "as_of": as_of.isoformat(),
        "message": message,
        "sources": details["sources"],
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
