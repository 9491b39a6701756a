"""Settings: defaults, the TOML file, environment overrides, and errors that name the key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rotation.settings import Pair, SettingsError, load_settings


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    assert settings.storage.path == "data/rotation.duckdb"
    assert settings.prices.symbols == ("SPY", "IWM", "IWB", "IWC", "^RUT", "^GSPC", "^RUI", "^VIX")
    assert [p.name for p in settings.prices.pairs] == [
        "IWM/SPY", "IWM/IWB", "IWC/SPY", "^RUT/^GSPC", "^RUT/^RUI",
    ]  # fmt: skip
    assert settings.published_path == "data/rotation.read.duckdb"
    assert settings.alerts.channels == ("console",)


def test_file_then_environment(tmp_path: Path) -> None:
    config = tmp_path / "custom.toml"
    config.write_text(
        '[storage]\npath = "from-file.duckdb"\n'
        '[prices]\nsymbols = ["IWM", "SPY"]\nlookback_sessions = 5\n'
        'history_start = 2001-02-03\nmax_daily_move_overrides = { "IWM" = 0.3 }\n'
    )
    settings = load_settings(
        config, env={"ROTATION_STORAGE_PATH": "from-env.duckdb", "ROTATION_PRICES_PAIRS": "IWM/SPY"}
    )
    assert settings.storage.path == "from-env.duckdb"  # environment beats the file
    assert settings.prices.symbols == ("IWM", "SPY")
    assert settings.prices.lookback_sessions == 5
    assert settings.prices.history_start == dt.date(2001, 2, 3)
    assert settings.prices.max_daily_move_overrides == {"IWM": 0.3}
    assert settings.prices.pairs == (Pair("IWM", "SPY"),)


def test_config_from_environment_variable(tmp_path: Path) -> None:
    config = tmp_path / "x.toml"
    config.write_text('[storage]\npath = "x.duckdb"\n')
    assert load_settings(env={"ROTATION_CONFIG": str(config)}).storage.path == "x.duckdb"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[prices]\nlookbak_sessions = 3\n", "unknown setting(s) in [prices]: lookbak_sessions"),
        ("[pricez]\n", "unknown section(s)"),
        ('[prices]\nlookback_sessions = "ten"\n', "[prices] lookback_sessions: 'ten' is not valid"),
        ('[prices]\npairs = ["IWM-SPY"]\n', "must look like SMALL/LARGE"),
        ('[prices]\npairs = ["IWM/^GSPC"]\n', "mixes a price index with a fund"),
        ("[prices\n", "is not valid TOML"),
    ],
)
def test_bad_settings_name_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(SettingsError, match=None) as error:
        load_settings(config, env={})
    assert message in str(error.value)


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="ROTATION_PRICES_LOOKBACK_SESSIONS"):
        load_settings(env={"ROTATION_PRICES_LOOKBACK_SESSIONS": "many"})


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", env={})


def test_secrets_come_from_the_environment_and_never_print() -> None:
    hook = "https://hooks.slack.invalid/T000/B000/secret-token"
    settings = load_settings(
        env={"ROTATION_SLACK_WEBHOOK_URL": hook, "ROTATION_SMTP_PASSWORD": "hunter2"}
    )
    assert settings.secrets.slack_webhook_url == hook
    assert "secret-token" not in repr(settings) and "hunter2" not in repr(settings)
    assert "secret-token" not in repr(settings.secrets)


def test_committed_example_config_loads() -> None:
    example = Path(__file__).resolve().parents[2] / "rotation.toml"
    settings = load_settings(example, env={})
    assert settings.prices.pairs[0].name == "IWM/SPY"


def test_committed_rules_are_the_embedded_defaults() -> None:
    from alerts.defaults import DEFAULT_RULES

    example = Path(__file__).resolve().parents[2] / "rotation.toml"
    assert [dict(r) for r in load_settings(example, env={}).rules] == [
        dict(r) for r in DEFAULT_RULES
    ]
