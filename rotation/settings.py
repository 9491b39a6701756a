"""Settings: one TOML file plus environment overrides, read once by the composition root.

Every setting has an embedded default, so the pipeline runs with no file at all. A file
(``rotation.toml`` in the working directory, ``$ROTATION_CONFIG`` or ``--config``) overrides
the defaults, and an environment variable named after a setting overrides the file:
``[storage] path`` is ``ROTATION_STORAGE_PATH``, ``[prices] symbols`` is
``ROTATION_PRICES_SYMBOLS`` (comma-separated). Secrets (webhook URLs, passwords) are never read
from the file: only from the environment, and they are never printed.

Unknown sections or keys are errors: a typo in a threshold must not silently use the default.
The same holds for ``ROTATION_…`` variables: an unknown one is an error naming the nearest
known key. Every value is checked at load, not when a stage first uses it: integers must be
whole numbers, numbers finite, and a field's ``metadata=check(...)`` gives its allowed range
or choices, so ``lookback_sessions = 0`` fails here with one line instead of an IndexError
mid-run. Add a field with ``field(default=..., metadata=check(...))`` to get the same.

Relative paths (``[storage] path``, ``published_path``, ``[alerts] console_jsonl_path``) are
resolved when loaded: against the configuration file's folder for values from the file or the
defaults (the working directory when there is no file), against the working directory for
values from the environment. So a run started from another directory writes to the same files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import math
import os
import re
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "ROTATION_"
# ROTATION_… variables that are not settings: the config file's path, and the checkout the
# deployments run in (deploy/rotation.env.example, prefect.yaml's pull step).
# Read by other code than the settings: the config path, the checkout (deploy/), and the tag
# the CLI puts on a run's processes so its reaper can end Prefect's temporary server
# (flows/reaper.py TOKEN_VARIABLE; a test keeps the two equal).
OTHER_ENVIRONMENT = frozenset({"ROTATION_CONFIG", "ROTATION_HOME", "ROTATION_RUN_TOKEN"})
# Storage versions DuckDB 2.0 writes (ATTACH … (STORAGE_VERSION …)); "" = its own, v69.
PUBLISHED_STORAGE_VERSIONS = ("", "v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0", "v1.4.0", "v1.5.0")


class SettingsError(ValueError):
    """A setting is missing, unknown or has the wrong type; the message names it."""


@dataclass(frozen=True)
class Check:
    """What a field accepts beyond its type; read from ``field(metadata=check(...))``.

    ``ge``/``gt``/``le`` bound a number (each item of a list or table of numbers),
    ``choices`` the allowed strings (each item of a list), ``min_items`` a list's length,
    ``path`` marks a file path (resolved at load, ``md:`` names refused).
    """

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    choices: tuple[str, ...] = ()
    min_items: int = 0
    path: bool = False

    def allowed(self, whole: bool) -> str:
        """The allowed range in words, for the one-line error: "a whole number from 1 to 260"."""
        words = "a whole number" if whole else "a number"
        if self.ge is not None and self.le is not None:
            return f"{words} from {_num(self.ge)} to {_num(self.le)}"
        low = f" above {_num(self.gt)}" if self.gt is not None else ""
        low = f" of at least {_num(self.ge)}" if self.ge is not None else low
        high = f" up to {_num(self.le)}" if self.le is not None else ""
        return words + low + ("," if low and high else "") + high

    def verify(self, where: str, value: Any) -> None:
        items = value if isinstance(value, tuple) else (value,)
        if isinstance(value, Mapping):
            items = tuple(value.values())
        if isinstance(value, tuple) and len(value) < self.min_items:
            raise SettingsError(f"setting {where}: needs at least {self.min_items} item(s)")
        for item in items:
            if self.choices and str(item) not in self.choices:
                raise SettingsError(
                    f"setting {where}: {item!r} is not allowed (allowed: "
                    f"{', '.join(repr(c) for c in self.choices)})"
                )
            if isinstance(item, int | float) and not isinstance(item, bool):
                below = (self.ge is not None and item < self.ge) or (
                    self.gt is not None and item <= self.gt
                )
                above = self.le is not None and item > self.le
                if below or above:
                    whole = isinstance(item, int)
                    raise SettingsError(
                        f"setting {where}: {item!r} is out of range "
                        f"(allowed: {self.allowed(whole)})"
                    )


def check(**limits: Any) -> dict[str, Check]:
    """Field metadata: ``field(default=10, metadata=check(ge=1, le=260))``."""
    return {"check": Check(**limits)}


def _num(value: float | None) -> str:
    return f"{value:g}" if value is not None else ""


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
    # A file path (relative: to the configuration file's folder). MotherDuck (md:) names are
    # refused: nothing here can test them, and readers need a local published copy.
    path: str = field(default="data/rotation.duckdb", metadata=check(path=True))
    # read-only copy for ad-hoc readers; default <path>.read.duckdb beside the working file
    published_path: str = field(default="", metadata=check(path=True))
    # wait this long for another writer before failing
    lock_timeout_s: float = field(default=0.0, metadata=check(ge=0, le=86400))
    # DuckDB storage format of the published copy: v1.0.0 opens in every DuckDB from 1.0 on
    # (1.5.6 refuses 2.0's own format, v69); "" = the writer's own format, a plain file copy.
    published_storage_version: str = field(
        default="v1.0.0", metadata=check(choices=PUBLISHED_STORAGE_VERSIONS)
    )


@dataclass(frozen=True)
class PricesSettings:
    symbols: tuple[str, ...] = field(
        default=("SPY", "IWM", "IWB", "IWC", "^RUT", "^GSPC", "^RUI", "^VIX"),
        metadata=check(min_items=1),
    )
    pairs: tuple[Pair, ...] = tuple(
        Pair.parse(p) for p in ("IWM/SPY", "IWM/IWB", "IWC/SPY", "^RUT/^GSPC", "^RUT/^RUI")
    )
    # every run re-fetches this many sessions so corrections heal
    lookback_sessions: int = field(default=10, metadata=check(ge=1, le=260))
    history_start: dt.date = dt.date(1990, 1, 2)  # default start of `rotation backfill`
    # |close/prev - 1| above this is quarantined as implausible
    max_daily_move: float = field(default=0.25, metadata=check(gt=0))
    max_daily_move_overrides: Mapping[str, float] = field(
        default_factory=lambda: {"^VIX": 3.0},  # volatility indices double in a day (Feb 2018)
        metadata=check(gt=0),
    )
    # bound on one yfinance download, whatever yfinance does
    download_timeout_s: float = field(default=60.0, metadata=check(gt=0, le=3600))
    # rate-limited downloads are retried with backoff up to this
    max_attempts: int = field(default=3, metadata=check(ge=1, le=10))
    # the second vendor, asked for the symbols Yahoo delivered nothing for in a run (members
    # and configured symbols); live it needs ROTATION_STOOQ_APIKEY (docs/sources.md, "Stooq")
    fallback: str = field(default="stooq", metadata=check(choices=("stooq", "none")))
    stooq_base_url: str = "https://stooq.com"


@dataclass(frozen=True)
class EdgarSettings:
    # The SEC requires a declared User-Agent with a contact address; no default pretends to be
    # someone, so EDGAR is skipped until this is set (e.g. "Acme Research ops@acme.example").
    user_agent: str = ""
    base_url: str = "https://www.sec.gov"
    # SEC's limit is 10/s; people were blocked at 9.7
    max_requests_per_s: float = field(default=5.0, metadata=check(gt=0, le=10))
    timeout_s: float = field(default=30.0, metadata=check(gt=0, le=600))
    enabled: bool = True
    # After a 403 throttle page no request goes to the SEC for this long, in this process
    # (every client shares it): the SEC lifts blocks after about ten minutes.
    throttle_cooldown_s: float = 600.0


@dataclass(frozen=True)
class NasdaqSettings:
    base_url: str = "https://api.nasdaq.com"
    timeout_s: float = field(default=30.0, metadata=check(gt=0, le=600))
    # each run re-reads this many past months plus the current one
    months_back: int = field(default=2, metadata=check(ge=0, le=24))
    enabled: bool = True


@dataclass(frozen=True)
class FredSettings:
    base_url: str = "https://fred.stlouisfed.org"
    series: tuple[str, ...] = (
        "BAMLH0A0HYM2", "BAMLC0A0CM", "ICSA", "T10Y2Y", "DGS10",
        "DGS2", "DFF", "NFCI", "UNRATE", "VIXCLS",
    )  # fmt: skip
    timeout_s: float = field(default=30.0, metadata=check(gt=0, le=600))
    enabled: bool = True


# The alert channels (alerts/rules.py CHANNEL_NAMES says the same; a test keeps them equal).
CHANNELS = ("console", "slack", "email", "alertmanager", "apprise")


@dataclass(frozen=True)
class HoldingsSettings:
    """Index constituents from iShares fund holdings files (see docs/fundamentals.md)."""

    funds: tuple[str, ...] = ("IWM", "IWB", "IVV")  # Russell 2000, Russell 1000, S&P 500
    # "FUND=URL": each fund's "Detailed holdings" CSV on its iShares product page.
    urls: tuple[str, ...] = (
        "IWM=https://www.ishares.com/us/products/239710/ishares-russell-2000-etf/"
        "1467271812596.ajax?fileType=csv&fileName=IWM_holdings&dataType=fund",
        "IWB=https://www.ishares.com/us/products/239707/ishares-russell-1000-etf/"
        "1467271812596.ajax?fileType=csv&fileName=IWB_holdings&dataType=fund",
        "IVV=https://www.ishares.com/us/products/239726/ishares-core-sp-500-etf/"
        "1467271812596.ajax?fileType=csv&fileName=IVV_holdings&dataType=fund",
    )
    # "FILE=VENDOR": iShares tickers without the share-class dot, in Yahoo's/SEC's form.
    ticker_aliases: tuple[str, ...] = (
        "BRKB=BRK-B", "BFA=BF-A", "BFB=BF-B", "LENB=LEN-B", "HEIA=HEI-A",
        "MOGA=MOG-A", "GEFB=GEF-B", "UHALB=UHAL-B", "CWENA=CWEN-A",
    )  # fmt: skip
    min_equity_weight_pct: float = 95.0  # a snapshot whose equity weights sum outside this
    max_equity_weight_pct: float = 100.5  # range is blocked (real files: 97.7-99.98)
    timeout_s: float = 30.0
    enabled: bool = True

    def url_by_fund(self) -> dict[str, str]:
        return _pairs("[holdings] urls", self.urls)

    def alias_map(self) -> dict[str, str]:
        return _pairs("[holdings] ticker_aliases", self.ticker_aliases)


@dataclass(frozen=True)
class XbrlSettings:
    """Earnings from SEC XBRL companyfacts (see docs/fundamentals.md)."""

    base_url: str = "https://data.sec.gov"  # companyfacts API host
    tickers_url: str = "https://www.sec.gov/files/company_tickers.json"
    max_requests_per_s: float = 5.0  # shared SEC fair-access budget: 10/s at most
    timeout_s: float = 30.0
    sweep_per_run: int = 50  # companies refreshed per run besides those that just filed
    max_companies_per_run: int = 600  # bounds a run's requests (~2 min at 5/s); rest next run
    coverage_floor: float = 0.6  # weight with usable earnings below this: the figure is withheld
    enabled: bool = True


@dataclass(frozen=True)
class ValuationSettings:
    """The funds' own P/E from Yahoo as a cross-check of the built one (docs/fundamentals.md)."""

    fund_pe_enabled: bool = True
    fund_pe_funds: tuple[str, ...] = ("IWM", "IWB", "IVV")  # whose vendor P/E is fetched
    fund_pe_base_url: str = "https://query2.finance.yahoo.com"  # quoteSummary host
    fund_pe_timeout_s: float = field(default=30.0, metadata=check(gt=0, le=600))
    # |vendor P/E / built P/E - 1| beyond this is a data-quality incident
    pe_tolerance: float = field(default=0.25, metadata=check(gt=0, le=10))
    # Shiller's monthly S&P 500 workbook (long-run P/E and CAPE): not downloaded again within
    # shiller_refresh_days of the last load; 0 (every run, 1.7 MB) keeps the source-health
    # rule quiet, which counts sessions without a good batch
    shiller_enabled: bool = True
    shiller_url: str = (
        "https://img1.wsimg.com/blobby/go/e5e77e0b-59d1-4e94-b7ec-d4e7e4ac5a1d/downloads/"
        "ie_data.xls"
    )
    shiller_refresh_days: int = field(default=0, metadata=check(ge=0, le=62))
    shiller_timeout_s: float = field(default=60.0, metadata=check(gt=0, le=600))
    # before a fund's first holdings snapshot, that snapshot stands in (month-end sessions)
    # back to 1 January of this year; 2011: XBRL reached the smaller companies in mid-2011
    history_start_year: int = field(default=2011, metadata=check(ge=2009, le=2100))


