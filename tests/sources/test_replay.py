"""The replay twin on real snapshots: a replay folder whose prices/ is a symlink to one of them.

Nothing is copied: ``tmp/replay/prices`` points at ``../shared/data/prices/<snapshot>``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

from rotation.records import PRICE_COLUMNS
from sources.price_csv import parse_price_csv
from sources.prices import PriceSourceError
from sources.replay import ReplayError, ReplayFileMissing, ReplayFolder, ReplayPriceSource


def _replay_dir(tmp_path: Path, shared_data: Path, snapshot: str) -> Path:
    root = tmp_path / "replay"
    root.mkdir()
    (root / "prices").symlink_to(shared_data / "prices" / snapshot, target_is_directory=True)
    return root


def test_replay_filters_range_and_reports_missing(tmp_path: Path, shared_data: Path) -> None:
    source = ReplayPriceSource(_replay_dir(tmp_path, shared_data, "yahoo-csv-2025-09-26"))
    assert source.name == "replay:replay"
    batch = source.fetch(["IWM", "^VIX", "IWC", "^RUT"], dt.date(2025, 9, 22), dt.date(2025, 9, 26))

    assert batch.requested == ("IWM", "^VIX", "IWC", "^RUT")
    assert batch.missing_symbols == ("IWC", "^RUT")
    assert batch.source == "replay:replay"
    assert any("IWC" in note and "IWC.csv" in note for note in batch.notes)
    frame = batch.frame
    assert list(frame.columns) == PRICE_COLUMNS
    # IWM 22..26 (5 sessions), ^VIX 22..25 (file ends on 09-25).
    assert frame.groupby("symbol").size().to_dict() == {"IWM": 5, "^VIX": 4}
    assert frame["date"].min() == pd.Timestamp("2025-09-22")
    assert frame["date"].max() == pd.Timestamp("2025-09-26")
    assert list(frame["symbol"]) == sorted(frame["symbol"])
    last = frame.loc[(frame["symbol"] == "IWM") & (frame["date"] == "2025-09-26")].iloc[0]
    assert last["close"] == 240.229996 and last["adj_close"] == 240.229996


def test_replay_keeps_null_rows_in_range(tmp_path: Path, shared_data: Path) -> None:
    source = ReplayPriceSource(_replay_dir(tmp_path, shared_data, "yahoo-csv-2025-09-26"))
    batch = source.fetch(["^VIX"], dt.date(1990, 1, 1), dt.date(2025, 12, 31))
    assert len(batch.frame) == 9323
    assert int(batch.frame["close"].isna().sum()) == 323
    assert batch.missing_symbols == ()


@pytest.mark.parametrize(
    ("snapshot", "symbol", "adjustment"),
    [
        ("yfinance-2026-03-10", "IWM", "auto"),
        ("stitched-2026-02-23", "^RUT", "auto"),
        ("broken-adj-2022-11-18", "^GSPC", "raw"),
    ],
)
def test_replay_equals_the_parser_on_the_whole_file(
    tmp_path: Path, shared_data: Path, snapshot: str, symbol: str, adjustment: str
) -> None:
    root = _replay_dir(tmp_path, shared_data, snapshot)
    batch = ReplayPriceSource(root).fetch([symbol], dt.date(1900, 1, 1), dt.date(2100, 1, 1))
    path = shared_data / "prices" / snapshot / f"{symbol}.csv"
    expected = parse_price_csv(path.read_bytes(), symbol, origin=str(path))
    pd.testing.assert_frame_equal(batch.frame, expected)
    assert set(batch.frame["adjustment"]) == {adjustment}


def test_symbol_whose_file_has_no_rows_in_range_is_missing(
    tmp_path: Path, shared_data: Path
) -> None:
    source = ReplayPriceSource(_replay_dir(tmp_path, shared_data, "yfinance-2026-03-10"))
    batch = source.fetch(["SPY"], dt.date(2000, 1, 1), dt.date(2000, 12, 31))
    assert batch.missing_symbols == ("SPY",) and batch.frame.empty
    assert "covers 2007-01-03 → 2026-03-10" in batch.notes[0]


def test_folder_without_prices_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "edgar").mkdir()
    with pytest.raises(PriceSourceError) as err:
        ReplayPriceSource(tmp_path)
    assert "no prices/ sub-folder" in str(err.value) and "edgar/" in str(err.value)
    with pytest.raises(PriceSourceError, match=r"does not exist"):
        ReplayPriceSource(tmp_path / "nowhere")


def test_malformed_file_removes_only_its_symbol_and_names_the_file(
    tmp_path: Path, shared_data: Path
) -> None:
    (tmp_path / "prices").mkdir()
    (tmp_path / "prices" / "SPY.csv").write_text("When,What\n2020-01-02,1\n")
    (tmp_path / "prices" / "IWM.csv").symlink_to(
        shared_data / "prices" / "yahoo-csv-2025-09-26" / "IWM.csv"
    )
    batch = ReplayPriceSource(tmp_path).fetch(
        ["SPY", "IWM"], dt.date(2020, 1, 1), dt.date(2020, 1, 31)
    )
    assert batch.missing_symbols == ("SPY",)
    assert set(batch.frame["symbol"]) == {"IWM"} and len(batch.frame) == 21
    [(symbol, reason)] = batch.damaged
    assert symbol == "SPY"
    assert re.search(r"prices/SPY.csv: unknown price CSV header", reason)
    assert any(n.startswith("SPY: ") and "SPY.csv" in n for n in batch.notes)


def test_replay_folder_reads_and_lists_by_kind(tmp_path: Path, shared_data: Path) -> None:
    root = _replay_dir(tmp_path, shared_data, "stitched-2026-02-23")
    (root / "fred").mkdir()
    (root / "fred" / "DGS10.csv").write_bytes(b"observation_date,DGS10\n")
    folder = ReplayFolder(root)

    assert [p.name for p in folder.list("prices", "*.csv")] == [
        "HYG.csv", "IWM.csv", "SPY.csv", "^RUT.csv", "^VIX.csv",
    ]  # fmt: skip
    assert folder.read_bytes("prices", "^RUT.csv").startswith(b"Date,Close,High,Low,Open,Volume")
    assert folder.read_bytes("fred", "DGS10.csv") == b"observation_date,DGS10\n"
    assert folder.has("fred", "DGS10.csv") and not folder.has("fred", "DGS2.csv")
    with pytest.raises(ReplayFileMissing, match=r"fred/DGS2.csv is missing"):
        folder.read_bytes("fred", "DGS2.csv")
    with pytest.raises(ReplayError, match=r"has no nasdaq/ sub-folder .*fred/, prices/"):
        folder.list("nasdaq")
    with pytest.raises(ReplayError, match=r"not a plain file name"):
        folder.read_bytes("prices", "../prices/SPY.csv")
