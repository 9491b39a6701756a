"""Member prices end to end on real data: the real IWB holdings snapshot chooses the members,
real Yahoo chart bytes (MSFT with its dividends, NVDA across its 4:1 split) are the prices.

Two ways in, both real parts: replay files the test writes into tmp_path from the recorded
chart JSON (the replay twin, fast enough for the ~1,000 IWB members), and the real
``yf.download`` against a loopback stand-in serving the same bytes (a few members, one of
them stalling so its chunk runs out of time). No Prefect: the stage is a plain function.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipeline.clients import Clients
from pipeline.member_prices import Member, load_member_prices, plan_member_chunks
from pipeline.registry import load_fundamentals
from rotation.db import migrate, writing
from rotation.settings import BreadthSettings, HoldingsSettings, Settings, XbrlSettings
from tests.yahoo_standin import recorded_body, reset_yfinance, yahoo_standin

AS_OF = dt.date(2022, 1, 28)  # the recordings' last session
RECORDINGS = {
    "MSFT": "historical-via-chart-MSFT-dividends-2021-02-01-to-2022-01-31.csv.json",
    "NVDA": "historical-via-chart-NVDA-split-2021-02-01-to-2022-01-31.csv.json",
}
SESSIONS_RECORDED = 252


def _settings(**breadth: object) -> Settings:
    return dataclasses.replace(
        Settings(),
        holdings=dataclasses.replace(HoldingsSettings(), funds=("IWB",)),
        xbrl=dataclasses.replace(XbrlSettings(), enabled=False),
        breadth=dataclasses.replace(BreadthSettings(), **breadth),  # type: ignore[arg-type]
    )


def chart_to_csv(recording: Path, target: Path) -> None:
    """Write a recorded chart body as a yfinance-style CSV (one header line, raw close, Adj
    Close, dividends and splits on their days), as a replay file."""
    result = json.loads(recording.read_text())["response"]["bodyJson"]["chart"]["result"][0]
    quote = result["indicators"]["quote"][0]
    adjclose = result["indicators"]["adjclose"][0]["adjclose"]
    events = result.get("events", {})
    dividends = {int(k): v["amount"] for k, v in events.get("dividends", {}).items()}
    splits = {
        int(k): v["numerator"] / v["denominator"] for k, v in events.get("splits", {}).items()
    }
    with target.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume", "Dividends",
             "Stock Splits"]
        )  # fmt: skip
        for i, stamp in enumerate(result["timestamp"]):
            day = dt.datetime.fromtimestamp(stamp, dt.UTC).date()  # 14:30 UTC: the NY day
            writer.writerow(
                [day.isoformat(), quote["open"][i], quote["high"][i], quote["low"][i],
                 quote["close"][i], adjclose[i], quote["volume"][i],
                 dividends.get(stamp, 0), splits.get(stamp, 0)]
            )  # fmt: skip


@pytest.fixture
def replay(tmp_path: Path, shared_data: Path) -> Path:
    root = tmp_path / "replay"
    (root / "holdings").mkdir(parents=True)
    (root / "prices").mkdir()
    (root / "holdings" / "IWB.2026-07-17.csv").symlink_to(
        shared_data / "holdings" / "IWB.2026-07-17.csv"
    )
    for symbol, name in RECORDINGS.items():
        chart_to_csv(shared_data / "yahoo-chart-json" / name, root / "prices" / f"{symbol}.csv")
    return root


@pytest.fixture
def with_members(replay: Path, db_path: Path) -> str:
    """A database holding the real IWB snapshot of 2026-07-17 (1,024 members with a ticker)."""
    (holdings,) = [
        r
        for r in load_fundamentals(
            str(db_path), _settings(), Clients.replay(replay), dt.date(2026, 7, 17), run_id="r0"
        )
        if r.source == "holdings"
    ]
    assert holdings.loaded and not holdings.blocked
    return str(db_path)


def _rows(db: str, sql: str, params: list | None = None) -> list[tuple]:
    with writing(db) as con:
        return con.execute(sql, params or []).fetchall()


def test_every_member_is_asked_for_and_the_missing_ones_are_one_line(
    with_members: str, replay: Path
) -> None:
    from rotation import incidents
    from rotation.incidents import Incident

    with writing(with_members) as con:  # damage an earlier run saw: MSFT's, and AAPL's
        for symbol in ("MSFT", "AAPL"):
            incidents.record(
                con,
                Incident("member_prices", symbol, "rows_quarantined", f"{symbol}: earlier"),
                run_id="r0",
                session=AS_OF,
            )
    report = load_member_prices(
        with_members, _settings(), Clients.replay(replay), AS_OF, run_id="r1"
    )
    assert report.messages[0] == "priced 2 of 1024 members in 11 chunks"
    missing = [m for m in report.messages if m.startswith("no data for")]
    assert len(missing) == 1 and missing[0].startswith("no data for 1022 members: A, AA, AAL")
    assert report.loaded == 2 * SESSIONS_RECORDED and report.quarantined == 0
    assert not report.blocked
    stored = _rows(
        with_members,
        "select symbol, count(*), min(date), max(date), count(*) filter (where splits > 0), "
        "count(*) filter (where dividends > 0) from raw.prices group by 1 order by 1",
    )
    assert stored == [
        ("MSFT", 252, dt.date(2021, 2, 1), AS_OF, 0, 4),
        ("NVDA", 252, dt.date(2021, 2, 1), AS_OF, 1, 0),
    ]
    # the configured symbols (SPY, IWM, ...) are not members; the batches are labelled
    assert _rows(
        with_members, "select count(*), count(last_delivered) from ops.member_symbols"
    ) == [(1024, 2)]
    assert _rows(
        with_members, "select distinct source from ops.validation_runs where run_id = 'r1'"
    ) == [("member_prices",)]
    # MSFT was re-checked and is clean now: resolved; AAPL delivered nothing: still open
    assert _rows(
        with_members,
        "select subject, resolved_run_id from ops.incidents order by subject",
    ) == [("AAPL", None), ("MSFT", "r1")]
    # the next run: MSFT and NVDA hold 252 sessions, enough for a 200-session history, so
    # they get the trailing 10 sessions; the other members are still short and asked again
    again = load_member_prices(
        with_members, _settings(history_sessions=200), Clients.replay(replay), AS_OF, run_id="r2"
    )
    assert again.fetched == 2 * 10 and again.unchanged == 2 * 10 and again.loaded == 0
    assert again.messages[0] == "priced 2 of 1024 members in 12 chunks"
    # the member damage is one line of the run output, naming where the detail is
    assert (
        report.damage
        == again.damage
        == ["member_prices: 1 members with quarantined rows; see `rotation status`"]
    )


def test_members_missing_sessions_are_one_line(with_members: str, replay: Path) -> None:
    """Gaps in two members' bars: one summary line, not one line per member."""
    for symbol, cut in (("MSFT", 3), ("NVDA", 2)):
        path = replay / "prices" / f"{symbol}.csv"
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(lines[:100] + lines[100 + cut :]))
    report = load_member_prices(
        with_members, _settings(), Clients.replay(replay), AS_OF, run_id="r1"
    )
    gaps = [m for m in report.messages if "missing" in m]
    assert gaps == [
        "sessions missing for 2 members, 5 in all: MSFT, NVDA (per member in ops.missing_sessions)"
    ]
    assert not [m for m in report.messages if m.startswith(("MSFT", "NVDA"))]
    assert _rows(with_members, "select count(*) from ops.missing_sessions") == [(5,)]