@dataclass(frozen=True)
class BreadthSettings:
    """Index members priced daily and the breadth indicators (see docs/breadth.md)."""

    # price every equity member of the [holdings] funds' latest snapshots (de-duplicated)
    members: bool = True
    # members' returns over 20 and 60 sessions are compared with this symbol's (a fetched one)
    benchmark: str = "SPY"
    # tickers per yfinance download, and the bound on one chunk's wall time
    chunk_size: int = field(default=100, metadata=check(ge=1, le=500))
    chunk_timeout_s: float = field(default=120.0, metadata=check(gt=0, le=3600))
    # bound on the whole member stage: chunks not started by then wait for the next run
    stage_timeout_s: float = field(default=1800.0, metadata=check(gt=0, le=86400))
    # sessions of history a member gets when it has less stored (252-session windows need 252)
    history_sessions: int = field(default=300, metadata=check(ge=1, le=5000))
    # single stocks move far more than funds: the plausibility bound for a member's daily move;
    # a larger move loads when the raw and adjusted closes agree on it and it does not revert
    max_daily_move: float = field(default=0.6, metadata=check(gt=0))
    # breadth thrust: the share above the 50-session mean rises from below thrust_low to above
    # thrust_high within thrust_sessions sessions (marts.breadth_signals)
    thrust_low: float = field(default=0.25, metadata=check(ge=0, le=1))
    thrust_high: float = field(default=0.75, metadata=check(ge=0, le=1))
    thrust_sessions: int = field(default=20, metadata=check(ge=2, le=260))
    # breadth divergence: the fund up over divergence_sessions while the share above the
    # 200-session mean fell by at least divergence_min_drop (share points)
    divergence_sessions: int = field(default=20, metadata=check(ge=1, le=260))
    divergence_min_drop: float = field(default=0.05, metadata=check(ge=0, le=1))


