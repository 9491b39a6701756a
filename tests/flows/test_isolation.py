"""Damage stays in its symbol or source: real files from ../shared/data, damaged in tmp_path.

One replay folder holds every kind of damage the issue lists at once: a price file cut short,
an HTML error page saved as IWM.csv, a header-only file, reordered columns, a Nasdaq share
count too large for its column, an EDGAR daily index cut to 10% of its lines and a FRED value
that is not a number. The stages run as the daily flow runs them (no Prefect: the stage
functions are plain), then again on the repaired files, then once more unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from pipeline import stages
from pipeline.clients import Clients
from rotation.db import writing
from rotation.runs import start_run
from rotation.settings import load_settings
from sources.replay import ReplayPriceSource

AS_OF = dt.date(2025, 9, 26)
START, END = dt.date(2025, 9, 2), dt.date(2025, 9, 25)
# The one complete daily index in ../shared/data (master.20200103.idx) stands for three later
# Fridays (an index lists filings up to its day, so it may stand for a later one), then for the
# Friday after them, cut to 10% of its lines.
FRIDAYS = [dt.date(2020, 1, 10), dt.date(2020, 1, 17), dt.date(2020, 1, 24)]
CUT_DAY = dt.date(2020, 1, 31)
MONTHS = ["2024-06", "2024-07"]
HTML_PAGE = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body></body></html>"


@dataclass
class Run:
    reports: dict[str, stages.SourceReport]
    incidents: pd.DataFrame  # every incident after the run
    prices: pd.DataFrame  # raw.prices rows per symbol


def _link(target: Path, link: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)


def _replay(root: Path, data: Path, *, damaged: bool) -> Path:
    """Symlinks to the real files; with ``damaged``, the damaged copies the issue lists."""
    snapshot = data / "prices" / "yahoo-csv-2025-09-26"
    prices = root / "prices"
    _link(snapshot / "SPY.csv", prices / "SPY.csv")
    for name in ("IWM", "^GSPC", "^VIX", "IWB"):
        if not damaged:
            _link(snapshot / f"{name}.csv", prices / f"{name}.csv")
    if damaged:
        (prices / "IWM.csv").write_bytes(HTML_PAGE)
        (prices / "^GSPC.csv").write_text("Date,Open,High,Low,Close,Adj Close,Volume\n")
        vix = (snapshot / "^VIX.csv").read_bytes()
        (prices / "^VIX.csv").write_bytes(vix[: len(vix) - 57])  # ends inside a row
        iwb = pd.read_csv(snapshot / "IWB.csv", dtype=str)
        iwb[["Date", "Adj Close", "Volume", "Open", "High", "Low", "Close"]].to_csv(
            prices / "IWB.csv", index=False
        )
    master = data / "edgar" / "master.20200103.idx"
    for day in FRIDAYS:
        _link(master, root / "edgar" / f"master.{day:%Y%m%d}.idx")
    cut_name = f"master.{CUT_DAY:%Y%m%d}.idx"
    if damaged:
        lines = master.read_bytes().split(b"\n")
        kept = lines[: 11 + (len(lines) - 11) // 10]  # the header and 10% of the filings
        (root / "edgar" / cut_name).write_bytes(b"\n".join(kept) + b"\n")
    else:
        _link(master, root / "edgar" / cut_name)
    for month in MONTHS:
        name = f"nasdaq_ipo_calendar_{month}.json"
        if damaged and month == "2024-06":
            doc = json.loads((data / "nasdaq" / name).read_bytes())
            doc["data"]["priced"]["rows"][0]["sharesOffered"] = "99,999,999,999,999,999,999"
            (root / "nasdaq").mkdir(exist_ok=True)
            (root / "nasdaq" / name).write_text(json.dumps(doc))
        else:
            _link(data / "nasdaq" / name, root / "nasdaq" / name)
    for path in sorted((data / "fred").glob("*.csv")):
        if damaged and path.name == "ICSA.csv":
            lines = path.read_text().splitlines()
            lines[4] = lines[4].split(",")[0] + ",abc"
            (root / "fred" / path.name).write_text("\n".join(lines) + "\n")
        else:
            _link(path, root / "fred" / path.name)
    return root


def _run(db: Path, replay: Path, run_id: str) -> Run:
    settings = load_settings(None)
    with writing(db) as con:
        start_run(con, run_id, "daily-run", AS_OF)
    batch = ReplayPriceSource(replay).fetch(settings.prices.symbols, START, END)
    clients = Clients.replay(replay)
    reports = {
        "prices": stages.validate_and_load_prices(
            str(db), batch, rules=stages.price_rules(settings.prices), run_id=run_id,
            start=START, end=END,
        ),
        "edgar": stages.validate_and_load_source(
            str(db), stages.fetch_edgar(settings, clients, [*FRIDAYS, CUT_DAY]), run_id=run_id
        ),
        "nasdaq": stages.validate_and_load_source(
            str(db), stages.fetch_nasdaq(settings, clients, AS_OF, MONTHS), run_id=run_id
        ),
        "fred": stages.validate_and_load_source(
            str(db), stages.fetch_fred(settings, clients), run_id=run_id
        ),
    }  # fmt: skip
    con = duckdb.connect(str(db), read_only=True)
    try:
        found = con.execute(
            "select source, subject, kind, detail, resolved_at is null as open, first_run_id "
            "from ops.incidents order by source, subject"
        ).df()
        prices = con.execute("select symbol, count(*) as n from raw.prices group by symbol").df()
    finally:
        con.close()
    return Run(reports, found, prices.set_index("symbol")["n"])


@pytest.fixture(scope="module")
def runs(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[tuple[Run, Run, Run]]:
    root = tmp_path_factory.mktemp("isolation")
    db = root / "rotation.duckdb"
    damaged = _run(db, _replay(root / "damaged", shared_data, damaged=True), "run-1")
    repaired_dir = _replay(root / "repaired", shared_data, damaged=False)
    repaired = _run(db, repaired_dir, "run-2")
    unchanged = _run(db, repaired_dir, "run-3")
    yield damaged, repaired, unchanged
    shutil.rmtree(root, ignore_errors=True)


def _open(run: Run, source: str) -> dict[str, Any]:
    rows = run.incidents.loc[run.incidents["open"] & (run.incidents["source"] == source)]
    return {f"{r.subject} {r.kind}": r.detail for r in rows.itertuples()}


def _rows_in_window(shared_data: Path, symbol: str) -> int:
    frame = pd.read_csv(shared_data / "prices" / "yahoo-csv-2025-09-26" / f"{symbol}.csv")
    return int(frame["Date"].between(START.isoformat(), END.isoformat()).sum())


def test_untouched_symbols_load_whole_and_each_damaged_file_is_one_incident(
    runs: tuple[Run, Run, Run], shared_data: Path
) -> None:
    damaged = runs[0]
    report = damaged.reports["prices"]
    assert not report.blocked
    assert damaged.prices["SPY"] == _rows_in_window(shared_data, "SPY")
    found = _open(damaged, "prices")
    assert "IWM.csv: unknown price CSV header '<!DOCTYPE html>" in found["IWM file_unreadable"]
    assert "^GSPC.csv has no rows" in found["^GSPC no_data"]
    for symbol in ("IWC", "^RUT", "^RUI"):  # configured, no file in the replay folder
        assert "no file" in found[f"{symbol} no_data"]
    # The cut ^VIX file and IWB's reordered columns are the price parser's to read; whatever
    # it makes of them, the damage is named and stays with its symbol.
    for symbol in ("^VIX", "IWB"):
        loaded_whole = damaged.prices.get(symbol) == _rows_in_window(shared_data, symbol)
        named = any(key.startswith(f"{symbol} ") for key in found)
        assert loaded_whole or named, symbol
    assert {"IWM", "^GSPC"}.isdisjoint(damaged.prices.index)
    assert all("\n" not in detail for detail in damaged.incidents["detail"])


def test_other_sources_load_whole_around_their_damaged_file(runs: tuple[Run, Run, Run]) -> None:
    damaged = runs[0]
    edgar, nasdaq, fred = (damaged.reports[s] for s in ("edgar", "nasdaq", "fred"))
    assert not any(r.blocked or r.skipped for r in (edgar, nasdaq, fred))

    short = _open(damaged, "edgar")["master.20200131.idx short_index"]
    assert short.startswith("master.20200131.idx has 802 rows, under 60% of the median 7,989")
    assert edgar.loaded == 7989 - 60  # every filing of the whole files (fund repeats merged)

    assert nasdaq.quarantined == 1 and nasdaq.loaded == 77 - 6 - 1  # 2024-06 and -07 deals
    deal = _open(damaged, "nasdaq")["nasdaq_ipo_calendar_2024-06.json rows_quarantined"]
    assert deal.endswith(
        "nasdaq_ipo_calendar_2024-06.json data.priced.rows[0]: "
        "share count 99999999999999999999 does not fit its BIGINT column"
    )

    icsa = _open(damaged, "fred")["ICSA.csv rows_quarantined"]
    assert "ICSA.csv line 5: value 'abc' is not a number" in icsa
    assert fred.quarantined == 1
    assert fred.damage == ["fred ICSA.csv: " + icsa]


def test_repaired_files_resolve_their_incidents_and_reruns_count_no_change(
    runs: tuple[Run, Run, Run],
) -> None:
    _, repaired, unchanged = runs
    still_open = {
        f"{r.source} {r.subject} {r.kind}" for r in repaired.incidents.itertuples() if r.open
    }
    assert still_open == {"prices IWC no_data", "prices ^RUI no_data", "prices ^RUT no_data"}
    # the whole index, re-read, is no longer short; its filings were all known from the
    # Friday copies of the same file, so nothing is new or changed
    assert repaired.reports["edgar"].loaded == 0
    assert repaired.reports["nasdaq"].loaded == 1  # the deal quarantined before
    assert repaired.reports["fred"].loaded == 1  # ICSA's line 5
    for source in ("edgar", "nasdaq", "fred"):
        assert unchanged.reports[source].loaded == 0, source
        assert unchanged.reports[source].unchanged > 0, source
    assert unchanged.reports["prices"].loaded == 0
    # the same incidents, seen again, are not new
    assert unchanged.reports["prices"].new_incidents == 0
    assert len(unchanged.reports["prices"].damage) == 3


def _incidents(db: Path) -> list[tuple[str, str, str, str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "select source, subject, kind, detail from ops.incidents where resolved_at is null"
        ).fetchall()
        return [(str(a), str(b), str(c), str(d)) for a, b, c, d in rows]
    finally:
        con.close()


def test_a_load_error_names_the_value_not_an_aborted_transaction(
    tmp_path: Path, shared_data: Path
) -> None:
    replay = tmp_path / "replay"
    _link(shared_data / "nasdaq", replay / "nasdaq")
    db = tmp_path / "rotation.duckdb"
    with writing(db) as con:
        start_run(con, "run-1", "daily-run", AS_OF)
    fetched = stages.fetch_nasdaq(load_settings(None), Clients.replay(replay), AS_OF, ["2024-06"])
    filed = fetched.frame.index[fetched.frame["status"] == "filed"][0]
    fetched.frame.loc[filed, "expected_date"] = "2024-13-45"  # passes the checks, not the cast
    report = stages.validate_and_load_source(str(db), fetched, run_id="run-1")

    assert report.blocked and report.loaded == 0
    [line] = [m for m in report.messages if "not loaded" in m]
    assert "2024-13-45" in line and "aborted" not in line and "\n" not in line
    [(source, subject, kind, detail)] = _incidents(db)
    assert (source, subject, kind) == ("nasdaq", "nasdaq", "load_failed")
    assert "2024-13-45" in detail
    con = duckdb.connect(str(db), read_only=True)
    try:  # rolled back as a whole: no deal, no quarantine row, no validation record
        counts = con.execute(
            "select (select count(*) from raw.nasdaq_ipos), (select count(*) from ops.quarantine)"
        ).fetchone()
    finally:
        con.close()
    assert counts == (0, 0)


def test_a_source_with_nothing_to_read_is_one_incident_and_the_run_goes_on(
    tmp_path: Path, shared_data: Path
) -> None:
    replay = tmp_path / "replay"
    _link(shared_data / "nasdaq", replay / "nasdaq")
    db = tmp_path / "rotation.duckdb"
    with writing(db) as con:
        start_run(con, "run-1", "daily-run", AS_OF)
    fetched = stages.fetch_nasdaq(
        load_settings(None), Clients.replay(replay), AS_OF, ["2030-01", "2030-02"]
    )
    report = stages.validate_and_load_source(str(db), fetched, run_id="run-1")
    assert report.skipped and report.new_incidents == 1
    [(source, subject, kind, detail)] = _incidents(db)
    assert (source, subject, kind) == ("nasdaq", "nasdaq", "unavailable")
    assert detail.startswith("Nasdaq IPO calendar unavailable: replay file ")
    assert detail.endswith("nasdaq_ipo_calendar_2030-01.json is missing")


def test_status_shows_damage_per_symbol_and_source(con: duckdb.DuckDBPyConnection) -> None:
    from rich.console import Console

    from cli.status import collect_status, render_status
    from rotation import incidents
    from rotation.incidents import Incident

    start_run(con, "run-1", "daily-run", AS_OF)
    con.execute(
        "insert into raw.prices (symbol, date, close, adj_close, adj_close_received, adjustment,"
        " source, fetched_at, run_id) values ('IWM', ?, 1, 1, 1, 'raw', 'r', now(), 'run-1')",
        [dt.date(2025, 9, 19)],
    )
    seen = [
        Incident("prices", "IWM", "file_unreadable", "prices/IWM.csv: unknown price CSV header"),
        Incident("prices", "^RUT", "no_data", "no file prices/^RUT.csv"),
        Incident("fred", "ICSA.csv", "rows_quarantined", "ICSA.csv line 5: value 'abc'"),
    ]
    incidents.record_all(con, seen, run_id="run-1", session=AS_OF)
    status = collect_status(con, AS_OF)
    by_symbol = {f["symbol"]: f["damage"] for f in status["freshness"]}
    assert by_symbol == {"IWM": ["file_unreadable"], "^RUT": ["no_data"]}
    assert len(status["incidents"]) == 3
    console = Console(record=True, width=200)
    render_status(status, console)
    text = console.export_text()
    assert "Damage contained, still open (3)" in text
    assert "prices/IWM.csv: unknown price CSV header" in text
    assert "ICSA.csv line 5: value 'abc'" in text


def test_live_yahoo_a_failing_symbol_is_one_incident_and_the_rest_loads(
    tmp_path: Path, shared_data: Path
) -> None:
    """The real ``yf.download`` on recorded chart JSON: NOSUCH gets Yahoo's 404."""
    import functools

    import requests
    import yfinance as yf
    from yfinance.data import YfData

    from sources.yahoo import YahooPriceSource
    from tests.sources.test_yahoo_live_client import AFTER_CLOSE, RecordedYahoo

    recorded = json.loads(
        (shared_data / "yahoo-chart-json" / "chart-AAPL-2020-08-31-to-2020-11-07.json").read_text()
    )
    adapter = RecordedYahoo({"AAPL": json.dumps(recorded["response"]["bodyJson"]).encode()})
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    source = YahooPriceSource(
        timeout_s=60, download=functools.partial(yf.download, session=session),
        probe_address=None, cache_dir=tmp_path / "yf-cache", threads=2,
        clock=lambda: AFTER_CLOSE,
    )  # fmt: skip
    start, end = dt.date(2020, 9, 1), dt.date(2020, 11, 6)
    try:
        batch = source.fetch(["AAPL", "NOSUCH"], start, end)
    finally:  # yfinance's session, crumb and cache are process-wide
        data = YfData()
        data._crumb, data._cookie = None, None
        YfData.cache_get.cache_clear()
    db = tmp_path / "rotation.duckdb"
    with writing(db) as con:
        start_run(con, "run-1", "daily-run", end)
    report = stages.validate_and_load_prices(
        str(db), batch, rules=stages.price_rules(load_settings(None).prices), run_id="run-1",
        start=start, end=end,
    )  # fmt: skip
    assert report.loaded > 40 and not report.blocked
    [(source_name, subject, kind, detail)] = _incidents(db)
    assert (source_name, subject, kind) == ("prices", "NOSUCH", "no_data")
    assert detail.startswith("nothing came back from Yahoo")


