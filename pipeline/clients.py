"""Every source's client for one run, live or replay: the one place that decides which.

A run is either live (the vendors over HTTP) or a replay of a recorded folder (the same
bytes from disk, ``sources.replay``). That is one decision, made once at the composition
root: the flow (or a test, or a benchmark) builds a :class:`Clients` from the settings and
the replay folder, and the stages take their client from it by the source's name. No stage
sees the replay folder or branches on it (STYLE.md 14: "pick the implementations once").

Each client is built on first use and then kept for the run, so a source whose client cannot
be built (no SEC User-Agent configured, no ``edgar/`` in this replay folder) fails in its own
stage, with its own reason, exactly as it did when the stage built it, and the other sources
go on. The construction error is kept too: a second stage asking for the same client gets the
same reason without a second attempt.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rotation.settings import Settings

Factory = Callable[[], Any]


class Clients:
    """The run's clients by source name (see :data:`NAMES`), each built once, on first use."""

    def __init__(
        self, factories: Mapping[str, Factory], *, replay_root: Path | None = None
    ) -> None:
        self._factories = dict(factories)
        self._built: dict[str, Any] = {}
        self._failed: dict[str, BaseException] = {}
        self.replay_root = replay_root

    @classmethod
    def build(cls, settings: Settings, replay_dir: str | Path | None) -> Clients:
        """Live clients, or the replay twins reading ``replay_dir``: the one branch on it."""
        if replay_dir:
            return cls.replay(replay_dir)
        return cls.live(settings)

    @classmethod
    def live(cls, settings: Settings) -> Clients:
        return cls(_live_factories(settings))

    @classmethod
    def replay(cls, replay_dir: str | Path) -> Clients:
        root = Path(replay_dir)
        return cls(_replay_factories(root), replay_root=root.resolve())

    @property
    def replayed(self) -> bool:
        """A replay offers every recorded file up to the run's day on every run, and is as of
        that day (the stages use this for what a day *means*, never to pick a client)."""
        return self.replay_root is not None

    @property
    def where(self) -> str:
        """``live`` or ``replay:/abs/folder``: part of a backfill chunk's scope."""
        return f"replay:{self.replay_root}" if self.replay_root is not None else "live"

    def today(self, as_of: dt.date) -> dt.date:
        """The day validation judges freshness by: the run's session in a replay, else today."""
        return as_of if self.replayed else dt.date.today()

    def get(self, name: str) -> Any:
        """The client of source ``name``; raises what its construction raised (every call)."""
        if name in self._built:
            return self._built[name]
        if name in self._failed:
            raise self._failed[name]
        try:
            factory = self._factories[name]
        except KeyError:
            known = sorted(self._factories)
            raise KeyError(f"no client for source {name!r}; known: {known}") from None
        try:
            client = factory()
        except Exception as exc:
            self._failed[name] = exc
            raise
        self._built[name] = client
        return client

    def with_client(self, name: str, client: Any) -> Clients:
        """These clients with ``name`` served by ``client`` (a stand-in in a test or benchmark)."""
        other = Clients(self._factories, replay_root=self.replay_root)
        other._built = {**self._built, name: client}
        return other


NAMES = (
    "prices",
    "member_prices",
    "stooq",  # the prices' fallback vendor (pipeline.stages.fallback_price_source)
    "edgar",
    "nasdaq",
    "fred",
    "sec_tickers",
    "holdings",
    "holdings_history",
    "xbrl",
    "fund_pe",
    "shiller",
)


def _live_factories(settings: Settings) -> dict[str, Factory]:
    from sources import edgar, fred, fund_pe, holdings, nasdaq, shiller, xbrl
    from sources.stooq import StooqPriceSource
    from sources.yahoo import YahooPriceSource

    prices, cfg_v = settings.prices, settings.valuation

    def yahoo(timeout_s: float) -> Factory:
        return lambda: YahooPriceSource(timeout_s=timeout_s, max_attempts=prices.max_attempts)

    def sec_xbrl() -> Any:
        return xbrl.XbrlLiveClient(
            user_agent=settings.edgar.user_agent,
            base_url=settings.xbrl.base_url,
            tickers_url=settings.xbrl.tickers_url,
            max_requests_per_s=settings.xbrl.max_requests_per_s,
            timeout_s=settings.xbrl.timeout_s,
        )

    factories: dict[str, Factory] = {
        "prices": yahoo(prices.download_timeout_s),
        # members: one download per chunk, each bounded by the chunk's own wall time
        "member_prices": yahoo(settings.breadth.chunk_timeout_s),
        "stooq": lambda: StooqPriceSource(
            settings.secrets.stooq_apikey,
            base_url=prices.stooq_base_url,
            timeout_s=prices.download_timeout_s,
        ),
        "edgar": lambda: edgar.EdgarLiveClient(
            user_agent=settings.edgar.user_agent,
            base_url=settings.edgar.base_url,
            max_requests_per_s=settings.edgar.max_requests_per_s,
            timeout_s=settings.edgar.timeout_s,
            throttle_cooldown_s=settings.edgar.throttle_cooldown_s,
        ),
        "nasdaq": lambda: nasdaq.NasdaqLiveClient(
            base_url=settings.nasdaq.base_url, timeout_s=settings.nasdaq.timeout_s
        ),
        "fred": lambda: fred.FredLiveClient(
            base_url=settings.fred.base_url, timeout_s=settings.fred.timeout_s
        ),
        "sec_tickers": sec_xbrl,
        "holdings": lambda: holdings.HoldingsLiveClient(
            settings.holdings.url_by_fund(), timeout_s=settings.holdings.timeout_s
        ),
        # month-end snapshots for the backfill (``asOfDate`` on each fund's URL)
        "holdings_history": lambda: holdings.DatedHoldingsLiveClient(
            settings.holdings.url_by_fund(), timeout_s=settings.holdings.timeout_s
        ),
        "xbrl": sec_xbrl,
        "fund_pe": lambda: fund_pe.FundPeLiveClient(
            base_url=cfg_v.fund_pe_base_url, timeout_s=cfg_v.fund_pe_timeout_s
        ),
        "shiller": lambda: shiller.ShillerLiveClient(
            url=cfg_v.shiller_url, timeout_s=cfg_v.shiller_timeout_s
        ),
    }
    return factories


def _replay_factories(root: Path) -> dict[str, Factory]:
    from sources import edgar, fred, fund_pe, holdings, nasdaq, shiller, xbrl
    from sources.replay import ReplayPriceSource
    from sources.stooq import StooqReplaySource

    twins: dict[str, Callable[[Path], Any]] = {
        "prices": ReplayPriceSource,
        "member_prices": ReplayPriceSource,
        "stooq": StooqReplaySource.from_folder,  # None: this folder has no stooq/
        "edgar": edgar.EdgarReplayClient,
        "nasdaq": nasdaq.NasdaqReplayClient,
        "fred": fred.FredReplayClient,
        "sec_tickers": xbrl.SecTickersReplayClient,
        "holdings": holdings.HoldingsReplayClient,
        "holdings_history": holdings.DatedHoldingsReplayClient,
        "xbrl": xbrl.XbrlReplayClient,
        "fund_pe": fund_pe.FundPeReplayClient,
        "shiller": shiller.ShillerReplayClient,
    }
    return {name: functools.partial(twin, root) for name, twin in twins.items()}