def _pairs(where: str, items: tuple[str, ...]) -> dict[str, str]:
    """``("A=x", "B=y")`` → ``{"A": "x", "B": "y"}``; a malformed item is a settings error."""
    result = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise SettingsError(f"setting {where}: {item!r} must look like KEY=VALUE")
        result[key.strip()] = value.strip()
    return result


@dataclass(frozen=True)
class AlertsSettings:
    channels: tuple[str, ...] = field(default=("console",), metadata=check(choices=CHANNELS))
    console_jsonl_path: str = field(default="data/alerts.jsonl", metadata=check(path=True))
    slack_timeout_s: float = field(default=10.0, metadata=check(gt=0, le=600))
    smtp_host: str = ""
    # 465 = implicit TLS, 587 = STARTTLS, anything else = plain relay
    smtp_port: int = field(default=587, metadata=check(ge=1, le=65535))
    smtp_user: str = ""
    smtp_from: str = ""
    smtp_to: tuple[str, ...] = ()
    deliver_on_backfill: bool = False
    # Slack allows ~1 message/s per webhook
    slack_min_interval_s: float = field(default=1.0, metadata=check(ge=0, le=60))
    smtp_security: str = field(
        default="auto", metadata=check(choices=("auto", "ssl", "starttls", "plain"))
    )  # auto (by port), ssl, starttls, plain
    smtp_timeout_s: float = field(default=30.0, metadata=check(gt=0, le=600))
    # Routing (docs/alerts.md): which configured channels get an alert of this severity or
    # kind; empty = every configured channel (today's behaviour). Both filters apply.
    route_critical: tuple[str, ...] = field(default=(), metadata=check(choices=CHANNELS))
    route_warning: tuple[str, ...] = field(default=(), metadata=check(choices=CHANNELS))
    route_info: tuple[str, ...] = field(default=(), metadata=check(choices=CHANNELS))
    route_catalyst: tuple[str, ...] = field(default=(), metadata=check(choices=CHANNELS))
    route_risk: tuple[str, ...] = field(default=(), metadata=check(choices=CHANNELS))
    route_data_quality: tuple[str, ...] = field(default=(), metadata=check(choices=CHANNELS))
    route_pipeline_health: tuple[str, ...] = field(default=(), metadata=check(choices=CHANNELS))
    alertmanager_url: str = ""  # e.g. http://127.0.0.1:9093 (POST /api/v2/alerts)
    alertmanager_timeout_s: float = field(default=10.0, metadata=check(gt=0, le=600))
    # endsAt of a firing alert: covers weekends and holidays
    alertmanager_hold_h: float = field(default=96.0, metadata=check(gt=0, le=24 * 30))
    report_base_url: str = ""  # where data/reports is served; "" = the report's file path


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
    # Apprise URLs (pd://, opsgenie://, msteams://, json:// ...) carry their tokens in them.
    apprise_urls: tuple[str, ...] = field(default=(), repr=False)
    # Stooq's free API key (since March 2026), the fallback price vendor's; none: it is off
    stooq_apikey: str = field(default="", repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Secrets:
        """Each field comes from ``ROTATION_<FIELD>``: a new secret is one new field.

        A tuple field (``apprise_urls``) is split on white space.
        """
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            text = env.get(_secret_env(f.name), "")
            values[f.name] = tuple(text.split()) if f.type in (tuple, "tuple[str, ...]") else text
        return cls(**values)


def _secret_env(name: str) -> str:
    return f"{ENV_PREFIX}{name}".upper()


@dataclass(frozen=True)
class Settings:
    storage: StorageSettings = StorageSettings()
    prices: PricesSettings = PricesSettings()
    edgar: EdgarSettings = EdgarSettings()
    nasdaq: NasdaqSettings = NasdaqSettings()
    fred: FredSettings = FredSettings()
    holdings: HoldingsSettings = HoldingsSettings()
    xbrl: XbrlSettings = XbrlSettings()
    valuation: ValuationSettings = ValuationSettings()
    breadth: BreadthSettings = BreadthSettings()
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
    p = Path(db_path)
    return str(p.with_name(p.stem + ".read" + p.suffix))


_SECTION_TYPES: dict[str, type] = {
    "storage": StorageSettings,
    "prices": PricesSettings,
    "edgar": EdgarSettings,
    "nasdaq": NasdaqSettings,
    "fred": FredSettings,
    "holdings": HoldingsSettings,
    "xbrl": XbrlSettings,
    "valuation": ValuationSettings,
    "breadth": BreadthSettings,
    "alerts": AlertsSettings,
    "limits": LimitsSettings,
    "heartbeat": HeartbeatSettings,
}


_WHOLE = re.compile(r"[+-]?\d+")


def _coerce(where: str, value: Any, annotation: Any) -> Any:
    """Turn a TOML value or an environment string into the field's declared type.

    Integers must be whole numbers (3.5 is an error, not 3) and numbers finite (NaN compares
    false with everything, so a NaN threshold would silently switch its check off).
    """
    origin = typing.get_origin(annotation)
    from_env = isinstance(value, str)
    try:
        if annotation is str:
            if not isinstance(value, str):
                raise ValueError("expected a string")
            return value
        if annotation is bool:
            if isinstance(value, bool):
                return value
            if str(value).lower() in {"1", "true", "yes", "on"}:
                return True
            if str(value).lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError("expected true or false")
        if annotation is int:
            if isinstance(value, bool) or not (
                isinstance(value, int) or (from_env and _WHOLE.fullmatch(value.strip()))
            ):
                raise ValueError("expected a whole number")
            return int(value)
        if annotation is float:
            if isinstance(value, bool):
                raise ValueError("expected a number")
            number = float(value)
            if not math.isfinite(number):
                raise ValueError("expected a finite number")
            return number
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
            (_, value_type) = typing.get_args(annotation)
            return {str(k): _coerce(f"{where}.{k}", v, value_type) for k, v in value.items()}
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"setting {where}: {value!r} is not valid ({exc})") from None
    raise SettingsError(f"setting {where}: unsupported type {annotation}")


