"""Alert rules: the ``[[rules]]`` tables of ``rotation.toml``, validated into ``Rule`` values.

A rule names a *family* (one SQL file under ``sql/alerts/``), the *indicator* (a column that
file knows), a *subject* (a pair, a symbol, a source, or ``*`` for all), and a crossing: the
threshold and its direction, a hysteresis band before it re-arms, the sessions the condition
must hold and a cooldown. Validation is strict and names the rule, because a typo in a
threshold key must not silently fall back to a default and leave a risk unwatched.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alerts.defaults import DEFAULT_RULES
from rotation.settings import AlertsSettings


class AlertsError(ValueError):
    """An alert rule or channel is misconfigured; the message names it."""


SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")  # in rising order
KINDS: tuple[str, ...] = ("catalyst", "risk", "data_quality", "pipeline_health")
DIRECTIONS: tuple[str, ...] = ("above", "below")
CHANNEL_NAMES: tuple[str, ...] = ("console", "slack", "email", "alertmanager", "apprise")
# Channels that keep alert state of their own: they get every resolution, notify_resolved or
# not (Alertmanager decides with its receivers' send_resolved whom to tell).
STATE_CHANNELS: tuple[str, ...] = ("alertmanager",)

# Where each family's data comes from (the source names of ops.validation_runs): a source
# that is down, or a symbol that is stale, mutes the rules computed from it when a firing
# data-quality rule has ``inhibits_dependents`` (docs/alerts.md, "Inhibition").
PRICE_FAMILIES: tuple[str, ...] = ("relative_strength", "returns", "risk", "pair_risk")
SOURCE_FAMILIES: dict[str, tuple[str, ...]] = {
    "prices": PRICE_FAMILIES,
    "edgar": ("deal_flow",),
    "fred": ("macro",),
    # valuation: built from holdings and XBRL facts; its cross-check also reads fund_pe
    "holdings": ("valuation",),
    "xbrl": ("valuation",),
    "member_prices": ("breadth",),
}
DEFAULT_CRITICAL_REPEAT_SESSIONS = 5  # a critical alert still firing is re-sent weekly

# family -> indicator -> unit (how a value is shown: percent = a fraction shown in %, pct = a
# number already in percent, pp = percentage points, bp = basis points, count = a whole
# number, number = as is). The SQL file of each family maps
# exactly these indicator names to columns; tests/alerts checks that every one returns rows.
FAMILIES: dict[str, dict[str, str]] = {
    "relative_strength": {
        "ratio": "number",
        "ratio_vs_ma50": "percent",
        "ratio_vs_ma200": "percent",
        "spread_20d": "percent",
        "spread_60d": "percent",
        "ytd_spread": "percent",
        "streak": "count",
    },
    "returns": {
        "value": "number",
        "ret_1d": "percent",
        "mtd": "percent",
        "qtd": "percent",
        "ytd": "percent",
        "ret_1m": "percent",
        "ret_3m": "percent",
        "ret_6m": "percent",
        "ret_12m": "percent",
    },
    "risk": {
        "vol_21": "percent",
        "vol_63": "percent",
        "vol_252": "percent",
        "drawdown": "percent",
        "max_drawdown": "percent",
    },
    "pair_risk": {
        "corr_63": "number",
        "corr_252": "number",
        "beta_63": "number",
        "beta_252": "number",
    },
    "deal_flow": {
        "filings_30_ratio": "number",
        "filings_30_z": "number",
        "filings_30": "count",
    },
    "macro": {
        "hy_spread_bp": "bp",
        "hy_spread_chg_1m_bp": "bp",
        "hy_spread_chg_3m_bp": "bp",
        "ig_spread_bp": "bp",
        "claims_4wk_vs_low_pct": "pct",
        "curve_10y2y": "pp",
        "fed_funds_chg_3m": "pp",
        "fed_funds_chg_6m": "pp",
        "fed_cuts_12m": "count",
        "nfci": "number",
        "vix": "number",
    },
    # valuation (sql/alerts/valuation.sql, docs/fundamentals.md): per pair or per fund
    "valuation": {
        "discount": "percent",
        "discount_ex_losses": "percent",
        "growth_gap": "percent",
        "pe": "number",
        "pe_ex_losses": "number",
        "loss_share_weight": "percent",
        "loss_share_weight_chg_1y": "percent",
        "fund_pe_gap_beyond": "count",
    },
    # breadth (sql/alerts/breadth.sql, docs/breadth.md): per fund
    "breadth": {
        "thrust": "count",
        "divergence": "count",
        "above_ma50_share": "percent",
        "above_ma200_share": "percent",
        "net_new_highs": "count",
        "breadth_spread": "percent",
    },
    "data_quality": {
        "stale_sessions": "count",
        "blocked_batches": "count",
        "sessions_since_ok": "count",
        "open_incidents": "count",
    },
}

_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
_REQUIRED = ("name", "family", "indicator", "subject", "direction", "threshold", "severity", "kind")
_OPTIONAL = (
    "hysteresis",
    "min_sessions",
    "cooldown_sessions",
    "channels",
    "title",
    "meaning",
    "notify_resolved",
    "enabled",
    "repeat_sessions",
    "inhibits",
    "inhibits_dependents",
    "runbook_url",
)


@dataclass(frozen=True)
class Rule:
    """One validated alert rule. ``channels`` is already resolved against ``[alerts] channels``."""

    name: str
    family: str
    indicator: str
    subject: str
    direction: str
    threshold: float
    severity: str
    kind: str
    hysteresis: float = 0.0
    min_sessions: int = 1
    cooldown_sessions: int = 0
    channels: tuple[str, ...] = ("console",)
    title: str = ""
    meaning: str = ""
    notify_resolved: bool = False
    enabled: bool = True
    repeat_sessions: int = 0  # re-send a rule still firing every N sessions (0 = never)
    inhibits: tuple[str, ...] = ()  # rules muted on the same subject while this one fires
    inhibits_dependents: bool = False  # data quality: mute the rules computed from the subject
    runbook_url: str = ""

    @property
    def rearm_at(self) -> float:
        """The level the value must get back to before the rule can fire again."""
        if self.direction == "above":
            return self.threshold - self.hysteresis
        return self.threshold + self.hysteresis

    @property
    def unit(self) -> str:
        return FAMILIES[self.family][self.indicator]

    @property
    def headline(self) -> str:
        return self.title or self.name.replace("_", " ")

    @property
    def severity_rank(self) -> int:
        return SEVERITIES.index(self.severity)


def _fail(rule_name: str, position: int, message: str) -> AlertsError:
    who = f"rule {rule_name!r}" if rule_name else f"rule #{position}"
    return AlertsError(f"[[rules]] {who}: {message}")


def _number(name: str, pos: int, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(name, pos, f"{key} must be a finite number, got {value!r}")
    return float(value)


def _whole(name: str, pos: int, key: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _fail(name, pos, f"{key} must be a whole number >= {minimum}, got {value!r}")
    return value


def _choice(name: str, pos: int, key: str, value: Any, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise _fail(name, pos, f"{key} {value!r} is not one of {', '.join(allowed)}")
    return str(value)


def _text(name: str, pos: int, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(name, pos, f"{key} must be a string, got {value!r}")
    return value


def route(alerts: AlertsSettings, severity: str, kind: str) -> tuple[str, ...] | None:
    """The channels ``[alerts] route_<severity>`` and ``route_<kind>`` allow (None: no route).

    Routes are filters, like a rule's ``channels``: every one that is set narrows the set.
    """
    allowed: tuple[str, ...] | None = None
    for key in (f"route_{severity}", f"route_{kind}"):
        listed = tuple(getattr(alerts, key, ()) or ())
        if listed:
            allowed = listed if allowed is None else tuple(c for c in allowed if c in listed)
    return allowed


def routed_channels(
    alerts: AlertsSettings, severity: str, kind: str, wanted: Sequence[str]
) -> tuple[str, ...]:
    """``wanted`` (configured, in order) narrowed by the routes for ``severity`` and ``kind``."""
    allowed = route(alerts, severity, kind)
    return tuple(c for c in wanted if allowed is None or c in allowed)


def check_routes(alerts: AlertsSettings) -> None:
    """A route naming an unknown channel is a typo that would silently drop alerts, and a
    route that leaves a failed run no channel would hide the one alert that must arrive."""
    for key in [f"route_{s}" for s in SEVERITIES] + [f"route_{k}" for k in KINDS]:
        for channel in getattr(alerts, key, ()) or ():
            if channel not in CHANNEL_NAMES:
                raise AlertsError(
                    f"[alerts] {key}: unknown channel {channel!r} ({', '.join(CHANNEL_NAMES)})"
                )
    configured = tuple(alerts.channels) or ("console",)
    if not routed_channels(alerts, "critical", "pipeline_health", configured):
        raise AlertsError(
            "[alerts] route_critical / route_pipeline_health leave failed-run alerts no "
            f"configured channel (configured: {', '.join(configured)})"
        )


def parse_rule(
    table: Mapping[str, Any],
    position: int,
    default_channels: Sequence[str],
    alerts: AlertsSettings | None = None,
) -> Rule:
    """Validate one ``[[rules]]`` table (``position`` counts from 1, for the message)."""
    raw_name = table.get("name", "")
    name = raw_name if isinstance(raw_name, str) else ""
    unknown = sorted(set(table) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise _fail(
            name,
            position,
            f"unknown key(s) {', '.join(unknown)}; known: {', '.join(_REQUIRED + _OPTIONAL)}",
        )
    missing = [k for k in _REQUIRED if k not in table]
    if missing:
        raise _fail(name, position, f"missing key(s) {', '.join(missing)}")
    if not _NAME.fullmatch(name):
        raise _fail(name, position, "name must be lower-case letters, digits and _ (max 63)")
    family = _choice(name, position, "family", table["family"], tuple(FAMILIES))
    indicator = _choice(name, position, "indicator", table["indicator"], tuple(FAMILIES[family]))
    subject = _text(name, position, "subject", table["subject"]).strip()
    if not subject:
        raise _fail(name, position, "subject is empty (use * for every subject)")
    channels_value = table.get("channels", list(default_channels))
    if not isinstance(channels_value, list | tuple) or not all(
        isinstance(c, str) for c in channels_value
    ):
        raise _fail(name, position, f"channels must be a list of names, got {channels_value!r}")
    for channel in channels_value:
        _choice(name, position, "channel", channel, CHANNEL_NAMES)
    # A rule's channels are a filter on the configured ones: switching Slack off in [alerts]
    # must not require editing every rule.
    channels = tuple(c for c in dict.fromkeys(channels_value) if c in default_channels)
    severity = _choice(name, position, "severity", table["severity"], SEVERITIES)
    kind = _choice(name, position, "kind", table["kind"], KINDS)
    if alerts is not None:
        routed = routed_channels(alerts, severity, kind, channels)
        if channels and not routed:
            # An alert that goes nowhere is lost in all but name: refuse the configuration.
            raise _fail(
                name,
                position,
                f"the routes route_{severity} / route_{kind} leave it no configured channel "
                f"(it wants {', '.join(channels)}); add one to the route, or set channels = [] "
                "to record it only",
            )
        channels = routed
    # What matters is said again when it ends: data quality resolves by default.
    notify_resolved = table.get("notify_resolved", family == "data_quality")
    enabled = table.get("enabled", True)
    inhibits_dependents = table.get("inhibits_dependents", False)
    for key, flag in (
        ("notify_resolved", notify_resolved),
        ("enabled", enabled),
        ("inhibits_dependents", inhibits_dependents),
    ):
        if not isinstance(flag, bool):
            raise _fail(name, position, f"{key} must be true or false, got {flag!r}")
    if inhibits_dependents and family != "data_quality":
        raise _fail(name, position, "inhibits_dependents is for data_quality rules only")
    inhibits = table.get("inhibits", [])
    if not isinstance(inhibits, list | tuple) or not all(isinstance(r, str) for r in inhibits):
        raise _fail(name, position, f"inhibits must be a list of rule names, got {inhibits!r}")
    if name in inhibits:
        raise _fail(name, position, "a rule cannot inhibit itself")
    default_repeat = DEFAULT_CRITICAL_REPEAT_SESSIONS if severity == "critical" else 0
    runbook_url = _text(name, position, "runbook_url", table.get("runbook_url", "")).strip()
    if runbook_url and not runbook_url.startswith(("http://", "https://")):
        raise _fail(name, position, f"runbook_url must be an http(s) URL, got {runbook_url!r}")
    hysteresis = _number(name, position, "hysteresis", table.get("hysteresis", 0.0))
    if hysteresis < 0:
        raise _fail(name, position, f"hysteresis must be >= 0, got {hysteresis}")
    return Rule(
        name=name,
        family=family,
        indicator=indicator,
        subject=subject,
        direction=_choice(name, position, "direction", table["direction"], DIRECTIONS),
        threshold=_number(name, position, "threshold", table["threshold"]),
        severity=severity,
        kind=kind,
        hysteresis=hysteresis,
        min_sessions=_whole(name, position, "min_sessions", table.get("min_sessions", 1), 1),
        cooldown_sessions=_whole(
            name, position, "cooldown_sessions", table.get("cooldown_sessions", 0), 0
        ),
        channels=channels,
        title=_text(name, position, "title", table.get("title", "")).strip(),
        meaning=_text(name, position, "meaning", table.get("meaning", "")).strip(),
        notify_resolved=notify_resolved,
        enabled=enabled,
        repeat_sessions=_whole(
            name, position, "repeat_sessions", table.get("repeat_sessions", default_repeat), 0
        ),
        inhibits=tuple(dict.fromkeys(inhibits)),
        inhibits_dependents=inhibits_dependents,
        runbook_url=runbook_url,
    )


def load_rules(
    tables: Iterable[Mapping[str, Any]], alerts: AlertsSettings | None = None
) -> list[Rule]:
    """Validate ``Settings.rules``; no tables at all means the embedded default rule set.

    Disabled rules are validated too (a typo is a typo) but left out of the result.
    """
    alerts = alerts or AlertsSettings()
    check_routes(alerts)
    configured = tuple(alerts.channels) or ("console",)
    tables = list(tables)
    if not tables:
        tables = [dict(t) for t in DEFAULT_RULES]
    rules = [parse_rule(t, i, configured, alerts) for i, t in enumerate(tables, start=1)]
    seen: set[str] = set()
    for rule in rules:
        if rule.name in seen:
            raise AlertsError(f"[[rules]] rule {rule.name!r} is defined twice")
        seen.add(rule.name)
    for rule in rules:
        unknown = [r for r in rule.inhibits if r not in seen]
        if unknown:
            raise AlertsError(
                f"[[rules]] rule {rule.name!r}: inhibits unknown rule(s) {', '.join(unknown)}"
            )
    return [r for r in rules if r.enabled]


def check_subjects(rules: Iterable[Rule], settings: Any) -> None:
    """A rule on a subject that is not configured can never fire: refuse it at settings load.

    Checked for the families whose subjects are settings (``*`` is always fine): price
    families take a configured pair or symbol, breadth a ``[holdings]`` fund, valuation a fund
    or a pair of funds. Macro, deal-flow and data-quality subjects are series and sources the
    SQL names, not settings, and are not checked here.
    """
    prices, funds = settings.prices, set(settings.holdings.funds)
    pairs = {pair.name for pair in prices.pairs}
    symbols = set(prices.symbols)
    allowed: dict[str, tuple[set[str], str]] = {
        "relative_strength": (pairs, "a pair of [prices] pairs"),
        "pair_risk": (pairs, "a pair of [prices] pairs"),
        "returns": (symbols | pairs, "a symbol of [prices] symbols or a pair"),
        "risk": (symbols | pairs, "a symbol of [prices] symbols or a pair"),
        "breadth": (funds, "a fund of [holdings] funds"),
        "valuation": (
            funds | {f"{a}/{b}" for a in funds for b in funds if a != b},
            "a fund of [holdings] funds or a pair of them",
        ),
    }
    for rule in rules:
        if rule.subject == "*" or rule.family not in allowed:
            continue
        known, what = allowed[rule.family]
        if rule.subject not in known:
            raise AlertsError(
                f"[[rules]] rule {rule.name!r}: subject {rule.subject!r} is not configured, so "
                f"the rule could never fire (a {rule.family} rule needs {what}: "
                f"{', '.join(sorted(known)) or 'none configured'})"
            )