def test_damaged_edgar_days_are_read_again_until_whole(tmp_path: Path) -> None:
    from sources.edgar import FILING_COLUMNS, INDEX_FILE_COLUMNS, load_edgar

    db = tmp_path / "rotation.duckdb"
    files = pd.DataFrame(
        [
            (f"master.{d:%Y%m%d}.idx", d, d, status, 10, "file:///x")
            for d, status in [
                (dt.date(2020, 1, 2), "loaded"),
                (dt.date(2020, 1, 3), "short"),
                (dt.date(2020, 1, 6), "unrecognised"),
                (dt.date(2019, 10, 1), "short"),  # beyond the two months: left open
            ]
        ],
        columns=INDEX_FILE_COLUMNS,
    )
    with writing(db) as con:
        load_edgar(con, pd.DataFrame(columns=FILING_COLUMNS), "r", dt.datetime.now(dt.UTC),
                   index_files=files)  # fmt: skip
    assert stages.edgar_days_to_reread(str(db), dt.date(2020, 1, 10)) == [
        dt.date(2020, 1, 3),
        dt.date(2020, 1, 6),
    ]


def test_a_missing_nasdaq_month_is_resolved_once_it_leaves_the_window(
    tmp_path: Path, shared_data: Path
) -> None:
    replay = tmp_path / "replay"
    _link(shared_data / "nasdaq", replay / "nasdaq")
    db = tmp_path / "rotation.duckdb"
    settings = load_settings(None)
    for run_id, months in (("run-1", ["2024-06", "2024-08"]), ("run-2", ["2024-06", "2024-07"])):
        with writing(db) as con:
            start_run(con, run_id, "daily-run", AS_OF)
        fetched = stages.fetch_nasdaq(settings, Clients.replay(replay), AS_OF, months)
        report = stages.validate_and_load_source(str(db), fetched, run_id=run_id)
        if run_id == "run-1":
            assert report.new_incidents == 1 and not report.skipped
            [(_, subject, kind, detail)] = _incidents(db)
            assert (subject, kind) == ("nasdaq_ipo_calendar_2024-08.json", "no_data")
            assert detail.endswith("nasdaq_ipo_calendar_2024-08.json is missing")
    assert _incidents(db) == []


def test_the_run_summary_and_ops_runs_name_the_damage() -> None:
    from flows.daily import _summary
    from transforms import BuildReport

    prices = stages.SourceReport("prices", fetched=10, loaded=10)
    prices.note_damage(["new"], ["prices IWM: prices/IWM.csv: not CSV"])
    fred = stages.SourceReport("fred", fetched=5, loaded=4, quarantined=1)
    fred.note_damage([], ["fred ICSA.csv: 1 row(s) quarantined; first: line 5"])
    build = BuildReport(models=[], audits=[])
    summary = _summary("run-1", AS_OF, [prices, fred], build, {"new_events": 1, "delivery": "ok"})
    assert summary["status"] == "completed"  # the rest of the run loaded
    assert "damage contained: 2 (1 new)" in summary["message"]
    assert (
        summary["damage"]
        == summary["ops"]["details"]["damage"]
        == [
            "prices IWM: prices/IWM.csv: not CSV",
            "fred ICSA.csv: 1 row(s) quarantined; first: line 5",
        ]
    )
