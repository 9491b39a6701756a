"""The daily flow end to end on replayed real data, under one Prefect test server."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from flows.daily import daily_run
from tests.flows.conftest import make_replay

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_server")]


def read(db: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


@dataclass
class EmailedRun:
    summary: dict[str, Any]
    db: Path
    replay: Path
    messages: list[bytes]  # what the SMTP server received


@pytest.fixture(scope="module")
def emailed_run(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path, prefect_server: None
) -> EmailedRun:
    """One replayed run of 2025-09-26 (full history) alerting to the console and to a real SMTP
    server: the first run of two tests below, which each paid a run of its own before."""
    import socket

    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self) -> None:
            self.messages: list[bytes] = []

        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            self.messages.append(envelope.content)
            return "250 accepted"

    folder = tmp_path_factory.mktemp("emailed-run")
    db = folder / "data" / "rotation.duckdb"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        with pytest.MonkeyPatch.context() as env:
            env.chdir(folder)  # as settings_env does
            env.setenv("ROTATION_STORAGE_PATH", str(db))
            env.delenv("ROTATION_CONFIG", raising=False)
            for key, value in {
                "ROTATION_ALERTS_CHANNELS": "console,email",
                "ROTATION_ALERTS_SMTP_HOST": "127.0.0.1",
                "ROTATION_ALERTS_SMTP_PORT": str(port),
                "ROTATION_ALERTS_SMTP_SECURITY": "plain",
                "ROTATION_ALERTS_SMTP_FROM": "rotation@monitor.example",
                "ROTATION_ALERTS_SMTP_TO": "pm@fund.example,risk@fund.example",
            }.items():
                env.setenv(key, value)
            replay = make_replay(folder / "replay", shared_data, "yahoo-csv-2025-09-26")
            summary = daily_run(as_of=dt.date(2025, 9, 26), replay_dir=str(replay))
    finally:
        smtp.stop()
    return EmailedRun(summary, db, replay, inbox.messages)


def test_replayed_run_builds_every_table_and_a_rerun_changes_nothing(
    emailed_run: EmailedRun, settings_env: Path
) -> None:
    summary, replay = emailed_run.summary, emailed_run.replay
    assert summary["status"] == "completed", summary
    db = settings_env  # a copy of the first run's files: the rerun below changes them
    db.parent.mkdir(parents=True)
    for name in ("rotation.duckdb", "rotation.duckdb.wal", "rotation.read.duckdb"):
        if (emailed_run.db.parent / name).exists():
            shutil.copy2(emailed_run.db.parent / name, db.parent / name)

    tables = read(
        db, "select table_schema || '.' || table_name as t from information_schema.tables"
    )
    assert {"raw.prices", "marts.relative_strength", "marts.latest_indicators"} <= set(tables["t"])
    # 323 ^VIX null rows, 3 intraday last bars, IWB's flash-crash bar of 2010-05-06 (a low of
    # 25.00 under a 62.40 close: a trade the exchanges broke).
    run = read(db, "select * from ops.runs").iloc[0]
    assert run["status"] == "completed" and run["quarantined_rows"] == 327
    assert read(db, "select count(*) as n from ops.quarantine")["n"][0] == 327
    validation = read(db, "select * from ops.validation_runs").iloc[0]
    assert validation["batch_ok"] and validation["rows_quarantined"] == 327

    # Figures a user can check by hand against the CSVs: IWM/SPY on 2025-09-25 (the 26th was
    # an intraday bar, quarantined) is 239.289993 / 658.049988.
    latest = read(db, "select * from marts.latest_indicators where pair = 'IWM/SPY'").iloc[0]
    assert latest["date"] == pd.Timestamp("2025-09-25")
    assert latest["ratio"] == pytest.approx(239.289993 / 658.049988, rel=1e-12)

    # The published copy exists and holds the same run.
    published = db.with_name("rotation.read.duckdb")
    assert (
        read(published, "select count(*) as n from raw.prices")["n"][0]
        == read(db, "select count(*) as n from raw.prices")["n"][0]
    )

    before = {
        t: read(db, f"select * from {t} order by all")
        for t in ("raw.prices", "marts.relative_strength")
    }
    again = daily_run(as_of=dt.date(2025, 9, 26), replay_dir=str(replay))
    assert again["status"] == "completed"
    assert again["sources"][0]["loaded"] == 0  # trailing window: every row unchanged
    for table, frame in before.items():
        pd.testing.assert_frame_equal(frame, read(db, f"select * from {table} order by all"))


def test_two_successive_downloads_keep_one_basis(
    tmp_path: Path, shared_data: Path, settings_env: Path
) -> None:
    first = make_replay(tmp_path / "r2025", shared_data, "yahoo-csv-2025-09-26")
    second = make_replay(tmp_path / "r2026", shared_data, "yfinance-2026-03-10")
    assert daily_run(as_of=dt.date(2025, 9, 26), replay_dir=str(first))["status"] == "completed"
    summary = daily_run(as_of=dt.date(2026, 3, 10), replay_dir=str(second))
    assert summary["status"] == "completed"

    prices = read(
        settings_env,
        "select symbol, date, adj_close from raw.prices where symbol in ('IWM', 'SPY') "
        "order by symbol, date",
    )
    for symbol in ("IWM", "SPY"):
        stored = prices[prices["symbol"] == symbol].set_index("date")["adj_close"].pct_change()
        # The reference: the 2026 download alone, one basis, covering the seam.
        reference = pd.read_csv(
            shared_data / "prices" / "yfinance-2026-03-10" / f"{symbol}.csv",
            skiprows=[1, 2], index_col=0, parse_dates=True,
        )["Close"].pct_change()  # fmt: skip
        common = stored.index.intersection(reference.index)[1:]
        worst = (stored[common] - reference[common]).abs().max()
        assert worst < 1e-6, f"{symbol}: stored returns differ from one-basis ones by {worst}"
    rebases = read(settings_env, "select symbol, side from ops.price_rebases order by symbol")
    assert list(rebases["symbol"]) == ["IWM", "SPY"]


def test_a_closed_day_ends_early_and_says_so(settings_env: Path) -> None:
    summary = daily_run(as_of=dt.date(2025, 11, 27))  # Thanksgiving
    assert summary["status"] == "skipped"
    assert "not an NYSE session" in summary["message"]
    assert not settings_env.exists()  # nothing written


def test_backfill_loads_in_chunks_and_resumes(
    tmp_path: Path, shared_data: Path, settings_env: Path
) -> None:
    from flows.daily import backfill

    replay = make_replay(tmp_path / "replay", shared_data, "yfinance-2026-03-10")
    start, end = dt.date(2025, 1, 2), dt.date(2026, 3, 10)
    summary = backfill(start=start, end=end, replay_dir=str(replay), chunk_sessions=100)
    assert summary["status"] == "completed", summary
    chunks = read(settings_env, "select * from ops.backfill_chunks order by chunk_start")
    assert len(chunks) == 3  # 296 sessions in chunks of 100, newest first
    stored = read(settings_env, "select symbol, count(*) as n from raw.prices group by 1")
    assert dict(zip(stored["symbol"], stored["n"], strict=True)) == {"IWM": 296, "SPY": 296}

    # An interruption lost the middle chunk: a re-run loads only that one.
    con = duckdb.connect(str(settings_env))
    middle = chunks.iloc[1]
    con.execute("delete from ops.backfill_chunks where chunk_start = ?", [middle["chunk_start"]])
    con.execute(
        "delete from raw.prices where date between ? and ?",
        [
            middle["chunk_start"] + pd.Timedelta(days=20),
            middle["chunk_start"] + pd.Timedelta(days=40),
        ],
    )
    con.close()
    again = backfill(start=start, end=end, replay_dir=str(replay), chunk_sessions=100)
    loaded = [s["loaded"] for s in again["sources"] if s["source"] == "prices"]
    assert len(loaded) == 1 and loaded[0] > 0  # the two other chunks were skipped
    assert read(settings_env, "select count(*) as n from raw.prices")["n"][0] == 2 * 296
    skipped = {s["source"] for s in again["sources"] if s["skipped"]}
    # the replay folder has only prices/ (no holdings: no members to price either)
    assert skipped == {"edgar", "nasdaq", "fred", "sec_tickers", "holdings", "xbrl",
                       "fund_pe", "shiller", "xbrl-backfill", "member_prices"}  # fmt: skip


def test_backfill_reads_quarterly_edgar_indexes(
    tmp_path: Path, shared_data: Path, settings_env: Path
) -> None:
    """1993 Q4: the quarterly full index (its excerpt in ../shared/data, renamed as the replay
    twin names quarterly files, master.YYYYQTRn.idx)."""
    from flows.daily import backfill

    replay = make_replay(tmp_path / "replay", shared_data, "yahoo-csv-2025-09-26")
    (replay / "edgar").mkdir()
    (replay / "edgar" / "master.1993QTR4.idx").symlink_to(
        shared_data / "edgar" / "master.1993QTR4.excerpt.idx"
    )
    summary = backfill(
        start=dt.date(1993, 10, 1), end=dt.date(1993, 12, 31), replay_dir=str(replay)
    )
    edgar = [s for s in summary["sources"] if s["source"] == "edgar"]
    assert len(edgar) == 1 and edgar[0]["loaded"] > 0, edgar
    filings = read(settings_env, "select min(date_filed) as a, max(date_filed) as b, count(*) as n "
                   "from raw.edgar_filings")  # fmt: skip
    assert filings["n"][0] == edgar[0]["loaded"]
    assert filings["a"][0] >= pd.Timestamp("1993-10-01") and filings["b"][0] <= pd.Timestamp(
        "1993-12-31"
    )
    chunks = read(settings_env, "select scope from ops.backfill_chunks where scope like 'edgar%'")
    assert len(chunks) == 1  # a re-run skips the quarter


def test_all_four_sources_replayed(tmp_path: Path, shared_data: Path, settings_env: Path) -> None:
    """2020-01-03: the day of the real EDGAR master index; FRED series replayed whole."""
    replay = make_replay(
        tmp_path / "replay", shared_data, "yahoo-csv-2025-09-26",
        edgar="edgar", nasdaq="nasdaq", fred="fred",
    )  # fmt: skip
    summary = daily_run(as_of=dt.date(2020, 1, 3), replay_dir=str(replay))
    assert summary["status"] == "completed", summary
    by_source = {s["source"]: s for s in summary["sources"]}
    assert by_source["edgar"]["loaded"] == 7929  # 7,996 lines less the header and merged repeats
    assert by_source["nasdaq"]["skipped"]  # no recorded calendar for 2019-11 .. 2020-01
    assert by_source["fred"]["loaded"] > 0 and not by_source["fred"]["blocked"]
    db = settings_env
    # One filing is listed under each company it concerns (filer and subject): 7,929 rows of
    # (accession, CIK) are 4,655 distinct filings.
    assert read(db, "select count(distinct accession) as n from raw.edgar_filings")["n"][0] == 4655
    validations = read(db, "select source, batch_ok from ops.validation_runs order by source")
    assert list(validations["source"]) == ["edgar", "fred", "prices"]
    assert validations["batch_ok"].all()
    dashboard = read(db, "select * from marts.daily_dashboard where date = '2020-01-03'")
    assert len(dashboard) == 1
    # Deal flow on the session itself comes from the 2020-01-03 index.
    assert (
        read(db, "select sum(filings) as n from marts.deal_flow_daily where date = '2020-01-03'")[
            "n"
        ][0]
        > 0
    )


def test_a_run_e_mails_its_alerts_with_the_headline_chart(emailed_run: EmailedRun) -> None:
    """The whole path: replayed data → indicators → rules → outbox → a real SMTP server."""
    import email
    from email import policy

    summary, settings_env = emailed_run.summary, emailed_run.db
    assert summary["alerts"]["new_events"] > 0
    assert len(emailed_run.messages) == 1  # one digest per run per channel
    msg = email.message_from_bytes(emailed_run.messages[0], policy=policy.default)
    assert "alert" in msg["Subject"]
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0].get_content().startswith(b"\x89PNG")
    delivered = read(settings_env, "select count(*) as n from alerts.deliveries "
                     "where channel = 'email' and delivered_at is not null")  # fmt: skip
    assert delivered["n"][0] == summary["alerts"]["new_events"]


def test_a_failed_run_is_recorded_and_alerted_by_the_failure_hook(
    tmp_path: Path, settings_env: Path
) -> None:
    """A price source that cannot deliver at all fails the run: ops.runs says so, and the
    failure hook puts a pipeline-health alert in the outbox and delivers it. (One unreadable
    file no longer fails a run: tests/flows/test_isolation.py.)"""
    from sources.prices import PriceSourceError

    replay = tmp_path / "replay"
    (replay / "edgar").mkdir(parents=True)  # a replay folder without prices/
    with pytest.raises(PriceSourceError, match=r"has no prices/ sub-folder"):
        daily_run(as_of=dt.date(2025, 9, 26), replay_dir=str(replay))
    runs = read(settings_env, "select status, message from ops.runs")
    assert list(runs["status"]) == ["failed"] and "prices/" in runs["message"][0]
    events = read(settings_env, "select kind, severity, rule from alerts.events")
    assert list(events["kind"]) == ["pipeline_health"] and events["severity"][0] == "critical"
    delivered = read(
        settings_env, "select channel from alerts.deliveries where delivered_at is not null"
    )
    assert list(delivered["channel"]) == ["console"]
