"""Settings: one TOML file plus environment overrides, read once by the composition root.

Every setting has an embedded default, so the pipeline runs with no file at all. A file
(``rotation.toml`` in the working directory, ``$ROTATION_CONFIG`` or ``--config``) overrides
the defaults, and an environment variable named after a setting overrides the file:
``[storage] path`` is ``ROTATION_STORAGE_PATH``, ``[prices] symbols`` is
``ROTATION_PRICES_SYMBOLS`` (comma-separated). Secrets (webhook URLs, passwords) are never read
from the file: only from the environment, and they are never printed.

Unknown sections or keys are errors: a typo in a threshold must not silently use the default.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "ROTATION_"


class SettingsError(ValueError):
    """A setting is missing, unknown or has the wrong type; the message names it."""


@dataclass(frozen=True)
class Pair:
    """A small-cap instrument measured against a large-cap one, like with like."""

    small: str
    large: str

    @property
    def name(self) -> str:
        return f"{self.small}/{self.large}"

    @property
    def kind(self) -> str:
        """``price_index`` for two indices (^RUT/^GSPC), ``total_return`` for two funds."""
        return "price_index" if self.small.startswith("^") else "total_return"

    @classmethod
    def parse(cls, text: str) -> Pair:
        small, sep, large = text.strip().partition("/")
        if not sep or not small or not large:
            raise SettingsError(f"pair {text!r} must look like SMALL/LARGE, e.g. IWM/SPY")
        if small.startswith("^") != large.startswith("^"):
            raise SettingsError(
                f"pair {text!r} mixes a price index with a fund: compare indices with indices "
                "(^RUT/^GSPC) and total-return funds with funds (IWM/SPY)"
            )
        return cls(small.strip(), large.strip())


@dataclass(frozen=True)
class StorageSettings:
    path: str = "data/rotation.duckdb"  # a file path, or an md: MotherDuck name
    published_path: str = ""  # read-only copy for ad-hoc readers; default <path>.read.duckdb
    lock_timeout_s: float = 0.0  # wait this long for another writer before failing


@dataclass(frozen=True)
class PricesSettings:
    symbols: tuple[str, ...] = ("SPY", "IWM", "IWB", "IWC", "^RUT", "^GSPC", "^RUI", "^VIX")
    pairs: tuple[Pair, ...] = tuple(
        Pair.parse(p) for p in ("IWM/SPY", "IWM/IWB", "IWC/SPY", "^RUT/^GSPC", "^RUT/^RUI")
    )
    lookback_sessions: int = 10  # every run re-fetches this many sessions so corrections heal
    history_start: dt.date = dt.date(1990, 1, 2)  # default start of `rotation backfill`
    max_daily_move: float = 0.25  # |close/prev - 1| above this is quarantined as implausible
    max_daily_move_overrides: Mapping[str, float] = field(
        default_factory=lambda: {"^VIX": 3.0}  # volatility indices double in a day (Feb 2018)
    )
    download_timeout_s: float = 60.0  # bound on one yfinance download, whatever yfinance does
    max_attempts: int = 3  # rate-limited downloads are retried with backoff up to this


@dataclass(frozen=True)
class EdgarSettings:
    # The SEC requires a declared User-Agent with a contact address; no default pretends to be
    # someone, so EDGAR is skipped until this is set (e.g. "Acme Research ops@acme.example").
    user_agent: str = ""
    base_url: str = "https://www.sec.gov"
    max_requests_per_s: float = 5.0  # SEC's limit is 10/s; people were blocked at 9.7
    timeout_s: float = 30.0
    enabled: bool = True
    # After a 403 throttle page no request goes to the SEC for this long, in this process
    # (every client shares it): the SEC lifts blocks after about ten minutes.
    throttle_cooldown_s: float = 600.0


@dataclass(frozen=True)
class NasdaqSettings:
    base_url: str = "https://api.nasdaq.com"
    timeout_s: float = 30.0
    months_back: int = 2  # each run re-reads this many past months plus the current one
    enabled: bool = True


@dataclass(frozen=True)
class FredSettings:
    base_url: str = "https://fred.stlouisfed.org"
    series: tuple[str, ...] = (
        "BAMLH0A0HYM2", "BAMLC0A0CM", "ICSA", "T10Y2Y", "DGS10",
        "DGS2", "DFF", "NFCI", "UNRATE", "VIXCLS",
    )  # fmt: skip
    timeout_s: float = 30.0
    enabled: bool = True


@dataclass(frozen=True)
class AlertsSettings:
    channels: tuple[str, ...] = ("console",)  # console, slack, email
    console_jsonl_path: str = "data/alerts.jsonl"
    slack_timeout_s: float = 10.0
    smtp_host: str = ""
    smtp_port: int = 587  # 465 = implicit TLS, 587 = STARTTLS, anything else = plain relay
    smtp_user: str = ""
    smtp_from: str = ""
    smtp_to: tuple[str, ...] = ()
    deliver_on_backfill: bool = False
    slack_min_interval_s: float = 1.0  # Slack allows ~1 message/s per webhook
    smtp_security: str = "auto"  # auto (by port), ssl, starttls, plain
    smtp_timeout_s: float = 30.0


@dataclass(frozen=True)
class LimitsSettings:
    """Time limits, so a hung source or step can never hold the writer lock for ever.

    A source that exceeds ``source_timeout_s`` fails alone (the run goes on and records an
    incident); a run that exceeds its flow limit is ended, recorded as failed and alerted,
    and its lock is released by the process ending.
    """

    daily_run_timeout_s: float = 3600.0  # the whole daily run (~2 min on a normal day)
    backfill_timeout_s: float = 21600.0  # a backfill from 1990 (~30 min live, SEC paced)
    source_timeout_s: float = 600.0  # one source's fetch (prices, EDGAR, Nasdaq, FRED)
    stage_timeout_s: float = 1800.0  # one other stage: validate and load, build, alerts, report
    grace_s: float = 60.0  # after the run limit, the watchdog ends the process


@dataclass(frozen=True)
class HeartbeatSettings:
    """A dead man's switch outside the run (healthchecks-style URLs; docs/operations.md)."""

    url: str = ""  # pinged: <url>/start at the start, <url> on success, <url>/fail on failure
    timeout_s: float = 10.0
    # `rotation status --check`: a session's run is due this long after 18:30 New York.
    due_after_minutes: int = 120
    # `rotation serve` installs the missed-run Prefect automation notifying through this
    # Prefect notification block, TYPE/NAME (e.g. "slack-webhook/ops"); empty: not installed.
    prefect_notify_block: str = ""