def _section(
    name: str, cls: type, table: Mapping[str, Any], env: Mapping[str, str], base: Path
) -> Any:
    """One ``[name]`` table: known keys only, each coerced, checked and (paths) resolved.

    ``base`` is the folder relative paths from the file or the defaults resolve against;
    relative paths from the environment resolve against the working directory.
    """
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(table) - set(fields)
    if unknown:
        raise SettingsError(
            f"unknown setting(s) in [{name}]: {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(fields))}"
        )
    values = {}
    for key, spec in fields.items():
        env_name = _env_name(name, key)
        if env_name in env:
            where, value, folder = env_name, _coerce(env_name, env[env_name], hints[key]), None
        elif key in table:
            where, value, folder = f"[{name}] {key}", _coerce(f"[{name}] {key}", table[key],
                                                            hints[key]), base  # fmt: skip
        else:
            where, value, folder = f"[{name}] {key}", _default(spec), base
        rule = spec.metadata.get("check")
        if rule is not None:
            rule.verify(where, value)
            if rule.path:
                value = _resolve_path(where, value, folder)
        values[key] = value
    return cls(**values)


def _default(spec: dataclasses.Field[Any]) -> Any:
    if spec.default is not dataclasses.MISSING:
        return spec.default
    return spec.default_factory()  # type: ignore[misc,operator]


