"""``make demo``: one daily run on the real recorded data in ``../shared/data``, offline.

Builds a replay folder of symlinks (never copies: the data is third-party and stays outside
the repository) in the layout every replay source reads — ``prices/``, ``edgar/``,
``nasdaq/``, ``fred/``, ``holdings/``, ``xbrl/``, ``fund_pe/``, ``shiller/`` — then runs
``rotation run --replay`` for 2025-09-26, the last session the price snapshot covers.
"""

from __future__ import annotations

import sys
from pathlib import Path

from cli.main import main as cli_main

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
AS_OF = "2025-09-26"
# yahoo-csv-2025-09-26 has the funds, ^GSPC and ^VIX; the Russell 2000 index comes from the
# stitched snapshot (its rows after the as-of date are ignored by the run).
PRICE_FILES = {
    "yahoo-csv-2025-09-26": ("SPY", "IWM", "IWB", "^GSPC", "^VIX"),
    "stitched-2026-02-23": ("^RUT",),
}


def build_replay_folder(target: Path, shared: Path = SHARED_DATA) -> Path:
    if not shared.is_dir():
        raise SystemExit(f"error: the recorded data folder {shared} is absent")
    prices = target / "prices"
    prices.mkdir(parents=True, exist_ok=True)
    for snapshot, symbols in PRICE_FILES.items():
        for symbol in symbols:
            link = prices / f"{symbol}.csv"
            link.unlink(missing_ok=True)
            link.symlink_to(shared / "prices" / snapshot / f"{symbol}.csv")
    for kind in ("edgar", "nasdaq", "fred", "holdings"):
        link = target / kind
        if link.is_symlink():
            link.unlink()
        if (shared / kind).is_dir():
            link.symlink_to(shared / kind)
    # XBRL company facts are recorded under fundamentals/ (companyfacts.CIK##########.json);
    # the SEC ticker table is read from edgar/.
    # The vendor P/E (yahoo-quotesummary.<FUND>.<date>.json) and Shiller's workbook
    # (shiller-ie_data.<YYYY-MM>.xls) sit there too. The recordings are of QQQ and from
    # 2026-05, so a run for 2025-09-26 says there is none for its funds and month (true).
    for kind in ("xbrl", "fund_pe", "shiller"):
        link = target / kind
        if link.is_symlink():
            link.unlink()
        if (shared / "fundamentals").is_dir():
            link.symlink_to(shared / "fundamentals")
    return target


def main() -> int:
    folder = build_replay_folder(Path("data") / "replay-demo")
    print(f"replay folder {folder} -> {SHARED_DATA}")
    return cli_main(["run", "--replay", str(folder), "--date", AS_OF, *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
