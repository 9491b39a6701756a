"""The incremental build equals a full rebuild, every column of every price mart, at 1e-9.

Each case starts from a database whose marts a full build made (so the fingerprints of what
they were built from are recorded), changes the prices the way a run would (new sessions, a
late correction inside the window, a re-based symbol, a new symbol, a backfill, an old
correction), runs ``build_models(..., incremental=True)``, snapshots the marts, then forces a
full build on the same prices and compares. The plan is checked too: an incremental case that
silently fell back to a full build would prove nothing about the incremental path.

Two universes: a synthetic one (random walks on NYSE sessions, pairs chosen so a re-base
touches only some of them) and the real snapshot in ../shared/data.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from rotation.db import migrate
from rotation.settings import Pair
from transforms import build_models, sync_pairs

TOLERANCE = 1e-9
KEYS = {
    "marts.returns": ["symbol", "date"],
    "marts.calendar_year_returns": ["symbol", "year"],
    "marts.risk": ["symbol", "date"],
    "marts.relative_strength": ["pair", "date"],
    "marts.pair_risk": ["pair", "date"],
    "marts.latest_indicators": ["pair"],
}
SYNTHETIC_PAIRS = [
    Pair.parse(p) for p in ("S01/S00", "S02/S00", "S03/S00", "S04/S05", "S06/S07", "S08/S09")
]
SYMBOLS = [f"S{i:02d}" for i in range(11)]  # S10 is in no pair
LAST = dt.date(2025, 12, 31)


def _sessions(first: dt.date, last: dt.date) -> list[dt.date]:
    import exchange_calendars as xc

    calendar = xc.get_calendar("XNYS", start=first.isoformat(), end=last.isoformat())
    return list(calendar.sessions.date)


SESSIONS = _sessions(dt.date(2020, 1, 2), LAST)  # ~1,500 sessions: 6 years


def _insert(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> None:
    batch = rows[["symbol", "date", "adj_close"]].copy()
    batch["close"] = batch["adj_close"]
    batch["adj_close_received"] = batch["adj_close"]
    batch["adjustment"] = "raw"
    batch["source"] = "test"
    batch["fetched_at"] = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    batch["run_id"] = "test"
    con.register("batch", batch)
    con.execute("insert into raw.prices by name select * from batch")
    con.unregister("batch")


def _walk(symbol: str, dates: list[dt.date], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    values = 50.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.013, size=len(dates))))
    return pd.DataFrame({"symbol": symbol, "date": dates, "adj_close": values})


def _universe() -> pd.DataFrame:
    return pd.concat([_walk(s, SESSIONS, seed=i) for i, s in enumerate(SYMBOLS)], ignore_index=True)


def _snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    out = {}
    for mart, keys in KEYS.items():
        frame = con.sql(f"from {mart}").df()
        out[mart] = frame.sort_values(keys, ignore_index=True)
    return out


def _assert_equal(got: dict[str, pd.DataFrame], want: dict[str, pd.DataFrame]) -> None:
    for mart, keys in KEYS.items():
        a, b = got[mart], want[mart]
        assert len(b) > 0, mart
        assert list(a.columns) == list(b.columns), mart
        assert a[keys].equals(b[keys]), f"{mart}: the rows (keys) differ from the full build"
        for column in a.columns:
            if column in keys:
                continue
            x, y = a[column], b[column]
            if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
                assert x.astype(str).equals(y.astype(str)), f"{mart}.{column} differs"
                continue
            xs, ys = pd.to_numeric(x).astype("float64"), pd.to_numeric(y).astype("float64")
            null_x, null_y = np.isnan(xs.to_numpy()), np.isnan(ys.to_numpy())
            where = np.flatnonzero(null_x != null_y)
            assert where.size == 0, (
                f"{mart}.{column}: NULL in one build only at "
                f"{a.loc[where[:3], keys].to_dict('records')}"
            )
            err = np.abs(xs - ys) / np.maximum(1.0, np.abs(ys))
            worst = float(np.nanmax(err.to_numpy())) if len(err) else 0.0
            assert worst <= TOLERANCE, f"{mart}.{column}: off by {worst:.3g}"


def _incremental_equals_full(con: duckdb.DuckDBPyConnection) -> str:
    """Incremental build, snapshot, forced full build, compare; returns the plan line."""
    report = build_models(con, incremental=True)
    assert report.kept, report.line()
    incremental = _snapshot(con)
    full = build_models(con)
    assert full.kept
    _assert_equal(incremental, _snapshot(con))
    return report.plan


@pytest.fixture(scope="module")
def synthetic_base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """A database built in full on the synthetic universe minus its last session (S10 also
    without its first year, for the backfill case)."""
    universe = _universe()
    held_back = (universe["date"] == LAST) | (
        (universe["symbol"] == "S10") & (universe["date"] < dt.date(2021, 1, 1))
    )
    path = tmp_path_factory.mktemp("incremental") / "base.duckdb"
    con = duckdb.connect(str(path))
    migrate(con)
    _insert(con, universe[~held_back])
    sync_pairs(con, SYNTHETIC_PAIRS)
    report = build_models(con)
    assert report.kept and report.plan.startswith("full build")
    con.execute("checkpoint")
    con.close()
    return path, universe


@pytest.fixture
def synthetic(synthetic_base, tmp_path: Path):
    path, universe = synthetic_base
    copy = tmp_path / "case.duckdb"
    shutil.copyfile(path, copy)
    con = duckdb.connect(str(copy))
    yield con, universe
    con.close()


def _new_session(con: duckdb.DuckDBPyConnection, universe: pd.DataFrame) -> None:
    _insert(con, universe[universe["date"] == LAST])


def test_nothing_changed_keeps_the_marts(synthetic) -> None:
    con, _ = synthetic
    plan = _incremental_equals_full(con)
    assert plan == "incremental build: no price changed since the last build"


def test_one_new_session(synthetic) -> None:
    con, universe = synthetic
    _new_session(con, universe)
    plan = _incremental_equals_full(con)
    assert plan.startswith("incremental build from 2025-12-01: 11 symbol(s)"), plan


def test_late_correction_inside_the_window(synthetic) -> None:
    con, universe = synthetic
    _new_session(con, universe)
    con.execute(
        "update raw.prices set adj_close = adj_close * 1.01 "
        "where symbol = 'S03' and date = date '2025-11-20'"
    )
    plan = _incremental_equals_full(con)
    assert plan.startswith("incremental build from 2025-11-01"), plan


def test_old_correction_recomputes_from_its_month(synthetic) -> None:
    """Two years back: every figure that runs across it (drawdown, streak, tr_index is
    unaffected by a later value) must follow."""
    con, universe = synthetic
    _new_session(con, universe)
    con.execute(
        "update raw.prices set adj_close = adj_close * 0.9 "
        "where symbol in ('S01', 'S05') and date between date '2023-06-12' and date '2023-06-20'"
    )
    plan = _incremental_equals_full(con)
    assert plan.startswith("incremental build from 2023-06-01"), plan


def test_rebased_symbol_is_rebuilt_in_full_with_its_pairs(synthetic) -> None:
    con, universe = synthetic
    _new_session(con, universe)
    con.execute("update raw.prices set adj_close = adj_close * 0.97 where symbol = 'S07'")
    plan = _incremental_equals_full(con)
    # S06/S07 in full (both legs), the other pairs' legs from the cut
    assert plan.startswith(
        "incremental build from 2025-12-01: 9 symbol(s) and 5 pair(s) from the cut, "
        "2 symbol(s) and 1 pair(s) in full"
    ), plan


def test_new_symbol_is_built_in_full(synthetic) -> None:
    con, universe = synthetic
    _new_session(con, universe)
    _insert(con, _walk("S11", SESSIONS[-700:], seed=99))
    plan = _incremental_equals_full(con)
    assert "1 symbol(s) and 0 pair(s) in full" in plan, plan


def test_backfill_rebuilds_the_symbol_in_full(synthetic) -> None:
    con, universe = synthetic
    _insert(con, universe[(universe["symbol"] == "S10") & (universe["date"] < dt.date(2021, 1, 1))])
    plan = _incremental_equals_full(con)
    assert plan.startswith("incremental build"), plan
    assert "1 symbol(s) and 0 pair(s) in full" in plan, plan


def test_everything_at_once(synthetic) -> None:
    con, universe = synthetic
    _new_session(con, universe)
    _insert(con, universe[(universe["symbol"] == "S10") & (universe["date"] < dt.date(2021, 1, 1))])
    con.execute("update raw.prices set adj_close = adj_close * 1.02 where symbol = 'S04'")
    con.execute(
        "update raw.prices set adj_close = adj_close * 0.99 "
        "where symbol = 'S00' and date = date '2025-12-15'"
    )
    _insert(con, _walk("S11", SESSIONS[-100:], seed=7))
    plan = _incremental_equals_full(con)
    assert plan.startswith("incremental build"), plan


def test_too_much_to_rebuild_in_memory_is_a_full_build(
    synthetic, monkeypatch: pytest.MonkeyPatch
) -> None:
    from transforms import incremental

    monkeypatch.setattr(incremental, "SCRATCH_FULL_ROWS_LIMIT", 2_000)
    con, universe = synthetic
    _new_session(con, universe)
    con.execute("update raw.prices set adj_close = adj_close * 0.97 where symbol = 'S07'")
    plan = _incremental_equals_full(con)
    assert plan.startswith("full build: 2 symbol(s) with 3,016 price rows to rebuild in full"), plan


def test_changed_pairs_force_a_full_build(synthetic) -> None:
    con, universe = synthetic
    _new_session(con, universe)
    sync_pairs(con, [*SYNTHETIC_PAIRS, Pair.parse("S10/S00")])
    plan = _incremental_equals_full(con)
    assert plan == "full build: the configured pairs changed since the last build"


def test_removed_symbol_forces_a_full_build(synthetic) -> None:
    con, _ = synthetic
    con.execute("delete from raw.prices where symbol = 'S10'")
    plan = _incremental_equals_full(con)
    assert plan == "full build: S10 has no prices any more (its rows must go)"


def test_a_gap_the_window_cannot_cover_falls_back_to_a_full_build(synthetic) -> None:
    """S08 lacks a year of sessions before the cut: fewer than 254 remain in the look-back,
    so the incremental result cannot be proven and the build is a full one."""
    con, universe = synthetic
    con.execute(
        "delete from raw.prices where symbol = 'S08' "
        "and date between date '2024-09-01' and date '2025-09-30'"
    )
    assert build_models(con).kept
    _new_session(con, universe)
    plan = _incremental_equals_full(con)
    assert plan.startswith("full build: S08 has 43 session(s) before 2025-12-01"), plan


def test_a_held_symbol_is_recomputed_by_the_next_incremental_build(synthetic) -> None:
    """A blocking audit that pins its damage on S02 holds S02's marts at the previous build
    and forgets S02's fingerprints (transforms.isolation): the next incremental build sees
    S02 as new, recomputes it (here: once the bad move is corrected) and equals a full one."""
    con, universe = synthetic
    _new_session(con, universe)
    con.execute(
        "update raw.prices set adj_close = adj_close * 2 "
        "where symbol = 'S02' and date = date '2025-12-31'"
    )
    report = build_models(con, incremental=True)
    assert report.kept and report.held_subjects["symbol"] == ["S02"]
    assert report.plan.startswith("incremental build from 2025-12-01")
    assert con.execute("select max(date) from marts.returns where symbol = 'S02'").fetchone()[
        0
    ] < dt.date(2025, 12, 31)
    con.execute(
        "update raw.prices set adj_close = adj_close / 2 "
        "where symbol = 'S02' and date = date '2025-12-31'"
    )
    plan = _incremental_equals_full(con)
    # S02 and the legs of its pairs, in full; nothing else changed since the kept build
    assert plan.startswith("incremental build"), plan
    assert "0 symbol(s) and 0 pair(s) from the cut, 4 symbol(s) and 3 pair(s) in full" in plan


# ----------------------------------------------------------------------------- real data

ETF_SNAPSHOT = "prices/yahoo-csv-2025-09-26"
INDEX_SNAPSHOT = "prices/stitched-2026-02-23"
REAL_PAIRS = [Pair.parse(p) for p in ("IWM/SPY", "IWM/IWB", "^RUT/^GSPC", "^RUT/^RUI")]


def _read_csv(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, na_values=["null"])
    adj = "Adj Close" if "Adj Close" in frame.columns else "Close"
    out = pd.DataFrame(
        {
            "symbol": path.stem,
            "date": pd.to_datetime(frame["Date"]).dt.date,
            "adj_close": frame[adj].astype(float),
        }
    )
    return out.dropna(subset=["adj_close"])


@pytest.fixture
def real(shared_data: Path, tmp_path: Path):
    frames = [_read_csv(p) for p in sorted((shared_data / ETF_SNAPSHOT).glob("*.csv"))]
    frames.append(_read_csv(shared_data / INDEX_SNAPSHOT / "^RUT.csv"))
    prices = pd.concat(frames, ignore_index=True)
    con = duckdb.connect(str(tmp_path / "real.duckdb"))
    migrate(con)
    yield con, prices
    con.close()


def test_real_snapshot_new_sessions_and_a_rebase(real) -> None:
    """The real series (1927 on, ^VIX's holidays, 2008, 2020): the last 15 sessions arrive
    after a full build; then IWB is re-based and one more late correction lands."""
    con, prices = real
    cutoff = dt.date(2025, 9, 5)
    _insert(con, prices[prices["date"] < cutoff])
    sync_pairs(con, REAL_PAIRS)
    assert build_models(con).kept
    _insert(con, prices[prices["date"] >= cutoff])
    plan = _incremental_equals_full(con)
    assert plan.startswith("incremental build from 2025-09-01"), plan

    con.execute("update raw.prices set adj_close = adj_close * 0.995 where symbol = 'IWB'")
    con.execute(
        "update raw.prices set adj_close = adj_close * 1.003 "
        "where symbol = 'SPY' and date = date '2025-09-24'"
    )
    plan = _incremental_equals_full(con)
    assert plan.startswith("incremental build from 2025-09-01"), plan
    assert "in full" in plan and "0 symbol(s) and 0 pair(s) in full" not in plan, plan
