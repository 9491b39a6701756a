"""`rotation rebuild`: a full build from the stored prices, published for readers, in-process
(``cli.main.main``, no Prefect): after a daily-style incremental build it rebuilds in full and
says so; a missing database is one line and exit 1."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from cli.main import main
from rotation.db import migrate


def _prices(symbols: list[str], sessions: int) -> pd.DataFrame:
    import exchange_calendars as xc

    dates = list(xc.get_calendar("XNYS", start="2023-01-03", end="2025-12-31").sessions.date)
    rng = np.random.default_rng(1)
    frames = []
    for symbol in symbols:
        values = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, size=sessions)))
        frames.append(
            pd.DataFrame({"symbol": symbol, "date": dates[:sessions], "adj_close": values})
        )
    batch = pd.concat(frames, ignore_index=True)
    batch["close"] = batch["adj_close_received"] = batch["adj_close"]
    batch["adjustment"], batch["source"], batch["run_id"] = "raw", "test", "test"
    batch["fetched_at"] = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return batch


def test_rebuild_forces_a_full_build_and_publishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    working = tmp_path / "data" / "rotation.duckdb"
    working.parent.mkdir()
    con = duckdb.connect(str(working))
    migrate(con)
    batch = _prices(["IWM", "SPY", "IWB", "^RUT", "^GSPC"], 400)
    con.register("batch", batch)
    con.execute("insert into raw.prices by name select * from batch")
    con.close()
    monkeypatch.setenv("ROTATION_STORAGE_PATH", str(working))
    monkeypatch.delenv("ROTATION_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)

    assert main(["rebuild"]) == 0
    first = capsys.readouterr().out
    assert first.startswith("full build: requested; built ") and " models, " in first, first
    published = tmp_path / "data" / "rotation.read.duckdb"
    with duckdb.connect(str(published), read_only=True) as reader:
        rows = reader.execute("select count(*) from marts.returns").fetchone()
    assert rows == (5 * 400,)


def test_rebuild_without_a_database_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ROTATION_STORAGE_PATH", str(tmp_path / "none" / "rotation.duckdb"))
    monkeypatch.delenv("ROTATION_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["rebuild"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "nothing to rebuild" in err and "\n" not in err, err
