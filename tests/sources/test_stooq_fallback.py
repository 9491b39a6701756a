"""Stooq as the fallback vendor of the member stage, with real parts on both sides.

Yahoo is the real ``yf.download`` against the loopback Yahoo stand-in, which answers 404 for
these members (Yahoo delivers nothing for them this run). Stooq is the live client against a
loopback stand-in serving the members' real rows cut out of the shared bulk download. The
members are real IWM members of 2025-05-13. Two runs: the first prices their history from
Stooq, the second re-fetches the trailing window over the stored rows, so the seam is judged
like any other: one basis, nothing re-based, no false move.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from pipeline.clients import Clients
from pipeline.member_prices import load_member_prices
from rotation.db import migrate, writing
from rotation.settings import BreadthSettings, HoldingsSettings, Settings, XbrlSettings
from sources.http import HttpClient
from sources.stooq import StooqPriceSource, parse_stooq_csv
from tests.stooq_standin import base_url, endpoint_csv, stooq_standin
from tests.yahoo_standin import reset_yfinance, yahoo_standin

BULK = "member-prices/stooq-us-daily.iwm-iwb-members.2024-01-02..2025-06-10.csv.gz"
MEMBERS = ("CRS", "INSM", "SFM")  # real IWM members of 2025-05-13
HISTORY = 60


def _settings() -> Settings:
    return dataclasses.replace(
        Settings(),
        holdings=dataclasses.replace(HoldingsSettings(), funds=("IWM",)),
        xbrl=dataclasses.replace(XbrlSettings(), enabled=False),
        breadth=dataclasses.replace(BreadthSettings(), chunk_size=2, history_sessions=HISTORY),
    )


@pytest.fixture
def yfinance_clean() -> Iterator[None]:
    yield
    reset_yfinance()


def _rows(db: str, sql: str) -> list[tuple]:
    with writing(db) as con:
        return con.execute(sql).fetchall()


def test_members_yahoo_fails_for_are_priced_from_stooq_with_no_false_seam_move(
    db_path: Path, shared_data: Path, tmp_path: Path, yfinance_clean: None
) -> None:
    import yfinance as yf

    from sources.yahoo import YahooPriceSource

    db = str(db_path)
    with writing(db) as con:
        migrate(con)
        con.executemany(
            """insert into raw.holdings (fund, as_of, line, ticker, name, weight_pct, price,
                   is_equity, file, source, fetched_at, run_id)
               values ('IWM', '2025-05-13', ?, ?, ?, 0.4, 1, true, 'f', 't', now(), 't')""",
            [(i, t, t) for i, t in enumerate(MEMBERS)],
        )
    bodies = endpoint_csv(shared_data / BULK, {f"{m}.US" for m in MEMBERS})
    settings = _settings()
    reports = []
    with yahoo_standin({}) as session, stooq_standin(bodies, apikey="k") as stooq:
        for run, as_of in (("r1", dt.date(2025, 5, 6)), ("r2", dt.date(2025, 5, 13))):
            evening = dt.datetime.combine(as_of, dt.time(23, 0), tzinfo=dt.UTC)
            yahoo = YahooPriceSource(
                timeout_s=30, max_attempts=1, probe_address=None, cache_dir=tmp_path / "yf",
                download=functools.partial(yf.download, session=session), clock=lambda e=evening: e,
            )  # fmt: skip
            http = HttpClient(user_agent="t", max_requests_per_s=50)
            fallback = StooqPriceSource(
                "k", base_url=base_url(stooq), http=http, clock=lambda e=evening: e
            )
            reports.append(
                load_member_prices(
                    db,
                    settings,
                    Clients.live(settings),
                    as_of,
                    run_id=run,
                    source=yahoo,
                    fallback=fallback,
                )
            )
    first, second = reports
    assert first.messages[0] == "priced 3 of 3 members in 2 chunks"
    assert not any(m.startswith("no data for") for m in first.messages)
    assert first.loaded == 3 * HISTORY and first.quarantined == 0
    assert second.messages[0] == "priced 3 of 3 members in 2 chunks"
    # the trailing window: 5 sessions already stored (unchanged), 5 new ones
    assert (second.loaded, second.unchanged, second.quarantined) == (3 * 5, 3 * 5, 0)
    assert not any("basis" in m for m in first.messages + second.messages)
    stored = pd.DataFrame(
        _rows(db, "select symbol, date, close, adj_close, volume, adjustment, source "
                  "from raw.prices order by symbol, date"),
        columns=["symbol", "date", "close", "adj_close", "volume", "adjustment", "source"],
    )  # fmt: skip
    assert set(stored["source"]) == {"stooq"} and set(stored["adjustment"]) == {"auto"}
    assert stored.groupby("symbol").size().to_dict() == {m: HISTORY + 5 for m in MEMBERS}
    # every stored value is Stooq's own, on one basis: nothing re-based, no seam recorded
    for symbol in MEMBERS:
        real = parse_stooq_csv(bodies[f"{symbol.lower()}.us"], origin=symbol, symbol=symbol).frame
        sub = stored[stored["symbol"] == symbol]
        mine = sub.set_index(pd.to_datetime(sub["date"]))
        truth = real.set_index("date").loc[mine.index]
        assert (mine["adj_close"] == truth["close"]).all()
        assert (mine["volume"] == truth["volume"]).all()
    assert _rows(db, "select count(*) from ops.price_seams") == [(0,)]
    assert _rows(db, "select count(*) from ops.price_rebases") == [(0,)]
    assert _rows(db, "select count(*) from ops.incidents") == [(0,)]


def test_without_a_key_the_stage_says_so_once(db_path: Path) -> None:
    from sources.replay import ReplayPriceSource

    db = str(db_path)
    with writing(db) as con:
        migrate(con)
        con.executemany(
            """insert into raw.holdings (fund, as_of, line, ticker, name, weight_pct, price,
                   is_equity, file, source, fetched_at, run_id)
               values ('IWM', '2025-05-13', ?, ?, ?, 0.4, 1, true, 'f', 't', now(), 't')""",
            [(i, t, t) for i, t in enumerate(MEMBERS)],
        )
    (db_path.parent / "empty" / "prices").mkdir(parents=True)
    report = load_member_prices(
        db, _settings(), Clients.live(_settings()), dt.date(2025, 5, 13), run_id="r1",
        source=ReplayPriceSource(db_path.parent / "empty"),
        fallback=StooqPriceSource("", base_url="http://127.0.0.1:9"),
    )  # fmt: skip
    off = [m for m in report.messages if "ROTATION_STOOQ_APIKEY is not set" in m]
    assert len(off) == 1  # two chunks, one message
    assert any(m.startswith("no data for 3 members: CRS, INSM, SFM") for m in report.messages)


def test_a_configured_symbol_yahoo_lacks_is_priced_from_stooq_in_the_daily_run(
    db_path: Path, shared_data: Path
) -> None:
    from pipeline import stages
    from quality.prices import PriceRules
    from rotation.runs import start_run
    from sources.replay import ReplayPriceSource
    from sources.stooq import StooqReplaySource

    db, as_of = str(db_path), dt.date(2025, 5, 13)
    with writing(db) as con:
        migrate(con)
        start_run(con, "r1", "daily-run", as_of)
    yahoo = db_path.parent / "yahoo" / "prices"  # Yahoo has IWM (real), nothing for SFM
    yahoo.mkdir(parents=True)
    (yahoo / "IWM.csv").symlink_to(shared_data / "prices" / "yahoo-csv-2025-09-26" / "IWM.csv")
    start = dt.date(2025, 4, 29)
    batch = stages.fetch_prices(
        ReplayPriceSource(yahoo.parent), ("IWM", "SFM", "NOPE"), start, as_of,
        StooqReplaySource(shared_data / BULK),
    )  # fmt: skip
    assert batch.missing_symbols == ("NOPE",) and batch.fallback is not None
    report = stages.validate_and_load_prices(
        db, batch, rules=PriceRules(), run_id="r1", start=start, end=as_of
    )
    assert (report.loaded, report.quarantined, report.blocked) == (22, 0, False)
    assert _rows(
        db, "select symbol, count(*), min(source) from raw.prices group by 1 order by 1"
    ) == [("IWM", 11, "replay:yahoo"), ("SFM", 11, f"replay:stooq:{Path(BULK).name}")]
    # the symbol neither vendor had is the only "no data" incident
    assert _rows(db, "select subject, kind from ops.incidents") == [("NOPE", "no_data")]