def _resolve_path(where: str, value: str, folder: Path | None) -> str:
    """An absolute path; relative ones against ``folder`` (None: the working directory)."""
    if value.startswith("md:"):
        raise SettingsError(
            f"setting {where}: MotherDuck (md:) names are not supported; give a file path"
        )
    if not value or Path(value).is_absolute():
        return value
    return str((folder or Path.cwd()) / value)


def _env_name(section: str, key: str) -> str:
    return f"{ENV_PREFIX}{section}_{key}".upper()


def known_environment() -> frozenset[str]:
    """Every ``ROTATION_…`` variable the pipeline reads: settings, secrets and the others."""
    names = {
        _env_name(section, f.name)
        for section, cls in _SECTION_TYPES.items()
        for f in dataclasses.fields(cls)
    }
    names |= {_secret_env(f.name) for f in dataclasses.fields(Secrets)}
    return frozenset(names | OTHER_ENVIRONMENT)


def _check_environment(env: Mapping[str, str]) -> None:
    """An unknown ``ROTATION_…`` variable is a typo until proven otherwise."""
    known = known_environment()
    for name in sorted(n for n in env if n.startswith(ENV_PREFIX) and n not in known):
        nearest = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.0)
        hint = f"; did you mean {nearest[0]}?" if nearest else ""
        raise SettingsError(f"unknown environment variable {name}{hint}")


