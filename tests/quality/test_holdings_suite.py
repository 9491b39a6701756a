"""Holdings snapshots through validation, the load, and the members/changes models.

The six dated IWM snapshots are validated with the real GX suite and loaded into one DuckDB
once per module (GX runs cost ~0.5 s each); the models are built by the real runner from a
folder holding only the holdings models. Adds and drops are checked against set differences
taken straight from the files with the csv module.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from quality.holdings import validate_snapshot
from quality.records import quarantine_rows
from rotation.db import migrate, transaction
from rotation.settings import HoldingsSettings
from sources.holdings import ParsedHoldings, load_snapshot, parse_holdings
from transforms import build_models

REPO = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 29)
IWM_FILES = [
    "IWM.2025-05-13.csv",
    "IWM.2025-11-05.csv",
    "IWM.2026-01-21.csv",
    "IWM.2026-04-10.csv",
    "IWM.2026-04-23.csv",
    "IWM.2026-05-05.csv",
]
MODELS = ("staging/holdings_members.sql", "marts/holdings_changes.sql")


def validate_and_load(
    con: duckdb.DuckDBPyConnection, snapshot: ParsedHoldings, *, today: dt.date = TODAY
) -> tuple[bool, str, int]:
    """What the flow does for one snapshot: validate, quarantine, load; (ok, message, rows)."""
    verdict = validate_snapshot(snapshot.rows, today=today)
    with transaction(con):
        quarantine_rows(
            con,
            run_id="test",
            source="holdings",
            rows=verdict.quarantined,
            key_columns=["fund", "as_of", "line"],
        )
        loaded = 0
        if verdict.batch_ok:
            loaded = load_snapshot(
                con,
                snapshot,
                verdict.good,
                source="test",
                run_id="test",
                fetched_at=dt.datetime(2026, 11, 29, 12),
            )
    return verdict.batch_ok, verdict.message, loaded


def build(con: duckdb.DuckDBPyConnection, tmp: Path) -> None:
    sql_dir = tmp / "sql"
    for model in MODELS:
        (sql_dir / model).parent.mkdir(parents=True, exist_ok=True)
        (sql_dir / model).symlink_to(REPO / "sql" / model)
    build_models(con, sql_dir)


def read(path: Path) -> ParsedHoldings:
    return parse_holdings(
        path.read_bytes(), path.name, fund="IWM", aliases=HoldingsSettings().alias_map()
    )


@pytest.fixture(scope="module")
def loaded(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[duckdb.DuckDBPyConnection, list[tuple[bool, str, int]]]]:
    con = duckdb.connect()
    migrate(con)
    outcomes = [validate_and_load(con, read(shared_data / "holdings" / f)) for f in IWM_FILES]
    build(con, tmp_path_factory.mktemp("models"))
    yield con, outcomes
    con.close()


def _tickers_from_file(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Ticker,"))
    rows = list(csv.reader(io.StringIO("\n".join(lines[start:]))))
    header = rows[0]
    return {
        r[0].replace(" ", "-")  # a rights line "MPTI RT" is MPTI-RT at the vendor
        for r in rows[1:]
        if len(r) == len(header)
        and r[header.index("Asset Class")] == "Equity"
        and r[0] != "-"
        and float(r[header.index("Price")].replace(",", "")) > 0
    }


def test_every_iwm_snapshot_loads_with_zero_priced_lines_quarantined(loaded) -> None:
    con, outcomes = loaded
    assert all(ok for ok, _, _ in outcomes), outcomes
    # lines in the file minus the zero-priced equity lines (5 or 7 per file)
    assert [n for _, _, n in outcomes] == [1939, 1961, 1951, 1934, 1929, 1922]
    assert [m.split(" rows")[0] for _, m, _ in outcomes][-1] == "1922 of 1929"
    quarantined = con.execute(
        """select natural_key, reason from ops.quarantine
           where natural_key like 'IWM|2026-05-05|%' order by natural_key"""
    ).fetchall()
    assert len(quarantined) == 7
    assert all("equity price 0.0 is not positive" in reason for _, reason in quarantined)
    assert quarantined[0][1].startswith("IWM.2026-05-05.csv line ")


def test_company_and_its_cvr_share_a_ticker_and_are_one_member(loaded) -> None:
    con, _ = loaded
    row = con.execute(
        """select lines, name from staging.holdings_members
           where fund = 'IWM' and as_of = '2026-05-05' and ticker = 'ADRO'"""
    ).fetchone()
    assert row is not None and row[0] == 2


def test_member_weights_are_renormalised(loaded) -> None:
    con, _ = loaded
    sums = con.execute(
        """select as_of, round(sum(weight), 12), count(*) from staging.holdings_members
           group by as_of order by as_of"""
    ).fetchall()
    assert [s for _, s, _ in sums] == [1.0] * 6
    be = con.execute(
        """select weight_pct, weight from staging.holdings_members
           where as_of = '2026-05-05' and ticker = 'BE'"""
    ).fetchone()
    total = con.execute(
        """select sum(weight_pct) from raw.holdings
           where as_of = '2026-05-05' and is_equity and ticker is not null"""
    ).fetchone()[0]
    assert be[0] == 1.93 and be[1] == pytest.approx(1.93 / total)


def test_adds_and_drops_match_the_files(loaded, shared_data: Path) -> None:
    con, _ = loaded
    folder = shared_data / "holdings"
    for previous, current in itertools.pairwise(IWM_FILES):
        before, after = _tickers_from_file(folder / previous), _tickers_from_file(folder / current)
        as_of = current.split(".")[1]
        got = con.execute(
            """select change, list(ticker order by ticker) from marts.holdings_changes
               where fund = 'IWM' and as_of = ? group by change""",
            [as_of],
        ).fetchall()
        changes = dict(got)
        # The SQL works on vendor tickers; the file tickers here have no dots or aliases.
        assert set(changes.get("add", [])) == after - before, as_of
        assert set(changes.get("drop", [])) == before - after, as_of
    reconstitution = con.execute(
        """select change, count(*) from marts.holdings_changes
           where as_of = '2025-11-05' group by change order by change"""
    ).fetchall()
    assert reconstitution == [("add", 261), ("drop", 237)]  # the June 2025 reconstitution


def test_a_cut_off_snapshot_is_blocked_and_the_previous_one_stays(
    loaded, shared_data: Path, tmp_path: Path
) -> None:
    con, _ = loaded
    text = (shared_data / "holdings" / "IWM.2026-05-05.csv").read_text(encoding="utf-8-sig")
    cut = "\n".join(text.splitlines()[:900])  # the download stopped halfway
    snapshot = parse_holdings(cut, "IWM.2026-05-06.csv", fund="IWM")
    ok, message, written = validate_and_load(con, snapshot)
    assert (ok, written) == (False, 0)
    assert message.startswith("IWM.2026-05-06.csv: holdings batch blocked: equity weights")
    latest = con.execute("select max(as_of) from raw.holdings where fund = 'IWM'").fetchone()
    assert latest == (dt.date(2026, 5, 5),)


def test_no_date_or_a_future_date_blocks_the_snapshot(shared_data: Path) -> None:
    body = (shared_data / "holdings" / "IWM.undated-c2024-10.no-preamble.csv").read_bytes()
    undated = parse_holdings(body, "IWM.csv", fund="IWM")
    verdict = validate_snapshot(undated.rows, today=TODAY)
    assert not verdict.batch_ok and "as-of date is missing" in verdict.message
    dated = parse_holdings(body, "IWM.csv", fund="IWM", as_of=dt.date(2026, 12, 1))
    verdict = validate_snapshot(dated.rows, today=TODAY)
    assert not verdict.batch_ok and "in the future" in verdict.message
    ok = validate_snapshot(
        parse_holdings(body, "IWM.csv", fund="IWM", as_of=dt.date(2024, 10, 15)).rows,
        today=TODAY,
    )
    assert ok.batch_ok and len(ok.good) == 1982  # 5 zero-priced equity lines quarantined
