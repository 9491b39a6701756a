"""FRED fredgraph.csv parser, replay twin, row checks and the revision-keeping load."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import duckdb
import pytest

from quality.fred import fred_row_problems
from sources.fred import FredFormatError, FredReplayClient, fetch, load_fred, parse_fredgraph

FETCHED_AT = dt.datetime(2025, 9, 26, 22, 0, tzinfo=dt.UTC)
SERIES = ["BAMLH0A0HYM2", "BAMLC0A0CM", "DGS10", "DGS2", "UNRATE", "VIXCLS", "NFCI", "ICSA"]


@pytest.fixture
def fred_dir(shared_data: Path) -> Path:
    return shared_data / "fred"


@pytest.fixture
def replay_root(tmp_path: Path, fred_dir: Path) -> Path:
    folder = tmp_path / "replay" / "fred"
    folder.mkdir(parents=True)
    for series in SERIES:
        (folder / f"{series}.csv").symlink_to(fred_dir / f"{series}.csv")
    (folder / "T10Y2Y.csv").symlink_to(fred_dir / "T10Y2Y.old-format-2017.csv")
    return folder.parent


def parse(path: Path):
    return parse_fredgraph(path.read_bytes(), path.name)


@pytest.mark.parametrize(
    ("series", "lines", "missing"),
    [  # lines = wc -l minus the header; missing = grep -c ',$'
        ("BAMLH0A0HYM2", 7064, 81),
        ("BAMLC0A0CM", 7063, 82),
        ("DGS10", 6974, 286),
        ("VIXCLS", 6974, 223),
        ("ICSA", 977, 0),
        ("UNRATE", 320, 0),
    ],
)
def test_current_layout(fred_dir: Path, series: str, lines: int, missing: int) -> None:
    path = fred_dir / f"{series}.csv"
    assert len(path.read_text().splitlines()) - 1 == lines
    parsed = parse(path)
    assert parsed.series_id == series and parsed.problems.empty
    assert len(parsed.rows) == lines
    assert parsed.rows["value"].isna().sum() == missing


def test_values_and_dates(fred_dir: Path) -> None:
    hy = parse(fred_dir / "BAMLH0A0HYM2.csv").rows
    assert hy.iloc[0][["date", "value"]].tolist() == [dt.datetime(1999, 1, 4), 5.63]
    assert hy.iloc[-1][["date", "value"]].tolist() == [dt.datetime(2025, 9, 25), 2.76]
    nfci = parse(fred_dir / "NFCI.csv").rows
    assert nfci.iloc[-1]["value"] == -0.53493


def test_old_layout_with_dot_for_missing(fred_dir: Path) -> None:
    parsed = parse(fred_dir / "T10Y2Y.old-format-2017.csv")
    assert parsed.series_id == "T10Y2Y" and parsed.problems.empty
    assert parsed.rows["value"].isna().sum() == 55  # grep -c ',\.$'
    assert parsed.rows.iloc[0][["date", "value"]].tolist() == [dt.datetime(2012, 7, 9), 1.26]


def test_non_numeric_value_is_quarantined_good_lines_kept(fred_dir: Path) -> None:
    lines = (fred_dir / "ICSA.csv").read_text().splitlines()
    lines[3] = "2007-01-20,3l0000"  # line 4
    lines[5] = "2007-02-30,300000"  # line 6
    lines[7] = "2007-02-17,300000,extra"  # line 8
    parsed = parse_fredgraph("\n".join(lines), "ICSA.csv")
    assert len(parsed.rows) == 977 - 3
    assert parsed.problems["reason"].tolist() == [
        "ICSA.csv line 4: value '3l0000' is not a number (nor empty or '.')",
        "ICSA.csv line 6: date '2007-02-30' is not YYYY-MM-DD",
        "ICSA.csv line 8: expected 2 fields, got 3",
    ]
    assert parsed.problems["natural_key"].iloc[0] == "ICSA|2007-01-20"


def test_unknown_header_raises_naming_the_file() -> None:
    with pytest.raises(FredFormatError, match=r"DFF\.csv: line 1 must be"):
        parse_fredgraph(b"<!DOCTYPE html><html>", "DFF.csv")


def test_implausible_value_is_a_row_problem(fred_dir: Path) -> None:
    rows = parse(fred_dir / "BAMLH0A0HYM2.csv").rows
    rows.loc[10, "value"] = 563.0  # a unit slip: basis points in a percent series
    reasons = fred_row_problems(rows, today=dt.date(2025, 9, 26))
    assert reasons[reasons != ""].tolist() == [
        "BAMLH0A0HYM2.csv line 12: value 563.0 is outside the plausible range for BAMLH0A0HYM2"
    ]


def test_replay_fetch_reports_missing_series(replay_root: Path) -> None:
    batch = fetch(FredReplayClient(replay_root), [*SERIES, "T10Y2Y", "DFF"])
    assert batch.series_ok == [*SERIES, "T10Y2Y"]
    assert "DFF" in batch.series_failed and "DFF.csv" in batch.series_failed["DFF"]
    assert fred_row_problems(batch.frame, today=dt.date(2025, 11, 10)).eq("").all()


def test_revisions_keep_the_old_value(replay_root: Path, con: duckdb.DuckDBPyConnection) -> None:
    batch = fetch(FredReplayClient(replay_root), ["ICSA"])
    assert load_fred(con, batch.frame, "run-1", FETCHED_AT) == 977
    assert load_fred(con, batch.frame, "run-2", FETCHED_AT + dt.timedelta(days=1)) == 0
    revised = batch.frame.copy()
    last = revised.index[-1]  # 2025-09-20: 218000 revised to 219000
    revised.loc[last, "value"] = 219000.0
    later = FETCHED_AT + dt.timedelta(days=7)
    assert load_fred(con, revised, "run-3", later) == 1
    history = con.execute(
        "select value, run_id from raw.fred_observations "
        "where series_id = 'ICSA' and date = '2025-09-20' order by fetched_at"
    ).fetchall()
    assert history == [(218000.0, "run-1"), (219000.0, "run-3")]
    downloads = con.execute("select count(*) from raw.fred_downloads").fetchone()
    assert downloads == (3,)


def test_missing_value_filled_later_is_a_change(con: duckdb.DuckDBPyConnection) -> None:
    first = parse_fredgraph("observation_date,DGS2\n2025-01-01,\n2025-01-02,4.25\n", "DGS2.csv")
    frame = first.rows.assign(source="test")
    assert load_fred(con, frame, "r1", FETCHED_AT) == 2
    assert math.isnan(frame["value"].iloc[0])
    second = parse_fredgraph("observation_date,DGS2\n2025-01-01,4.2\n2025-01-02,4.25\n", "DGS2.csv")
    assert (
        load_fred(con, second.rows.assign(source="test"), "r2", FETCHED_AT + dt.timedelta(days=1))
        == 1
    )