def test_damage_line_counts_kinds_and_new() -> None:
    from pipeline.member_prices import damage_line

    assert damage_line([]) is None
    assert damage_line(
        [("rows_quarantined", 41, 5), ("level_shift", 3, 0), ("seam_conflict", 1, 0)]
    ) == (
        "member_prices: 41 members with quarantined rows, 3 held shifts, 1 members with seam "
        "conflict (5 new); see `rotation status`"
    )


def test_plan_groups_short_and_current_members() -> None:
    members = [
        Member("NEW", 0, None),
        Member("OLD", 400, dt.date(2022, 1, 27)),
        Member("LATE", 400, dt.date(2022, 1, 10)),  # behind: catches up in its own chunk
        Member("YOUNG", 50, dt.date(2022, 1, 27)),  # listed recently: asks for history again
    ]
    chunks = plan_member_chunks(
        members, AS_OF, lookback_sessions=10, history_sessions=300, chunk_size=1
    )
    assert [(c.symbols, c.start, c.end) for c in chunks] == [
        (("NEW",), dt.date(2020, 11, 19), AS_OF),
        (("YOUNG",), dt.date(2020, 11, 19), AS_OF),
        (("LATE",), dt.date(2021, 12, 28), AS_OF),  # 10 sessions before its latest
        (("OLD",), dt.date(2022, 1, 14), AS_OF),  # the trailing 10 (Jan 17: MLK day)
    ]
    assert chunks[2].why == "catching up from 2021-12-28"
    assert chunks[3].why == "trailing 10 sessions"


