"""deploy/: the systemd units and the environment example agree with the code they start."""

from __future__ import annotations

import configparser
import dataclasses
import shlex
from pathlib import Path

import pytest
import yaml

from rotation import settings as settings_module

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
UNITS = ("rotation-server.service", "rotation-serve.service", "rotation-worker.service")


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string((DEPLOY / name).read_text())
    return parser


def _env_example() -> dict[str, str]:
    values = {}
    for number, line in enumerate((DEPLOY / "rotation.env.example").read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep and key == key.strip() and " " not in key, f"line {number}: {line!r}"
        assert not value.startswith(("'", '"')), f"line {number}: systemd keeps quotes literally"
        values[key] = value
    return values


@pytest.mark.parametrize("name", UNITS)
def test_units_run_as_a_service_user_with_the_env_file(name: str) -> None:
    unit = _unit(name)

    service = unit["Service"]
    assert service["User"] == "rotation"
    assert service["EnvironmentFile"] == "/etc/rotation/rotation.env"
    assert service["WorkingDirectory"] == "/opt/rotation-monitor"
    assert service["ExecStart"].startswith("/opt/rotation-monitor/.venv/bin/")
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_server_listens_where_the_env_file_points() -> None:
    command = shlex.split(_unit("rotation-server.service")["Service"]["ExecStart"])

    assert command[1:4] == ["server", "start", "--host"]
    host, port = command[4], command[command.index("--port") + 1]
    assert _env_example()["PREFECT_API_URL"] == f"http://{host}:{port}/api"


def test_worker_polls_the_pool_prefect_yaml_deploys_to() -> None:
    command = shlex.split(_unit("rotation-worker.service")["Service"]["ExecStart"])
    config = yaml.safe_load((REPO / "prefect.yaml").read_text())

    pool = command[command.index("--pool") + 1]
    assert {d["work_pool"]["name"] for d in config["deployments"]} == {pool}
    assert command[command.index("--type") + 1] == "process"


def test_serve_unit_starts_rotation_serve_after_the_server() -> None:
    unit = _unit("rotation-serve.service")

    assert shlex.split(unit["Service"]["ExecStart"])[1:] == ["serve"]
    assert unit["Unit"]["After"] == "rotation-server.service"
    from cli.main import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert "serve" in commands, "the unit starts `rotation serve`: the CLI must have it"


def test_env_example_names_only_real_settings() -> None:
    env = _env_example()
    known = {"ROTATION_CONFIG", "ROTATION_HOME"}
    known |= {f"ROTATION_{f.name}".upper() for f in dataclasses.fields(settings_module.Secrets)}
    for section, cls in settings_module._SECTION_TYPES.items():
        known |= {f"ROTATION_{section}_{f.name}".upper() for f in dataclasses.fields(cls)}

    unknown = {k for k in env if k.startswith("ROTATION_")} - known
    assert not unknown, f"not settings: {sorted(unknown)}"
    assert env["ROTATION_HOME"] == "/opt/rotation-monitor"
    # The example's values parse (the config file it names is the checkout's own).
    example = {k: v for k, v in env.items() if k != "ROTATION_CONFIG"}
    loaded = settings_module.load_settings(REPO / "rotation.toml", env=example)
    assert loaded.storage.path == env["ROTATION_STORAGE_PATH"]


def test_every_file_the_services_write_is_absolute_in_the_state_directory() -> None:
    """A relative default (data/alerts.jsonl) resolves against WorkingDirectory, the checkout,
    which the service user cannot write: the example must give each one an absolute path."""
    env = _env_example()
    state = "/var/lib/" + _unit("rotation-serve.service")["Service"]["StateDirectory"]
    loaded = settings_module.load_settings(
        REPO / "rotation.toml", env={k: v for k, v in env.items() if k != "ROTATION_CONFIG"}
    )
    written = {
        "ROTATION_STORAGE_PATH": loaded.storage.path,
        "ROTATION_ALERTS_CONSOLE_JSONL_PATH": loaded.alerts.console_jsonl_path,
        "published copy": loaded.published_path,
        "PREFECT_HOME": env["PREFECT_HOME"],
        "MPLCONFIGDIR": env["MPLCONFIGDIR"],
    }
    for name, path in written.items():
        assert Path(path).is_absolute() and path.startswith(state + "/"), (name, path)
    # Every path-like setting with a relative default is overridden in the example.
    defaults = settings_module.Settings()
    for section, cls in settings_module._SECTION_TYPES.items():
        for f in dataclasses.fields(cls):
            value = getattr(getattr(defaults, section), f.name)
            if f.name.endswith("path") and value and not Path(value).is_absolute():
                assert f"ROTATION_{section}_{f.name}".upper() in env, (section, f.name)


def test_stage_loggers_reach_prefect_as_the_cli_sets_them() -> None:
    from cli.main import PREFECT_DEFAULTS

    wanted = PREFECT_DEFAULTS["PREFECT_LOGGING_EXTRA_LOGGERS"]
    assert _env_example()["PREFECT_LOGGING_EXTRA_LOGGERS"] == wanted
    packages = {
        "flows",
        "pipeline",
        "sources",
        "quality",
        "transforms",
        "alerts",
        "reporting",
        "rotation",
    }
    assert set(wanted.split(",")) == packages


def test_the_check_timer_runs_status_check_after_the_run_is_due() -> None:
    from cli.status import SCHEDULED_AT

    service = _unit("rotation-check.service")["Service"]
    assert service["Type"] == "oneshot" and service["User"] == "rotation"
    assert shlex.split(service["ExecStart"])[1:] == ["status", "--check"]
    assert service["EnvironmentFile"] == "/etc/rotation/rotation.env"

    text = (DEPLOY / "rotation-check.timer").read_text()
    timer = _unit("rotation-check.timer")["Timer"]
    assert timer["Unit"] == "rotation-check.service" and timer["Persistent"] == "true"
    evening = next(line for line in text.splitlines() if line.startswith("OnCalendar=Mon..Fri"))
    _weekdays, clock, zone = evening.split("=", 1)[1].split()
    hour, minute = map(int, clock.split(":"))
    due = settings_module.HeartbeatSettings().due_after_minutes
    scheduled = SCHEDULED_AT.hour * 60 + SCHEDULED_AT.minute
    assert zone == "America/New_York" and hour * 60 + minute >= scheduled + due
