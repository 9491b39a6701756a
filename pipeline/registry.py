"""Every source of a run in one place: its name, switch, client, fetch plan, suite and stage.

Each entry binds what the stage packages keep apart (``tests/test_layers.py``): the client
(by name, from the run's :class:`~pipeline.clients.Clients`, live or replay), the fetch plan
(a pure function of the calendar and the store, in the source's own module under
``sources/``), the validation suite (``quality/``) and the load (``sources/``). Every entry
runs through one contract::

    stage(db_path, settings, clients, as_of, *, run_id) -> SourceReport

so a new source (Stooq beside Yahoo) is one module under ``sources/`` (parser, live client,
replay twin, load), one client factory per side in ``pipeline.clients`` and one entry here.
The flows keep their own tasks for the fetches they bound with a deadline (prices, EDGAR,
Nasdaq, FRED: ``flows.daily``) and run the other stages through :func:`run`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline import fundamentals, holdings_history, member_prices, stages
from pipeline.clients import Clients
from pipeline.stages import SourceReport
from rotation.settings import Settings

Stage = Callable[..., SourceReport]  # (db_path, settings, clients, as_of, *, run_id)
Plan = Callable[[str, Settings, dt.date], Any]  # (db_path, settings, as_of) -> what to fetch


@dataclass(frozen=True)
class Source:
    """One source: everything a run needs to fetch, validate and load it."""

    name: str  # its label in ops.* and its client's name in Clients
    group: str  # market | deal_flow | fundamentals | members: the run's order of groups
    enabled: Callable[[Settings], bool]  # the settings switch (a disabled source is skipped)
    suite: str  # the validation suite that judges its batches
    plan: Plan | None  # what to fetch next; None: its settings or its stage decide
    stage: Stage

    @property
    def client(self) -> str:
        return self.name


# --- fetch plans (the functions live with their sources) --------------------------------------


def _price_plan(db_path: str, settings: Settings, as_of: dt.date) -> Any:
    return stages.price_window(db_path, as_of, settings.prices)


def _edgar_plan(db_path: str, settings: Settings, as_of: dt.date) -> list[dt.date]:
    days = stages.edgar_days(as_of, settings.prices.lookback_sessions)
    return days + stages.edgar_days_to_reread(db_path, as_of)  # damaged days, until whole


def _nasdaq_plan(db_path: str, settings: Settings, as_of: dt.date) -> list[str]:
    from sources import nasdaq

    return nasdaq.months_ending(as_of, settings.nasdaq.months_back)


# --- stages in the one contract ----------------------------------------------------------------


def _prices(
    db_path: str, settings: Settings, clients: Clients, as_of: dt.date, *, run_id: str
) -> SourceReport:
    start, end, _ = _price_plan(db_path, settings, as_of)
    batch = stages.fetch_prices(clients.get("prices"), settings.prices.symbols, start, end)
    return stages.validate_and_load_prices(
        db_path, batch, rules=stages.price_rules(settings.prices), run_id=run_id,
        start=start, end=end,
    )  # fmt: skip


def _edgar(
    db_path: str, settings: Settings, clients: Clients, as_of: dt.date, *, run_id: str
) -> SourceReport:
    fetched = stages.fetch_edgar(settings, clients, _edgar_plan(db_path, settings, as_of))
    return stages.validate_and_load_source(db_path, fetched, run_id=run_id)


def _nasdaq(
    db_path: str, settings: Settings, clients: Clients, as_of: dt.date, *, run_id: str
) -> SourceReport:
    months = _nasdaq_plan(db_path, settings, as_of)
    fetched = stages.fetch_nasdaq(settings, clients, as_of, months)
    return stages.validate_and_load_source(db_path, fetched, run_id=run_id)


def _fred(
    db_path: str, settings: Settings, clients: Clients, as_of: dt.date, *, run_id: str
) -> SourceReport:
    fetched = stages.fetch_fred(settings, clients)
    return stages.validate_and_load_source(db_path, fetched, run_id=run_id)


def _sec_tickers(
    db_path: str, settings: Settings, clients: Clients, as_of: dt.date, *, run_id: str
) -> SourceReport:
    return fundamentals.load_sec_tickers(db_path, settings, clients, run_id=run_id)


SOURCES: tuple[Source, ...] = (
    Source("prices", "market", lambda s: True, "prices", _price_plan, _prices),
    Source("edgar", "deal_flow", lambda s: s.edgar.enabled, "edgar", _edgar_plan, _edgar),
    Source("nasdaq", "deal_flow", lambda s: s.nasdaq.enabled, "nasdaq", _nasdaq_plan, _nasdaq),
    Source("fred", "deal_flow", lambda s: s.fred.enabled, "fred", None, _fred),
    # the fundamentals' order matters: see pipeline.fundamentals
    Source("sec_tickers", "fundamentals", lambda s: s.xbrl.enabled, "", None, _sec_tickers),
    Source(
        "holdings", "fundamentals", lambda s: s.holdings.enabled, "holdings", None,
        fundamentals.load_holdings,
    ),
    Source(
        "xbrl", "fundamentals", lambda s: s.xbrl.enabled, "xbrl", None, fundamentals.load_xbrl
    ),
    Source(
        "fund_pe", "fundamentals", lambda s: s.valuation.fund_pe_enabled, "fund_pe", None,
        fundamentals.load_fund_pe,
    ),
    Source(
        "shiller", "fundamentals", lambda s: s.valuation.shiller_enabled, "shiller", None,
        fundamentals.load_shiller,
    ),
    Source(
        "member_prices", "members", lambda s: s.breadth.members, "prices", None,
        member_prices.load_member_prices,
    ),
    # the backfill's month-end snapshots (off until [holdings] history_start is set)
    Source(
        "holdings_history", "backfill", lambda s: bool(s.holdings.history_start),
        "holdings_history", None, holdings_history.backfill_holdings_history,
    ),
)  # fmt: skip


def source(name: str) -> Source:
    """The registered source ``name``."""
    for entry in SOURCES:
        if entry.name == name:
            return entry
    raise KeyError(f"no source {name!r}; registered: {', '.join(s.name for s in SOURCES)}")


def group(name: str) -> tuple[Source, ...]:
    """The sources of one group, in run order."""
    return tuple(s for s in SOURCES if s.group == name)


def run(
    db_path: str,
    settings: Settings,
    clients: Clients,
    as_of: dt.date,
    sources: Sequence[Source],
    *,
    run_id: str,
) -> list[SourceReport]:
    """Fetch, validate and load ``sources`` in order, one :class:`SourceReport` each.

    A disabled source is still asked: its stage says why it skipped, in its own words."""
    return [s.stage(db_path, settings, clients, as_of, run_id=run_id) for s in sources]


def load_fundamentals(
    db_path: str,
    settings: Settings,
    clients: Clients,
    as_of: dt.date,
    *,
    run_id: str,
) -> list[SourceReport]:
    """Tickers, then holdings, then XBRL facts (see ``pipeline.fundamentals`` for why), then
    the funds' vendor P/E and Shiller's data, which depend on nothing else: the registry's
    fundamentals group, after the valuation settings are synced."""
    fundamentals.sync_valuation_settings(db_path, settings)
    return run(db_path, settings, clients, as_of, group("fundamentals"), run_id=run_id)