@pytest.fixture
def yfinance_clean() -> Iterator[None]:
    yield
    reset_yfinance()


def test_live_client_chunks_a_stalled_chunk_fails_alone(
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
               values ('IWB', '2022-01-03', ?, ?, ?, 25, 1, true, 'f', 't', now(), 't')""",
            [(i, t, t) for i, t in enumerate(["MSFT", "NVDA", "NOSUCH", "STALL"])],
        )
    bodies = {s: recorded_body(shared_data / "yahoo-chart-json" / n) for s, n in RECORDINGS.items()}
    settings = _settings(chunk_size=2, chunk_timeout_s=3.0)
    with yahoo_standin(bodies, stall=frozenset({"STALL"}), stall_s=8.0) as session:
        source = YahooPriceSource(
            timeout_s=settings.breadth.chunk_timeout_s, max_attempts=1,
            download=functools.partial(yf.download, session=session), probe_address=None,
            cache_dir=tmp_path / "yf-cache", clock=lambda: dt.datetime(2022, 1, 29, tzinfo=dt.UTC),
        )  # fmt: skip
        report = load_member_prices(
            db, settings, Clients.live(settings), AS_OF, run_id="r1", source=source
        )
    # chunks: MSFT+NOSUCH (NOSUCH gets a 404), NVDA+STALL (runs out of time)
    assert report.messages[0] == "priced 1 of 4 members in 2 chunks"
    assert any(
        "chunk NVDA…STALL" in m and "did not answer within 3 s" in m for m in report.messages
    )
    assert any(m.startswith("no data for 1 members: NOSUCH") for m in report.messages)
    assert any(m.startswith("2 members not fetched") for m in report.messages)
    assert _rows(db, "select symbol, count(*) from raw.prices group by 1") == [("MSFT", 252)]
    con = duckdb.connect(db, read_only=True)
    try:
        delivered = con.execute(
            "select symbol from ops.member_symbols where last_delivered is not null"
        ).fetchall()
    finally:
        con.close()
    assert delivered == [("MSFT",)]


def test_backfill_prices_the_members_in_the_same_chunks_and_resumes(
    with_members: str, replay: Path
) -> None:
    """`rotation backfill` gives breadth its history: every member over the price chunks."""
    from pipeline.member_prices import backfill_member_prices
    from pipeline.stages import backfill_chunks

    settings = _settings(chunk_size=400)  # 1,024 members: three groups
    chunks = backfill_chunks(dt.date(2021, 2, 1), AS_OF, 100, 10)
    assert len(chunks) == 3
    report = backfill_member_prices(
        with_members, settings, Clients.replay(replay), chunks, run_id="b1"
    )
    assert report.messages[0] == "priced 2 of 1024 members in 9 chunks"
    assert not report.blocked and report.damage == []
    stored = _rows(
        with_members,
        "select symbol, count(*), min(date), max(date) from raw.prices group by 1 order by 1",
    )
    assert stored == [
        ("MSFT", SESSIONS_RECORDED, dt.date(2021, 2, 1), AS_OF),
        ("NVDA", SESSIONS_RECORDED, dt.date(2021, 2, 1), AS_OF),
    ]
    # the group holding MSFT and NVDA is done for every chunk; groups with no rows at all
    # are asked again next time (nothing back looks like an outage)
    done = _rows(
        with_members,
        "select count(*), count(distinct scope) from ops.backfill_chunks "
        "where scope like 'member_prices:%'",
    )
    assert done == [(3, 1)]
    assert _rows(
        with_members,
        "select symbol, last_delivered from ops.member_symbols where last_delivered is not null "
        "order by 1",
    ) == [("MSFT", AS_OF), ("NVDA", AS_OF)]
    # interrupted after the newest chunk of that group: the rerun fetches only the rest
    with writing(with_members) as con:
        con.execute(
            "delete from ops.backfill_chunks where scope like 'member_prices:%' "
            "and chunk_start < ?",
            [chunks[0][0]],
        )
    again = backfill_member_prices(
        with_members, settings, Clients.replay(replay), chunks, run_id="b2"
    )
    assert again.loaded == 0 and again.unchanged > 0
    assert "1 member chunks already loaded, skipped" in again.messages
    assert _rows(with_members, "select count(*) from raw.prices") == [(2 * SESSIONS_RECORDED,)]