@dataclass(frozen=True)
class Secrets:
    """Read from the environment only; repr hides the values so they never reach a log."""

    slack_webhook_url: str = field(default="", repr=False)
    smtp_password: str = field(default="", repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Secrets:
        return cls(
            slack_webhook_url=env.get("ROTATION_SLACK_WEBHOOK_URL", ""),
            smtp_password=env.get("ROTATION_SMTP_PASSWORD", ""),
        )


@dataclass(frozen=True)
class Settings:
    storage: StorageSettings = StorageSettings()
    prices: PricesSettings = PricesSettings()
    edgar: EdgarSettings = EdgarSettings()
    nasdaq: NasdaqSettings = NasdaqSettings()
    fred: FredSettings = FredSettings()
    alerts: AlertsSettings = AlertsSettings()
    limits: LimitsSettings = LimitsSettings()
    heartbeat: HeartbeatSettings = HeartbeatSettings()
    rules: tuple[Mapping[str, Any], ...] = ()  # [[rules]] tables, validated by alerts/
    secrets: Secrets = field(default_factory=Secrets, repr=False)
    source_file: str = ""  # which file was read, for messages

    @property
    def published_path(self) -> str:
        return self.storage.published_path or _published_default(self.storage.path)


def _published_default(db_path: str) -> str:
    if db_path.startswith("md:"):
        return db_path
    p = Path(db_path)
    return str(p.with_name(p.stem + ".read" + p.suffix))


_SECTION_TYPES: dict[str, type] = {
    "storage": StorageSettings,
    "prices": PricesSettings,
    "edgar": EdgarSettings,
    "nasdaq": NasdaqSettings,
    "fred": FredSettings,
    "alerts": AlertsSettings,
    "limits": LimitsSettings,
    "heartbeat": HeartbeatSettings,
}


def _coerce(where: str, value: Any, annotation: Any) -> Any:
    """Turn a TOML value or an environment string into the field's declared type."""
    origin = typing.get_origin(annotation)
    from_env = isinstance(value, str)
    try:
        if annotation is str:
            return str(value)
        if annotation is bool:
            if isinstance(value, bool):
                return value
            if str(value).lower() in {"1", "true", "yes", "on"}:
                return True
            if str(value).lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError("expected true or false")
        if annotation is int:
            if isinstance(value, bool):
                raise ValueError("expected a whole number")
            return int(value)
        if annotation is float:
            return float(value)
        if annotation is dt.date:
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        if origin is tuple:
            (item_type, _) = typing.get_args(annotation)
            items = [s for s in (x.strip() for x in value.split(","))] if from_env else value
            if not isinstance(items, list):
                raise ValueError("expected a list")
            items = [i for i in items if i != ""]
            if item_type is Pair:
                return tuple(Pair.parse(str(i)) for i in items)
            return tuple(_coerce(where, i, item_type) for i in items)
        if origin in (Mapping, dict) or annotation is Mapping:
            if from_env:  # "^VIX=3.0,IWC=0.3"
                pairs = [kv.split("=", 1) for kv in value.split(",") if kv.strip()]
                value = {k.strip(): v for k, v in pairs}
            if not isinstance(value, dict):
                raise ValueError("expected a table")
            return {str(k): float(v) for k, v in value.items()}
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"setting {where}: {value!r} is not valid ({exc})") from None
    raise SettingsError(f"setting {where}: unsupported type {annotation}")


