"""Damage in the fundamentals stays with its company or fund (issue 15, item 2).

Real files from ``../shared/data`` damaged in ``tmp_path``: IWB's 2026-07-17 snapshot (about
a thousand members, every one asked for its facts), the SEC ticker table, and four real
companyfacts files of IWB members: Snowflake whole, Apple's with every value a billion times
too large (a unit slip through the whole file: most of its facts fail), DoorDash's with one
net income of 1e300, Alphabet's cut at half its length. Each damaged company is held or
quarantined with its reason and an incident; every other company's facts load and build.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from alerts import evaluate, load_rules
from pipeline.clients import Clients
from pipeline.fundamentals import load_holdings, load_sec_tickers, load_xbrl
from rotation.db import writing
from rotation.runs import start_run
from rotation.settings import HoldingsSettings, Settings, XbrlSettings
from sources.xbrl import refresh_queue
from transforms import build_models

AS_OF = dt.date(2026, 7, 17)
SNOWFLAKE, APPLE, DOORDASH, ALPHABET = 1640147, 320193, 1835632, 1652044


def _facts(shared: Path, cik: int) -> Path:
    return shared / "fundamentals" / f"companyfacts.CIK{cik:010d}.json"


def _scaled(body: dict[str, Any], factor: float) -> dict[str, Any]:
    for concepts in body["facts"].values():
        for concept in concepts.values():
            for entries in concept["units"].values():
                for entry in entries:
                    entry["val"] = entry["val"] * factor
    return body


@pytest.fixture
def settings() -> Settings:
    return dataclasses.replace(
        Settings(),
        xbrl=dataclasses.replace(XbrlSettings(), max_companies_per_run=5000),
        holdings=dataclasses.replace(HoldingsSettings(), funds=("IWB",)),
    )


@pytest.fixture
def replay(tmp_path: Path, shared_data: Path) -> Path:
    root = tmp_path / "replay"
    (root / "holdings").mkdir(parents=True)
    (root / "xbrl").mkdir()
    name = "IWB.2026-07-17.csv"
    (root / "holdings" / name).symlink_to(shared_data / "holdings" / name)
    (root / "xbrl" / "company_tickers.json").symlink_to(
        shared_data / "edgar" / "company_tickers.json"
    )
    xbrl = root / "xbrl"
    (xbrl / _facts(shared_data, SNOWFLAKE).name).symlink_to(_facts(shared_data, SNOWFLAKE))
    apple = json.loads(_facts(shared_data, APPLE).read_bytes())
    (xbrl / _facts(shared_data, APPLE).name).write_text(json.dumps(_scaled(apple, 1e9)))
    doordash = json.loads(_facts(shared_data, DOORDASH).read_bytes())
    doordash["facts"]["us-gaap"]["NetIncomeLoss"]["units"]["USD"][-1]["val"] = 1e300
    (xbrl / _facts(shared_data, DOORDASH).name).write_text(json.dumps(doordash))
    cut = _facts(shared_data, ALPHABET).read_bytes()
    (xbrl / _facts(shared_data, ALPHABET).name).write_bytes(cut[: len(cut) // 2])
    return root


def _run(db: str, settings: Settings, replay: Path, day: dt.date, run_id: str) -> Any:
    with writing(db) as con:
        start_run(con, run_id, "daily-run", day)
    clients = Clients.replay(replay)
    load_sec_tickers(db, settings, clients, run_id=run_id)
    load_holdings(db, settings, clients, day, run_id=run_id)
    return load_xbrl(db, settings, clients, day, run_id=run_id)


def _incidents(con: duckdb.DuckDBPyConnection, source: str) -> list[tuple[str, str, bool]]:
    return con.execute(
        """select subject, kind, resolved_at is null from ops.incidents
           where source = ? order by subject, kind""",
        [source],
    ).fetchall()


def test_one_companys_damage_never_blocks_the_others(
    replay: Path, settings: Settings, db_path: Path, shared_data: Path
) -> None:
    db = str(db_path)
    report = _run(db, settings, replay, AS_OF, "run-1")
    assert not report.blocked
    summary = report.messages[-1]
    assert "'blocked': 1" in summary and "'failed': 1" in summary and "'loaded': 2" in summary
    assert any("1 of" in m and "companies blocked" in m for m in report.messages)
    with writing(db) as con:
        loaded = dict(
            con.execute("select cik, count(*) from raw.xbrl_facts group by cik").fetchall()
        )
        # Snowflake whole; DoorDash all but the one fact; Apple and Alphabet held back
        assert loaded == {SNOWFLAKE: 253, DOORDASH: 325}
        fetches = dict(
            con.execute(
                "select cik, status from raw.xbrl_fetches where cik in (?, ?, ?, ?)",
                [SNOWFLAKE, APPLE, DOORDASH, ALPHABET],
            ).fetchall()
        )
        assert fetches == {
            SNOWFLAKE: "loaded", DOORDASH: "loaded", APPLE: "blocked", ALPHABET: "failed",
        }  # fmt: skip
        # nothing good lost: every one of Apple's facts is in quarantine with its reason
        apple = con.execute(
            """select count(*), count(*) filter (where reason like 'company blocked:%')
               from ops.quarantine where source = 'xbrl' and natural_key like ?""",
            [f"{APPLE}|%"],
        ).fetchone()
        assert apple is not None and apple[0] == 1388 and apple[1] < 1388
        huge = con.execute(
            """select reason from ops.quarantine
               where source = 'xbrl' and natural_key like ?""",
            [f"{DOORDASH}|NetIncomeLoss|%"],
        ).fetchall()
        assert len(huge) == 1 and "beyond any company's" in huge[0][0]
        assert con.execute("select max(abs(value)) from raw.xbrl_facts").fetchone()[0] < 1e12
        assert _incidents(con, "xbrl") == [
            (f"CIK{APPLE:010d}", "company_blocked", True),
            (f"CIK{ALPHABET:010d}", "file_unreadable", True),
            (f"CIK{DOORDASH:010d}", "rows_quarantined", True),
        ]
        detail = con.execute(
            "select detail from ops.incidents where kind = 'file_unreadable'"
        ).fetchone()[0]
        assert f"companyfacts.CIK{ALPHABET:010d}.json" in detail
        events = evaluate(
            con, [r for r in load_rules([]) if r.name == "data_incident"], AS_OF, "run-1"
        )
        # the three companies' damage is one alert for the source (issue 18: per source, not
        # per company), counting them; the per-company detail stays in ops.incidents
        xbrl_events = [e for e in events if "xbrl" in e.subject]
        assert len(xbrl_events) == 1 and xbrl_events[0].value == 3

        # the marts: DoorDash's and Snowflake's earnings build, the 1e300 never reaches them
        con.execute(
            """insert into raw.prices (symbol, date, close, adj_close, adj_close_received,
                   adjustment, source, fetched_at, run_id)
               values ('IWB', ?, 1, 1, 1, 'raw', 't', now(), 't')""",
            [AS_OF],
        )
        build_models(con)
        built = dict(
            con.execute(
                """select cik, max(abs(net_income_ttm)) from marts.earnings_ttm
                   group by cik"""
            ).fetchall()
        )
        assert set(built) == {SNOWFLAKE, DOORDASH}
        assert all(v is None or v < 1e12 for v in built.values())

        # back-off: the two damaged companies are not asked again the same day ...
        same_day = refresh_queue(con, funds=["IWB"], sweep=0, limit=5000, today=AS_OF)
        assert APPLE not in same_day and ALPHABET not in same_day
        # ... but first thing the next day
        next_day = refresh_queue(
            con, funds=["IWB"], sweep=0, limit=5000, today=AS_OF + dt.timedelta(days=1)
        )
        assert next_day[:2] == sorted([APPLE, ALPHABET], key=next_day.index)

    # the next day the files are whole again: both load, their incidents resolve
    (replay / "xbrl" / _facts(shared_data, APPLE).name).unlink()
    (replay / "xbrl" / _facts(shared_data, APPLE).name).symlink_to(_facts(shared_data, APPLE))
    (replay / "xbrl" / _facts(shared_data, ALPHABET).name).unlink()
    (replay / "xbrl" / _facts(shared_data, ALPHABET).name).symlink_to(_facts(shared_data, ALPHABET))
    _run(db, settings, replay, AS_OF + dt.timedelta(days=1), "run-2")
    with writing(db) as con:
        assert (f"CIK{APPLE:010d}", "company_blocked", False) in _incidents(con, "xbrl")
        assert (f"CIK{ALPHABET:010d}", "file_unreadable", False) in _incidents(con, "xbrl")
        assert con.execute("select count(*) from raw.xbrl_fetch_backoff").fetchone() == (0,)
        assert con.execute(
            "select count(*) from raw.xbrl_facts where cik = ?", [APPLE]
        ).fetchone() == (1388,)


def test_a_second_failure_waits_longer(replay: Path, settings: Settings, db_path: Path) -> None:
    db = str(db_path)
    _run(db, settings, replay, AS_OF, "run-1")
    _run(db, settings, replay, AS_OF + dt.timedelta(days=1), "run-2")
    with writing(db) as con:
        rows = con.execute(
            "select cik, failures, retry_after from raw.xbrl_fetch_backoff order by cik"
        ).fetchall()
    assert rows == [
        (APPLE, 2, AS_OF + dt.timedelta(days=3)),
        (ALPHABET, 2, AS_OF + dt.timedelta(days=3)),
    ]


def test_holdings_damage_is_an_incident_per_fund(
    tmp_path: Path, shared_data: Path, db_path: Path
) -> None:
    """A garbage IWB file, an IWM snapshot whose preamble date contradicts its name, no IVV
    file: one incident each; IWM's good snapshot loads; a whole folder later resolves them."""
    root = tmp_path / "replay"
    holdings = root / "holdings"
    holdings.mkdir(parents=True)
    good = shared_data / "holdings" / "IWM.2026-05-05.csv"
    (holdings / good.name).symlink_to(good)
    misdated = holdings / "IWM.2026-05-06.csv"
    misdated.symlink_to(good)  # its preamble says May 05
    garbage = holdings / "IWB.2026-05-06.csv"
    garbage.write_bytes(b"<html><body>Service unavailable</body></html>\n")
    settings = dataclasses.replace(
        Settings(),
        holdings=dataclasses.replace(HoldingsSettings(), funds=("IWM", "IWB", "IVV")),
    )
    db = str(db_path)
    day = dt.date(2026, 5, 6)
    with writing(db) as con:
        start_run(con, "run-1", "daily-run", day)
    report = load_holdings(db, settings, Clients.replay(root), day, run_id="run-1")
    assert report.loaded == 1922  # IWM's good snapshot, whole
    assert len(report.damage) == 3 and report.new_incidents == 3
    with writing(db) as con:
        assert _incidents(con, "holdings") == [
            ("IVV", "no_data", True),
            ("IWB", "file_unreadable", True),
            ("IWM", "file_unreadable", True),
        ]
        detail = con.execute("select detail from ops.incidents where subject = 'IWM'").fetchone()[0]
        assert "IWM.2026-05-06.csv" in detail
    misdated.unlink()
    garbage.unlink()
    (holdings / "IWB.2026-07-17.csv").symlink_to(shared_data / "holdings" / "IWB.2026-07-17.csv")
    (holdings / "IVV.2026-06-19.csv").symlink_to(shared_data / "holdings" / "IVV.2026-06-19.csv")
    load_holdings(db, settings, Clients.replay(root), dt.date(2026, 7, 17), run_id="run-2")
    with writing(db) as con:
        assert [open_ for *_, open_ in _incidents(con, "holdings")] == [False, False, False]
