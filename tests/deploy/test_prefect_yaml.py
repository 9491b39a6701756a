"""prefect.yaml: it loads and validates, its schedule is the documented one, its entrypoints are
real flows with the declared parameters, and it agrees with ``rotation serve``."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PREFECT_YAML = REPO / "prefect.yaml"


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return yaml.safe_load(PREFECT_YAML.read_text())


def _deployment(config: dict[str, Any], name: str) -> dict[str, Any]:
    return next(d for d in config["deployments"] if d["name"] == name)


def test_prefect_yaml_validates_with_prefects_own_model(config: dict[str, Any]) -> None:
    from prefect.cli.deploy._models import PrefectYamlModel

    model = PrefectYamlModel.model_validate(config)

    assert [d.name for d in model.deployments] == ["daily", "backfill"]
    assert model.build is None and model.push is None
    assert model.pull == [
        {"prefect.deployments.steps.set_working_directory": {"directory": "{{ $ROTATION_HOME }}"}}
    ]
    for deployment in model.deployments:
        assert deployment.work_pool is not None and deployment.work_pool.name == "rotation"
        assert deployment.concurrency_limit is not None
        assert deployment.concurrency_limit.limit == 1  # type: ignore[union-attr]
        assert deployment.concurrency_limit.collision_strategy == "ENQUEUE"  # type: ignore[union-attr]


def test_daily_cron_is_weekdays_after_the_close_in_new_york(config: dict[str, Any]) -> None:
    # The server's schedule model: what its scheduler expands into flow runs.
    from prefect.server.schemas.schedules import CronSchedule

    (schedule,) = _deployment(config, "daily")["schedules"]
    assert schedule == {
        "cron": "30 18 * * 1-5",
        "timezone": "America/New_York",
        "active": True,
    }
    cron = CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])
    # The week of 2025-03-10 straddles the switch to daylight saving time (Sunday 03-09) and a
    # weekend: every run is at 18:30 New York time, Monday to Friday, after the 16:00 close.
    start = dt.datetime(2025, 3, 7, 12, tzinfo=ZoneInfo("America/New_York"))
    runs = asyncio.run(cron.get_dates(n=5, start=start))
    new_york = [r.astimezone(ZoneInfo("America/New_York")) for r in runs]
    assert [d.date() for d in new_york] == [
        dt.date(2025, 3, 7),
        dt.date(2025, 3, 10),
        dt.date(2025, 3, 11),
        dt.date(2025, 3, 12),
        dt.date(2025, 3, 13),
    ]
    assert {(d.hour, d.minute) for d in new_york} == {(18, 30)}
    assert {r.astimezone(dt.UTC).hour for r in runs} == {23, 22}  # EST, then EDT


def test_backfill_runs_only_on_demand(config: dict[str, Any]) -> None:
    assert _deployment(config, "backfill")["schedules"] == []


def test_entrypoints_are_the_flows_with_their_parameters(config: dict[str, Any]) -> None:
    from prefect.flows import load_flow_from_entrypoint

    expected = {
        "daily": ("daily-run", {"as_of", "replay_dir", "config_path"}, set()),
        "backfill": (
            "backfill",
            {"start", "end", "replay_dir", "config_path", "chunk_sessions"},
            {"start", "end"},
        ),
    }
    for deployment in config["deployments"]:
        flow_name, parameters, required = expected[deployment["name"]]
        path = deployment["entrypoint"].partition(":")[0]
        assert (REPO / path).is_file()
        flow = load_flow_from_entrypoint(str(REPO / deployment["entrypoint"]))
        assert flow.name == flow_name
        signature = inspect.signature(flow.fn)
        assert set(signature.parameters) == parameters
        assert {
            n for n, p in signature.parameters.items() if p.default is inspect.Parameter.empty
        } == required
        # Parameters fixed in the file must be ones the flow takes.
        assert set(deployment["parameters"]) <= parameters


def test_serve_declares_the_same_schedule_as_prefect_yaml(config: dict[str, Any]) -> None:
    from flows import serve

    (schedule,) = _deployment(config, "daily")["schedules"]
    assert schedule["cron"] == serve.DAILY_CRON
    assert schedule["timezone"] == serve.TIMEZONE
    assert serve.DAILY_DEPLOYMENT == "daily" and serve.BACKFILL_DEPLOYMENT == "backfill"
