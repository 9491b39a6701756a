"""Line-level isolation in a price file (issue 15, item 3): real SPY and IWB files damaged in
``tmp_path``, replayed through ``ReplayPriceSource`` and the price stage.

A line that cannot be read (cut mid-line, a date or number that does not parse) goes to
``ops.quarantine`` with its file and line number and one ``lines_unreadable`` incident names
it; every other line of the file loads. A date given twice with different values keeps the
row its neighbours agree with and quarantines the other.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.stages import validate_and_load_prices
from quality.prices import PriceRules
from sources.replay import ReplayPriceSource

RULES = PriceRules(0.25, {"^VIX": 3.0})
START, END = dt.date(2025, 6, 2), dt.date(2025, 9, 25)
SNAPSHOT = "yahoo-csv-2025-09-26"


def _lines(shared_data: Path, symbol: str) -> list[str]:
    return (shared_data / "prices" / SNAPSHOT / f"{symbol}.csv").read_text().splitlines()


def _index(lines: list[str], day: str) -> int:
    return next(i for i, line in enumerate(lines) if line.startswith(day))


def _in_window(lines: list[str]) -> int:
    return sum(START.isoformat() <= line[:10] <= END.isoformat() for line in lines[1:])


def _load(root: Path, db: Path, symbols: tuple[str, ...]) -> duckdb.DuckDBPyConnection:
    batch = ReplayPriceSource(root).fetch(symbols, START, END)
    report = validate_and_load_prices(
        str(db), batch, rules=RULES, run_id="run-1", start=START, end=END
    )
    assert not report.blocked
    return duckdb.connect(str(db), read_only=True)


def test_unreadable_lines_are_quarantined_and_the_rest_of_the_file_loads(
    shared_data: Path, tmp_path: Path
) -> None:
    spy = _lines(shared_data, "SPY")
    bad_date = _index(spy, "2025-07-15")
    spy[bad_date] = "2025-07-1S" + spy[bad_date][10:]  # an unparseable date
    bad_number = _index(spy, "2025-08-05")
    spy[bad_number] = spy[bad_number].replace(",", ",abc,", 1).replace(",abc,", ",x", 1)
    last = _index(spy, "2025-09-25")
    cut = spy[: last + 1]
    cut[last] = cut[last][:30]  # the file ends mid-line
    (tmp_path / "prices").mkdir()
    (tmp_path / "prices" / "SPY.csv").write_text("\n".join(cut))

    con = _load(tmp_path, tmp_path / "db.duckdb", ("SPY",))
    try:
        stored = con.execute("select count(*) from raw.prices where symbol = 'SPY'").fetchone()
        assert stored == (_in_window(spy) - 3,)  # every other line of the window
        rows = con.execute(
            "select natural_key, reason, raw_values from ops.quarantine order by natural_key"
        ).fetchall()
        lines = {key: reason for key, reason, _ in rows}
        assert set(lines) == {f"SPY|line {n + 1}" for n in (bad_date, bad_number, last)}
        assert "cannot parse date '2025-07-1S'" in lines[f"SPY|line {bad_date + 1}"]
        assert "is not a number or null" in lines[f"SPY|line {bad_number + 1}"]
        assert "expected 7 fields" in lines[f"SPY|line {last + 1}"]
        assert all("SPY.csv line" in reason for reason in lines.values())
        assert json.loads(rows[0][2])["text"]  # the line as received, nothing lost
        incident = con.execute(
            "select subject, kind, detail from ops.incidents where resolved_at is null"
        ).fetchall()
        assert [(s, k) for s, k, _ in incident] == [("SPY", "lines_unreadable")]
        assert incident[0][2].startswith("3 line(s) could not be read")
    finally:
        con.close()


def test_a_duplicated_date_keeps_the_value_its_neighbours_agree_with(
    shared_data: Path, tmp_path: Path
) -> None:
    iwb = _lines(shared_data, "IWB")
    at = _index(iwb, "2025-08-14")
    fields = iwb[at].split(",")
    wrong = ",".join([fields[0], *(f"{float(v) * 1.3:.6f}" for v in fields[1:6]), fields[6]])
    iwb.insert(at, wrong)  # the same date again, 30% off, before the right row
    (tmp_path / "prices").mkdir()
    (tmp_path / "prices" / "IWB.csv").write_text("\n".join(iwb) + "\n")

    con = _load(tmp_path, tmp_path / "db.duckdb", ("IWB",))
    try:
        stored = con.execute(
            "select count(*), max(close) filter (where date = '2025-08-14') from raw.prices"
        ).fetchone()
        assert stored == (_in_window(iwb) - 1, float(fields[4]))
        reasons = [r for (r,) in con.execute("select reason from ops.quarantine").fetchall()]
        assert len(reasons) == 1
        assert reasons[0].startswith("duplicate (symbol, date): IWB 2025-08-14 appears 2 times")
        assert f"close {float(fields[4]):g} is kept" in reasons[0]
    finally:
        con.close()


def test_a_duplicated_date_without_neighbours_is_not_guessed() -> None:
    from quality.price_duplicates import resolve_duplicates

    frame = pd.DataFrame(
        {"symbol": ["X", "X"], "date": pd.to_datetime(["2025-01-02"] * 2), "close": [1.0, 2.0]}
    )
    kept, taken = resolve_duplicates(frame)
    assert kept.empty and len(taken) == 2
    assert all("no neighbour to judge by" in r for r in taken["reason"])


def test_a_volume_of_1e30_is_quarantined_and_the_row_alone(
    shared_data: Path, tmp_path: Path
) -> None:
    spy = _lines(shared_data, "SPY")
    at = _index(spy, "2025-08-20")
    fields = spy[at].split(",")
    spy[at] = ",".join([*fields[:6], "1e30"])
    (tmp_path / "prices").mkdir()
    (tmp_path / "prices" / "SPY.csv").write_text("\n".join(spy) + "\n")
    con = _load(tmp_path, tmp_path / "db.duckdb", ("SPY",))
    try:
        assert con.execute("select max(volume) from raw.prices").fetchone()[0] < 1e11
        assert con.execute("select count(*) from raw.prices").fetchone() == (_in_window(spy) - 1,)
        reasons = con.execute("select natural_key, reason from ops.quarantine").fetchall()
        assert len(reasons) == 1 and "volume beyond any real session's" in reasons[0][1]
        assert reasons[0][0].startswith("SPY|2025-08-20")
    finally:
        con.close()
