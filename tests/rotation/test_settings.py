"""Settings: defaults, the TOML file, environment overrides, and errors that name the key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rotation.settings import Pair, SettingsError, load_settings


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    assert settings.storage.path == str(tmp_path / "data" / "rotation.duckdb")
    assert settings.prices.symbols == ("SPY", "IWM", "IWB", "IWC", "^RUT", "^GSPC", "^RUI", "^VIX")
    assert [p.name for p in settings.prices.pairs] == [
        "IWM/SPY", "IWM/IWB", "IWC/SPY", "^RUT/^GSPC", "^RUT/^RUI",
    ]  # fmt: skip
    assert settings.published_path == str(tmp_path / "data" / "rotation.read.duckdb")
    assert settings.alerts.console_jsonl_path == str(tmp_path / "data" / "alerts.jsonl")
    assert settings.alerts.channels == ("console",)


def test_file_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "custom.toml"
    config.write_text(
        '[storage]\npath = "from-file.duckdb"\n'
        '[prices]\nsymbols = ["IWM", "SPY"]\nlookback_sessions = 5\n'
        'history_start = 2001-02-03\nmax_daily_move_overrides = { "IWM" = 0.3 }\n'
    )
    settings = load_settings(
        config, env={"ROTATION_STORAGE_PATH": "from-env.duckdb", "ROTATION_PRICES_PAIRS": "IWM/SPY"}
    )
    # environment beats the file; a relative path from the environment: the working directory
    assert settings.storage.path == str(tmp_path / "from-env.duckdb")
    assert settings.prices.symbols == ("IWM", "SPY")
    assert settings.prices.lookback_sessions == 5
    assert settings.prices.history_start == dt.date(2001, 2, 3)
    assert settings.prices.max_daily_move_overrides == {"IWM": 0.3}
    assert settings.prices.pairs == (Pair("IWM", "SPY"),)


def test_config_from_environment_variable(tmp_path: Path) -> None:
    config = tmp_path / "x.toml"
    config.write_text('[storage]\npath = "x.duckdb"\n')
    settings = load_settings(env={"ROTATION_CONFIG": str(config)})
    assert settings.storage.path == str(tmp_path / "x.duckdb")


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


def test_relative_paths_resolve_against_the_config_files_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run started from another directory writes to the same files as one started beside
    the configuration."""
    folder = tmp_path / "etc"
    folder.mkdir()
    (folder / "rotation.toml").write_text(
        '[storage]\npath = "db/r.duckdb"\n[alerts]\nconsole_jsonl_path = "log/a.jsonl"\n'
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    settings = load_settings(folder / "rotation.toml", env={})
    assert settings.storage.path == str(folder / "db" / "r.duckdb")
    assert settings.published_path == str(folder / "db" / "r.read.duckdb")
    assert settings.alerts.console_jsonl_path == str(folder / "log" / "a.jsonl")
    absolute = load_settings(
        folder / "rotation.toml", env={"ROTATION_STORAGE_PATH": str(tmp_path / "x.duckdb")}
    )
    assert absolute.storage.path == str(tmp_path / "x.duckdb")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[prices]\nlookback_sessions = 0\n",
         "setting [prices] lookback_sessions: 0 is out of range (allowed: a whole number from 1 "
         "to 260)"),
        ("[prices]\nlookback_sessions = 2.5\n",
         "setting [prices] lookback_sessions: 2.5 is not valid (expected a whole number)"),
        ("[prices]\nlookback_sessions = true\n", "expected a whole number"),
        ("[prices]\nmax_daily_move = nan\n",
         "setting [prices] max_daily_move: nan is not valid (expected a finite number)"),
        ("[prices]\nmax_daily_move = inf\n", "expected a finite number"),
        ("[prices]\nmax_daily_move = -0.1\n", "(allowed: a number above 0)"),
        ('[prices]\nmax_daily_move_overrides = { "^VIX" = nan }\n',
         "[prices] max_daily_move_overrides.^VIX: nan is not valid (expected a finite number)"),
        ('[prices]\nmax_daily_move_overrides = { "^VIX" = 0 }\n', "0.0 is out of range"),
        ("[prices]\nmax_attempts = 0\n", "(allowed: a whole number from 1 to 10)"),
        ("[prices]\ndownload_timeout_s = 0\n", "[prices] download_timeout_s: 0.0 is out of"),
        ("[alerts]\nsmtp_port = 0\n",
         "setting [alerts] smtp_port: 0 is out of range (allowed: a whole number from 1 to "
         "65535)"),
        ("[alerts]\nsmtp_port = 70000\n", "70000 is out of range"),
        ('[alerts]\nchannels = ["console", "sms"]\n',
         "setting [alerts] channels: 'sms' is not allowed (allowed: 'console', 'slack', "
         "'email', 'alertmanager', 'apprise')"),
        ('[alerts]\nsmtp_security = "tls"\n', "[alerts] smtp_security: 'tls' is not allowed"),
        ("[alerts]\nslack_min_interval_s = -1\n", "(allowed: a number from 0 to 60)"),
        ("[edgar]\nmax_requests_per_s = 20\n",
         "setting [edgar] max_requests_per_s: 20.0 is out of range (allowed: a number above 0, "
         "up to 10)"),
        ("[edgar]\nmax_requests_per_s = 0\n", "above 0"),
        ("[edgar]\ntimeout_s = -5\n", "[edgar] timeout_s: -5.0 is out of range"),
        ("[nasdaq]\nmonths_back = -1\n", "[nasdaq] months_back: -1 is out of range"),
        ("[fred]\ntimeout_s = nan\n", "[fred] timeout_s: nan is not valid"),
        ("[storage]\nlock_timeout_s = -1\n", "[storage] lock_timeout_s: -1.0 is out of range"),
        ('[storage]\npath = "md:rotation"\n',
         "setting [storage] path: MotherDuck (md:) names are not supported; give a file path"),
        ('[storage]\npath = "a.duckdb"\npublished_path = "a.duckdb"\n',
         "[storage] published_path: must differ from [storage] path"),
        ('[storage]\npublished_storage_version = "v9"\n',
         "[storage] published_storage_version: 'v9' is not allowed"),
        ("[edgar]\nuser_agent = 5\n", "[edgar] user_agent: 5 is not valid (expected a string)"),
        ("[prices]\nsymbols = []\n", "setting [prices] symbols: needs at least 1 item(s)"),
        ('[prices]\npairs = ["IWM/QQQ"]\n',
         "setting [prices] pairs: IWM/QQQ uses QQQ, which is not in [prices] symbols"),
    ],
)  # fmt: skip
def test_each_bad_value_is_one_line_naming_key_and_range(
    tmp_path: Path, text: str, message: str
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(SettingsError) as error:
        load_settings(config, env={})
    assert message in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ROTATION_PRICES_LOOKBACK_SESSIONS": "0"},
         "setting ROTATION_PRICES_LOOKBACK_SESSIONS: 0 is out of range"),
        ({"ROTATION_PRICES_LOOKBACK_SESSIONS": "2.5"}, "expected a whole number"),
        ({"ROTATION_PRICES_MAX_DAILY_MOVE": "NaN"}, "expected a finite number"),
        ({"ROTATION_ALERTS_SMTP_PORT": "99999"}, "ROTATION_ALERTS_SMTP_PORT: 99999 is out of"),
        ({"ROTATION_EDGAR_MAX_REQUESTS_PER_S": "50"}, "(allowed: a number above 0, up to 10)"),
        ({"ROTATION_ALERTS_CHANNELS": "console,pager"}, "'pager' is not allowed"),
        ({"ROTATION_STORAGE_PATH": "md:my_db"}, "MotherDuck (md:) names are not supported"),
        ({"ROTATION_PRICES_LOOKBAK_SESSIONS": "5"},
         "unknown environment variable ROTATION_PRICES_LOOKBAK_SESSIONS; did you mean "
         "ROTATION_PRICES_LOOKBACK_SESSIONS?"),
        ({"ROTATION_SLACK_WEBHOOK": "https://hooks.slack.invalid/x"},
         "did you mean ROTATION_SLACK_WEBHOOK_URL?"),
    ],
)  # fmt: skip
def test_each_bad_environment_variable_is_one_line(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(env=env)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_known_non_setting_variables_are_accepted(tmp_path: Path) -> None:
    config = tmp_path / "r.toml"
    config.write_text("")
    settings = load_settings(
        env={"ROTATION_CONFIG": str(config), "ROTATION_HOME": str(tmp_path),
             "ROTATION_SLACK_WEBHOOK_URL": "https://hooks.slack.invalid/x",
             "ROTATION_SMTP_PASSWORD": "pw"}
    )  # fmt: skip
    assert settings.secrets.smtp_password == "pw"


def test_whole_numbers_and_bounds_at_their_edges_load(tmp_path: Path) -> None:
    config = tmp_path / "edge.toml"
    config.write_text(
        "[prices]\nlookback_sessions = 1\nmax_attempts = 10\n"
        "[alerts]\nsmtp_port = 65535\n[edgar]\nmax_requests_per_s = 10\n"
    )
    settings = load_settings(config, env={"ROTATION_NASDAQ_MONTHS_BACK": "+0"})
    assert settings.prices.lookback_sessions == 1 and settings.alerts.smtp_port == 65535
    assert settings.edgar.max_requests_per_s == 10.0 and settings.nasdaq.months_back == 0


def test_settings_know_every_alert_channel() -> None:
    from alerts.rules import CHANNEL_NAMES
    from rotation.settings import CHANNELS

    assert CHANNELS == CHANNEL_NAMES


def test_the_variables_the_pipeline_sets_itself_are_known() -> None:
    """The CLI tags a run's processes with the reaper's token; a run must not refuse it."""
    from flows.reaper import TOKEN_VARIABLE
    from rotation.settings import known_environment, load_settings

    assert TOKEN_VARIABLE in known_environment()
    load_settings(None, env={TOKEN_VARIABLE: "token"})  # no error


# Issue 15: a symbol becomes a file name and a URL part; one that is not ticker-shaped used to
# pass settings and fail the run with two tracebacks.
@pytest.mark.parametrize("symbol", ["IWM/SPY", "..", "../etc/passwd", "A..B", "IW M", "SPY\\\\x"])
def test_symbols_must_be_ticker_shaped(symbol: str) -> None:
    with pytest.raises(SettingsError, match=r"setting \[prices\] symbols: .* is not a ticker"):
        load_settings(env={"ROTATION_PRICES_SYMBOLS": f"SPY,{symbol}"})


def test_real_ticker_shapes_pass_and_funds_are_checked_too() -> None:
    symbols = "SPY,^GSPC,BRK-B,BF.B,GC=F,IWM"
    settings = load_settings(
        env={"ROTATION_PRICES_SYMBOLS": symbols, "ROTATION_BREADTH_BENCHMARK": "IWM",
             "ROTATION_PRICES_PAIRS": "IWM/SPY"}
    )  # fmt: skip
    assert settings.prices.symbols == tuple(symbols.split(","))
    with pytest.raises(SettingsError, match=r"\[holdings\] funds: 'IWM/x'"):
        load_settings(env={"ROTATION_HOLDINGS_FUNDS": "IWM/x"})


def test_a_rule_on_a_subject_not_configured_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli.main import main

    rule = (
        '[[rules]]\nname = "qqq_vs_spy"\nfamily = "relative_strength"\n'
        'indicator = "ratio_vs_ma200"\n'
        'subject = "QQQ/SPY"\ndirection = "below"\nthreshold = 0.0\nseverity = "info"\n'
        'kind = "catalyst"\n'
    )
    config = tmp_path / "rotation.toml"
    config.write_text(f'[storage]\npath = "{tmp_path / "r.duckdb"}"\n\n{rule}')
    assert main(["--config", str(config), "alerts", "silences"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "subject 'QQQ/SPY' is not configured" in err[0] and "IWM/SPY" in err[0]
    config.write_text(config.read_text().replace("QQQ/SPY", "IWM/SPY"))
    main(["--config", str(config), "alerts", "silences"])
    assert "not configured" not in capsys.readouterr().err


def test_the_committed_rules_all_name_configured_subjects() -> None:
    from alerts import load_rules
    from alerts.rules import check_subjects

    settings = load_settings(Path(__file__).resolve().parents[2] / "rotation.toml", env={})
    check_subjects(load_rules(settings.rules, settings.alerts), settings)