def _section(name: str, cls: type, table: Mapping[str, Any], env: Mapping[str, str]) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(table) - known
    if unknown:
        raise SettingsError(
            f"unknown setting(s) in [{name}]: {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(known))}"
        )
    values = {}
    for key in known:
        env_name = f"{ENV_PREFIX}{name}_{key}".upper()
        if env_name in env:
            values[key] = _coerce(env_name, env[env_name], hints[key])
        elif key in table:
            values[key] = _coerce(f"[{name}] {key}", table[key], hints[key])
    return cls(**values)


def load_settings(
    config_path: str | Path | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Read defaults, then the TOML file, then environment overrides.

    ``config_path`` None means ``$ROTATION_CONFIG``, else ``./rotation.toml`` when present,
    else the embedded defaults only.
    """
    env = os.environ if env is None else env
    path: Path | None
    if config_path is not None:
        path = Path(config_path)
        if not path.exists():
            raise SettingsError(f"config file {path} does not exist")
    elif env.get("ROTATION_CONFIG"):
        path = Path(env["ROTATION_CONFIG"])
        if not path.exists():
            raise SettingsError(f"config file {path} (from ROTATION_CONFIG) does not exist")
    else:
        path = Path("rotation.toml") if Path("rotation.toml").exists() else None

    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"config file {path} is not valid TOML: {exc}") from None
    unknown = set(data) - set(_SECTION_TYPES) - {"rules"}
    if unknown:
        raise SettingsError(
            f"unknown section(s) in {path}: {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted([*_SECTION_TYPES, 'rules']))}"
        )
    sections = {
        name: _section(name, cls, data.get(name, {}), env) for name, cls in _SECTION_TYPES.items()
    }
    rules = data.get("rules", [])
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise SettingsError(f"[[rules]] in {path} must be an array of tables")
    return Settings(
        **sections,
        rules=tuple(rules),
        secrets=Secrets.from_env(env),
        source_file=str(path) if path else "",
    )
