"""``rotation serve``: the schedules in one long-running process, for a user with one machine.

Prefect's ``serve`` registers the deployments with a Prefect server and runs their flow runs
as subprocesses of this process: no work pool, no worker, no image. It needs a real server
(``prefect server start``, or Prefect Cloud): an ephemeral one cannot schedule.

The schedule is the one ``prefect.yaml`` declares for the work-pool path (a test keeps them
equal); its names and times live in ``flows.deployments``.

One writer at a time: DuckDB allows a single read-write process. ``serve(limit=1)`` runs at
most one flow run of this process at a time (a backfill started while the daily run works
waits for it), each deployment also carries a concurrency limit of 1 that queues rather than
cancels, and the flows take the database's writer lock as the last guard.
"""

from __future__ import annotations

from typing import Any

from prefect import serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.schedules import Cron

from flows.daily import backfill, daily_run
from flows.deployments import (
    BACKFILL_DEPLOYMENT,
    DAILY_CRON,
    DAILY_DEPLOYMENT,
    SERVE_LIMIT,
    TAGS,
    TIMEZONE,
)

__all__ = [  # the names tests and users know from this module, defined in flows.deployments
    "BACKFILL_DEPLOYMENT",
    "DAILY_CRON",
    "DAILY_DEPLOYMENT",
    "SERVE_LIMIT",
    "TAGS",
    "TIMEZONE",
    "build_deployments",
    "serve_forever",
]


def one_at_a_time() -> ConcurrencyLimitConfig:
    """A second run of the same deployment waits for the first (never cancelled, never run)."""
    return ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)


def build_deployments(
    config_path: str | None = None, *, cron: str = DAILY_CRON, timezone: str = TIMEZONE
) -> list[Any]:
    """The daily run on its weekday schedule and the on-demand backfill (no server needed)."""
    shared = {"config_path": config_path} if config_path else {}
    daily = daily_run.to_deployment(
        name=DAILY_DEPLOYMENT,
        schedules=[Cron(cron, timezone=timezone)],
        parameters=shared,
        concurrency_limit=one_at_a_time(),
        description="The daily run after the US close: fetch, validate, load, build, alert.",
        tags=TAGS,
    )
    back = backfill.to_deployment(
        name=BACKFILL_DEPLOYMENT,
        parameters=shared,
        concurrency_limit=one_at_a_time(),
        description="Load history from start to end in resumable chunks; run on demand.",
        tags=TAGS,
    )
    return [daily, back]


def serve_forever(config_path: str | None = None) -> None:
    """Register both deployments and run their schedules until stopped (SIGTERM, Ctrl-C).

    Schedules are paused on shutdown, so a stopped service does not pile up late runs that a
    restart would then start all at once.
    """
    _install_missed_run_automation(config_path)
    serve(*build_deployments(config_path), limit=SERVE_LIMIT, pause_on_shutdown=True)


def _install_missed_run_automation(config_path: str | None) -> None:
    """With ``[heartbeat] prefect_notify_block`` set, the server also watches for missing
    runs (``flows.automation``). A failure to install is one log line: the schedules matter
    more than the automation, and the heartbeat and ``status --check`` still watch."""
    import logging

    from rotation.settings import load_settings

    block = load_settings(config_path).heartbeat.prefect_notify_block
    if not block:
        return
    from flows.automation import install

    log = logging.getLogger(__name__)
    try:
        made = install(block)
    except Exception as exc:  # a missing block, a server that refuses: say so, keep serving
        log.error("missed-run automation not installed (block %r): %s", block, exc)
        return
    print(f"missed-run automation {made.name!r} installed (notifies through {block})")
