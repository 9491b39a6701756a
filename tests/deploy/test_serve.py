"""``rotation serve``: the deployment objects it serves, built without a server."""

from __future__ import annotations

from typing import Any

import pytest

from flows import serve as serve_module


def test_build_deployments_daily_on_cron_backfill_on_demand() -> None:
    from prefect.client.schemas.objects import ConcurrencyLimitStrategy

    daily, backfill = serve_module.build_deployments("rotation.toml")

    assert (daily.name, daily.flow_name) == ("daily", "daily-run")
    assert daily.entrypoint == "flows/daily.py:daily_run"
    (schedule,) = daily.schedules
    assert schedule.schedule.cron == "30 18 * * 1-5"
    assert schedule.schedule.timezone == "America/New_York"
    assert schedule.active
    assert (backfill.name, backfill.flow_name, backfill.schedules) == ("backfill", "backfill", [])
    assert backfill.entrypoint == "flows/daily.py:backfill"
    for deployment in (daily, backfill):
        assert deployment.concurrency_limit == 1
        assert deployment.concurrency_options.collision_strategy is ConcurrencyLimitStrategy.ENQUEUE
        assert deployment.parameters == {"config_path": "rotation.toml"}
        assert deployment.work_pool_name is None  # served: no pool
    # The backfill needs its window from whoever starts it.
    assert backfill._parameter_openapi_schema.required == ["start", "end"]


def test_no_config_path_means_the_flows_default_lookup() -> None:
    daily, backfill = serve_module.build_deployments()

    assert daily.parameters == {} and backfill.parameters == {}


def test_serve_forever_serves_both_with_one_run_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(serve_module, "serve", lambda *a, **kw: calls.append((a, kw)))

    serve_module.serve_forever("rotation.toml")

    ((deployments, options),) = calls
    assert [d.name for d in deployments] == ["daily", "backfill"]
    assert options == {"limit": 1, "pause_on_shutdown": True}
