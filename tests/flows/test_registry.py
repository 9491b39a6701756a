"""One registry of sources, and live-or-replay decided once (``pipeline.registry``,
``pipeline.clients``): every source has its client on both sides, a client is built once per
run, and every source runs through the one ``SourceReport`` contract on the recorded data."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from pipeline import clients as clients_module
from pipeline import registry, stages
from pipeline.clients import Clients
from rotation.db import writing
from rotation.runs import start_run
from rotation.settings import Settings
from sources.replay import ReplayError, ReplayPriceSource
from sources.yahoo import YahooPriceSource

AS_OF = dt.date(2024, 7, 31)  # the recorded Nasdaq months are 2024-06 and 2024-07


def test_live_or_replay_is_chosen_once_from_the_folder(tmp_path: Path) -> None:
    settings = Settings()
    live = Clients.build(settings, None)
    prices, members = live.get("prices"), live.get("member_prices")
    assert isinstance(prices, YahooPriceSource) and isinstance(members, YahooPriceSource)
    assert prices.timeout_s == settings.prices.download_timeout_s
    assert members.timeout_s == settings.breadth.chunk_timeout_s  # the per-chunk bound
    assert live.get("prices") is prices  # built once, kept for the run
    assert not live.replayed and live.where == "live"
    assert live.today(AS_OF) == dt.date.today()

    (tmp_path / "prices").mkdir()
    replay = Clients.build(settings, tmp_path)
    assert isinstance(replay.get("prices"), ReplayPriceSource)
    assert replay.replayed and replay.where == f"replay:{tmp_path.resolve()}"
    assert replay.today(AS_OF) == AS_OF  # a replay is as of its session
    assert stages.price_scope(("SPY", "IWM"), replay) == f"prices:IWM,SPY@replay:{tmp_path}"


def test_a_client_that_cannot_be_built_fails_its_source_alone_and_once(tmp_path: Path) -> None:
    replay = Clients.replay(tmp_path)  # an empty folder: no edgar/, no fred/
    with pytest.raises(ReplayError, match="no edgar/ sub-folder") as first:
        replay.get("edgar")
    with pytest.raises(ReplayError) as second:
        replay.get("edgar")
    assert second.value is first.value  # not built a second time
    built: list[str] = []
    counted = Clients({"fred": lambda: built.append("fred") or "client"})
    assert counted.get("fred") == counted.get("fred") == "client" and built == ["fred"]
    with pytest.raises(KeyError, match="no client for source 'stooq'"):
        counted.get("stooq")


def test_every_registered_source_has_a_client_live_and_replayed() -> None:
    names = [s.name for s in registry.SOURCES]
    assert len(names) == len(set(names))
    # every source's client, and Stooq: the prices' fallback vendor, not a source of its own
    assert {s.client for s in registry.SOURCES} | {"stooq"} == set(clients_module.NAMES)
    live = clients_module._live_factories(Settings())
    replayed = clients_module._replay_factories(Path("/nonexistent"))
    assert set(live) == set(replayed) == set(clients_module.NAMES)
    assert [s.name for s in registry.group("fundamentals")] == [
        "sec_tickers", "holdings", "xbrl", "fund_pe", "shiller",
    ]  # fmt: skip
    with pytest.raises(KeyError, match="registered: prices, edgar"):
        registry.source("stooq")


def _replay(root: Path, shared_data: Path) -> Path:
    for kind in ("nasdaq", "fred"):
        (root / kind).mkdir(parents=True)
        for path in (shared_data / kind).glob("*.*"):
            (root / kind / path.name).symlink_to(path)
    return root


def test_deal_flow_through_the_registry_loads_what_the_stages_load(
    tmp_path: Path, shared_data: Path
) -> None:
    base = Settings()
    settings = dataclasses.replace(base, nasdaq=dataclasses.replace(base.nasdaq, months_back=1))
    clients = Clients.replay(_replay(tmp_path / "replay", shared_data))
    dbs = {how: str(tmp_path / f"{how}.duckdb") for how in ("registry", "stages")}
    for db in dbs.values():
        with writing(db) as con:
            start_run(con, "r1", "daily-run", AS_OF)
    sources = [registry.source("nasdaq"), registry.source("fred")]
    assert [s.plan(dbs["registry"], settings, AS_OF) for s in sources if s.plan] == [
        ["2024-06", "2024-07"]
    ]
    through_registry = registry.run(dbs["registry"], settings, clients, AS_OF, sources, run_id="r1")
    direct = [
        stages.validate_and_load_source(
            dbs["stages"], stages.fetch_nasdaq(settings, clients, AS_OF), run_id="r1"
        ),
        stages.validate_and_load_source(
            dbs["stages"], stages.fetch_fred(settings, clients), run_id="r1"
        ),
    ]
    assert [r.source for r in through_registry] == ["nasdaq", "fred"]
    for got, want in zip(through_registry, direct, strict=True):
        assert got.loaded > 0 and not got.skipped and not got.blocked
        assert (got.fetched, got.loaded, got.quarantined) == (
            want.fetched,
            want.loaded,
            want.quarantined,
        )
    off = dataclasses.replace(settings, fred=dataclasses.replace(settings.fred, enabled=False))
    assert not registry.source("fred").enabled(off)
    (skipped,) = registry.run(
        dbs["registry"], off, clients, AS_OF, [registry.source("fred")], run_id="r1"
    )
    assert skipped.skipped and skipped.messages == ["disabled in settings"]