def _check_pairs(prices: PricesSettings) -> None:
    """A pair whose leg is not fetched would leave its indicators silently empty."""
    for pair in prices.pairs:
        missing = [s for s in (pair.small, pair.large) if s not in prices.symbols]
        if missing:
            raise SettingsError(
                f"setting [prices] pairs: {pair.name} uses {', '.join(missing)}, which is not "
                "in [prices] symbols"
            )


# A ticker as vendors spell it: letters and digits, an optional leading ^ (an index), inner
# dots, dashes and = (BRK-B, BF.B, GC=F). Never a path: no /, no \\, no "..", no spaces.
_TICKER = re.compile(r"\^?[A-Za-z0-9](?:[A-Za-z0-9.=-]{0,19})")


def _check_symbols(settings: Settings) -> None:
    """Symbols and funds become file names (``prices/<SYMBOL>.csv``) and URL parts: one that
    is not ticker-shaped would fail the run later with a traceback, so it is refused here."""
    named = [
        ("[prices] symbols", settings.prices.symbols),
        ("[prices] max_daily_move_overrides", tuple(settings.prices.max_daily_move_overrides)),
        ("[holdings] funds", settings.holdings.funds),
        ("[valuation] fund_pe_funds", settings.valuation.fund_pe_funds),
    ]
    for where, symbols in named:
        for symbol in symbols:
            if not _TICKER.fullmatch(symbol) or ".." in symbol:
                raise SettingsError(
                    f"setting {where}: {symbol!r} is not a ticker (letters, digits, an optional "
                    "leading ^, and inner . - =; e.g. SPY, ^GSPC, BRK-B)"
                )


