"""The default rule set, drawn from the small-cap rotation thesis.

Used when ``rotation.toml`` has no ``[[rules]]``; docs/alerts.md has the same set as TOML and
the backtest over the real history (2001-2025) that each threshold was chosen from: every
rule had to fire rarely enough to be news (a few times a year at most) and to have fired at
the episodes it is meant to catch (2008, 2011, 2016, 2020, 2022 for the risks).
Fractions are fractions (0.05 = 5%), spreads of the macro mart are in basis points.
Critical rules are re-sent weekly while they fire (``repeat_sessions = 5``); the -20% drawdown
mutes the -10% one; a stale symbol or a source that is down mutes the rules computed from it;
data-quality rules say when they are resolved (docs/alerts.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _rule(name: str, family: str, indicator: str, subject: str, **kw: Any) -> dict[str, Any]:
    return {"name": name, "family": family, "indicator": indicator, "subject": subject, **kw}


DEFAULT_RULES: tuple[Mapping[str, Any], ...] = (
    # --- catalysts -------------------------------------------------------------------------
    _rule(
        "small_caps_lead_20d", "relative_strength", "spread_20d", "IWM/IWB",
        direction="above", threshold=0.05, hysteresis=0.04, min_sessions=2,
        cooldown_sessions=20, severity="info", kind="catalyst",
        title="Russell 2000 out-performing the Russell 1000 over 20 sessions",
        meaning="Sustained flows into small caps: the rotation the thesis expects is showing "
        "up in prices.",
    ),
    _rule(
        "iwm_spy_above_ma200", "relative_strength", "ratio_vs_ma200", "IWM/SPY",
        direction="above", threshold=0.0, hysteresis=0.02, min_sessions=5,
        cooldown_sessions=20, severity="info", kind="catalyst",
        title="IWM/SPY ratio crossed above its 200-session average",
        meaning="The long relative downtrend of small caps is broken on a trend-following "
        "measure.",
    ),
    _rule(
        "small_caps_ytd_lead", "relative_strength", "ytd_spread", "^RUT/^GSPC",
        direction="above", threshold=0.05, hysteresis=0.04, min_sessions=2,
        cooldown_sessions=20, severity="info", kind="catalyst",
        title="Russell 2000 leads the S&P 500 year to date",
        meaning="Small caps are ahead for the year by a margin that is more than noise.",
    ),
    _rule(
        "mna_filings_surge", "deal_flow", "filings_30_ratio", "mna",
        direction="above", threshold=1.3, hysteresis=0.15, min_sessions=3,
        cooldown_sessions=20, severity="info", kind="catalyst",
        title="M&A filings well above their trailing-year average",
        meaning="Deal flow picking up: acquirers bidding for smaller companies supports "
        "small-cap valuations.",
    ),
    _rule(
        "ipo_pipeline_surge", "deal_flow", "filings_30_ratio", "ipo_pipeline",
        direction="above", threshold=1.3, hysteresis=0.15, min_sessions=3,
        cooldown_sessions=20, severity="info", kind="catalyst",
        title="IPO registrations well above their trailing-year average",
        meaning="The IPO window is opening: risk appetite for young, small companies is back.",
    ),
    _rule(
        "fed_funds_cut", "macro", "fed_funds_chg_3m", "US",
        direction="below", threshold=-0.2, hysteresis=0.15, min_sessions=1,
        cooldown_sessions=60, severity="info", kind="catalyst",
        title="Fed funds rate cut",
        meaning="Easing lowers the floating-rate funding cost that weighs on small caps more "
        "than on large caps: the spark of the thesis.",
    ),
    # --- risks -----------------------------------------------------------------------------
    _rule(
        "small_caps_lag_20d", "relative_strength", "spread_20d", "IWM/IWB",
        direction="below", threshold=-0.05, hysteresis=0.04, min_sessions=2,
        cooldown_sessions=20, severity="warning", kind="risk",
        title="Russell 2000 lagging the Russell 1000 over 20 sessions",
        meaning="The rotation is reversing: money is leaving small caps for large caps.",
    ),
    _rule(
        "iwm_spy_below_ma200", "relative_strength", "ratio_vs_ma200", "IWM/SPY",
        direction="below", threshold=-0.02, hysteresis=0.02, min_sessions=5,
        cooldown_sessions=20, severity="warning", kind="risk",
        title="IWM/SPY ratio fell below its 200-session average",
        meaning="The relative trend has turned against small caps again.",
    ),
    _rule(
        "small_caps_ytd_lag", "relative_strength", "ytd_spread", "^RUT/^GSPC",
        direction="below", threshold=-0.05, hysteresis=0.04, min_sessions=2,
        cooldown_sessions=20, severity="warning", kind="risk",
        title="Russell 2000 lags the S&P 500 year to date",
        meaning="The year's relative performance has turned against the thesis.",
    ),
    _rule(
        "iwm_drawdown_10", "risk", "drawdown", "IWM",
        direction="below", threshold=-0.10, hysteresis=0.05, min_sessions=1,
        cooldown_sessions=20, severity="warning", kind="risk",
        title="IWM 10% below its peak",
        meaning="A correction in small caps: check whether it is market-wide or a reversal "
        "of the rotation.",
    ),
    _rule(
        "iwm_drawdown_20", "risk", "drawdown", "IWM",
        direction="below", threshold=-0.20, hysteresis=0.10, min_sessions=1,
        cooldown_sessions=20, severity="critical", kind="risk", repeat_sessions=5,
        inhibits=["iwm_drawdown_10"],
        title="IWM 20% below its peak",
        meaning="A bear market in small caps: the thesis is being tested by the market.",
    ),
    _rule(
        "iwm_vol_stress", "risk", "vol_21", "IWM",
        direction="above", threshold=0.35, hysteresis=0.10, min_sessions=1,
        cooldown_sessions=20, severity="warning", kind="risk",
        title="IWM 21-session volatility at a stress level",
        meaning="Small caps are moving violently: position sizes built for calm markets are "
        "too big.",
    ),
    _rule(
        "vix_stress", "returns", "value", "^VIX",
        direction="above", threshold=30.0, hysteresis=8.0, min_sessions=1,
        cooldown_sessions=20, severity="warning", kind="risk",
        title="VIX at a stress level",
        meaning="Market-wide fear: small caps usually fall harder than large caps in these "
        "episodes.",
    ),
    _rule(
        "iwm_spy_correlation_breakdown", "pair_risk", "corr_63", "IWM/SPY",
        direction="below", threshold=0.75, hysteresis=0.10, min_sessions=3,
        cooldown_sessions=20, severity="info", kind="risk",
        title="IWM/SPY 63-session correlation breaking down",
        meaning="Small caps are trading on their own drivers: hedges against SPY protect "
        "less than usual.",
    ),
    _rule(
        "hy_spread_widening", "macro", "hy_spread_chg_1m_bp", "US",
        direction="above", threshold=100.0, hysteresis=75.0, min_sessions=1,
        cooldown_sessions=20, severity="warning", kind="risk",
        title="High-yield spread widening fast",
        meaning="Credit is tightening for leveraged borrowers, who are over-represented in "
        "the Russell 2000.",
    ),
    _rule(
        "hy_spread_level", "macro", "hy_spread_bp", "US",
        direction="above", threshold=600.0, hysteresis=100.0, min_sessions=1,
        cooldown_sessions=20, severity="critical", kind="risk", repeat_sessions=5,
        title="High-yield spread above its stress level",
        meaning="Credit markets price a meaningful default risk: the main macro risk to the "
        "thesis.",
    ),
    _rule(
        "jobless_claims_rising", "macro", "claims_4wk_vs_low_pct", "US",
        direction="above", threshold=20.0, hysteresis=10.0, min_sessions=1,
        cooldown_sessions=20, severity="warning", kind="risk",
        title="Jobless claims rising off their 52-week low",
        meaning="The labour market is weakening: domestic-revenue small caps feel a slowdown "
        "first.",
    ),
    _rule(
        "mna_filings_slump", "deal_flow", "filings_30_ratio", "mna",
        direction="below", threshold=0.7, hysteresis=0.15, min_sessions=3,
        cooldown_sessions=20, severity="warning", kind="risk",
        title="M&A filings well below their trailing-year average",
        meaning="Deal flow is drying up: one support of small-cap valuations is fading.",
    ),
    _rule(
        "ipo_pipeline_slump", "deal_flow", "filings_30_ratio", "ipo_pipeline",
        direction="below", threshold=0.7, hysteresis=0.15, min_sessions=3,
        cooldown_sessions=20, severity="warning", kind="risk",
        title="IPO registrations well below their trailing-year average",
        meaning="The IPO window is closing: risk appetite for small companies is fading.",
    ),
    # --- valuation (sql/alerts/valuation.sql, docs/fundamentals.md) ------------------------
    # Conventional bands, not backtested: no Russell 2000 P/E history exists to test them on
    # (docs/alerts.md); P/E moves with filings and snapshots, so 5 sessions and a 60-session
    # cooldown keep one re-rating to one message.
    _rule(
        "small_cap_discount_wide", "valuation", "discount_ex_losses", "IWM/IVV",
        direction="below", threshold=-0.25, hysteresis=0.05, min_sessions=5,
        cooldown_sessions=60, severity="info", kind="catalyst",
        title="Small caps at a wide P/E discount to the S&P 500",
        meaning="The Russell 2000's profitable members trade 25% or more below the S&P 500's "
        "multiple: the valuation case for the rotation is at its strongest.",
    ),
    _rule(
        "small_cap_discount_closed", "valuation", "discount_ex_losses", "IWM/IVV",
        direction="above", threshold=-0.05, hysteresis=0.05, min_sessions=5,
        cooldown_sessions=60, severity="info", kind="risk",
        title="Small-cap P/E discount to the S&P 500 has closed",
        meaning="Small caps are priced like large caps again: the valuation cushion behind "
        "the rotation is used up.",
    ),
    _rule(
        "small_cap_growth_overtakes", "valuation", "growth_gap", "IWM/IVV",
        direction="above", threshold=0.0, hysteresis=0.05, min_sessions=5,
        cooldown_sessions=60, severity="info", kind="catalyst",
        title="Small-cap earnings growth overtaking large-cap",
        meaning="Trailing earnings of the Russell 2000 grow faster than the S&P 500's: the "
        "fundamental turn the rotation needs to last.",
    ),
    _rule(
        "small_cap_loss_share_rising", "valuation", "loss_share_weight_chg_1y", "IWM",
        direction="above", threshold=0.05, hysteresis=0.03, min_sessions=5,
        cooldown_sessions=60, severity="warning", kind="risk",
        title="More of the Russell 2000 is losing money",
        meaning="The weight of loss-making members rose 5 points or more in a year: "
        "small-cap earnings are deteriorating underneath the index.",
    ),
    # --- breadth (docs/breadth.md) ---------------------------------------------------------
    _rule(
        "breadth_thrust", "breadth", "thrust", "IWM",
        direction="above", threshold=0.5, min_sessions=1,
        cooldown_sessions=20, severity="info", kind="catalyst",
        title="Breadth thrust in the Russell 2000",
        meaning="The share of members above their 50-session average rose from washed-out to "
        "broad within a few weeks: the kind of participation that starts lasting rallies.",
    ),
    _rule(
        "breadth_divergence", "breadth", "divergence", "IWM",
        direction="above", threshold=0.5, min_sessions=3,
        cooldown_sessions=20, severity="warning", kind="risk",
        title="Russell 2000 rising on narrowing breadth",
        meaning="The index is up over 20 sessions while fewer of its members hold above their "
        "200-session average: the rise rests on fewer stocks.",
    ),
    # --- data quality and pipeline health --------------------------------------------------
    _rule(
        "price_data_stale", "data_quality", "stale_sessions", "*",
        direction="above", threshold=0.0, min_sessions=1, severity="warning",
        kind="data_quality", notify_resolved=True, inhibits_dependents=True,
        title="Price data stale beyond its expected session",
        meaning="Indicators for this symbol are computed on old data until it is refreshed.",
    ),
    _rule(
        "batch_blocked", "data_quality", "blocked_batches", "*",
        direction="above", threshold=0.0, min_sessions=1, severity="warning",
        kind="data_quality", notify_resolved=True,
        title="A batch was blocked by validation",
        meaning="The source delivered data that failed validation; the previous good data was "
        "kept. See ops.validation_runs and ops.quarantine.",
    ),
    _rule(
        "data_incident", "data_quality", "open_incidents", "*",
        direction="above", threshold=0.5, min_sessions=1, severity="warning",
        kind="data_quality",
        title="Damaged data contained in one symbol or source",
        meaning="A file, value or source was damaged; the rest of the run loaded. The subject "
        "names the file and the reason; rotation status lists what is still open.",
    ),
    _rule(
        "source_down", "data_quality", "sessions_since_ok", "*",
        direction="above", threshold=2.0, min_sessions=1, severity="critical",
        kind="pipeline_health", repeat_sessions=5, notify_resolved=True,
        inhibits_dependents=True,
        title="A source has delivered no good batch for 3 sessions",
        meaning="The source looks down or broken; its indicators are going stale.",
    ),
)  # fmt: skip