def _check_benchmark(settings: Settings) -> None:
    """A benchmark that is never fetched would leave the beat-the-benchmark shares empty; a
    thrust whose low level is not below its high one could never happen."""
    breadth = settings.breadth
    if breadth.thrust_low >= breadth.thrust_high:
        raise SettingsError(
            f"setting [breadth] thrust_low: {breadth.thrust_low:g} must be below thrust_high "
            f"({breadth.thrust_high:g})"
        )
    if settings.breadth.benchmark not in settings.prices.symbols:
        raise SettingsError(
            f"setting [breadth] benchmark: {settings.breadth.benchmark!r} is not among "
            f"[prices] symbols ({', '.join(settings.prices.symbols)})"
        )


def load_settings(
    config_path: str | Path | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Read defaults, then the TOML file, then environment overrides.

    ``config_path`` None means ``$ROTATION_CONFIG``, else ``./rotation.toml`` when present,
    else the embedded defaults only.
    """
    env = os.environ if env is None else env
    _check_environment(env)
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
    base = path.absolute().parent if path is not None else Path.cwd()
    sections = {
        name: _section(name, cls, data.get(name, {}), env, base)
        for name, cls in _SECTION_TYPES.items()
    }
    rules = data.get("rules", [])
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise SettingsError(f"[[rules]] in {path} must be an array of tables")
    settings = Settings(
        **sections,
        rules=tuple(rules),
        secrets=Secrets.from_env(env),
        source_file=str(path) if path else "",
    )
    _check_symbols(settings)
    _check_pairs(settings.prices)
    _check_benchmark(settings)
    if Path(settings.published_path) == Path(settings.storage.path):
        raise SettingsError(
            "setting [storage] published_path: must differ from [storage] path "
            "(readers must never open the working file)"
        )
    return settings
