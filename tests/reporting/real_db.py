"""Build a DuckDB file from the real recorded data with the pipeline's own stages, no Prefect.

Prices go through ``pipeline.stages`` (replay source, Great Expectations suite, basis-safe loader,
model build) exactly as a run does; FRED, EDGAR and the Nasdaq calendar through their sources'
replay clients and loaders, when those modules exist (they are being built alongside: absent
modules leave their marts empty and the report must still render).

Also a script, to look at the report by eye:

    .venv/bin/python tests/reporting/real_db.py /tmp/rep/r.duckdb --report /tmp/rep/out
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
AS_OF = dt.date(2025, 9, 26)
# The demo's layout (cli/demo.py): funds, ^GSPC and ^VIX from the classic Yahoo snapshot,
# the Russell 2000 index from the stitched one (its rows after the as-of date are not fetched).
PRICE_FILES = {
    "yahoo-csv-2025-09-26": ("SPY", "IWM", "IWB", "^GSPC", "^VIX"),
    "stitched-2026-02-23": ("^RUT",),
}
RUN_ID = "reporting-test"


def make_replay_folder(target: Path, shared: Path = SHARED_DATA) -> Path:
    """Symlinks into ``shared`` in the replay layout (never copies of the data)."""
    prices = target / "prices"
    prices.mkdir(parents=True, exist_ok=True)
    for snapshot, symbols in PRICE_FILES.items():
        for symbol in symbols:
            (prices / f"{symbol}.csv").symlink_to(shared / "prices" / snapshot / f"{symbol}.csv")
    for kind in ("edgar", "nasdaq", "fred"):
        if (shared / kind).is_dir():
            (target / kind).symlink_to(shared / kind)
    return target


def _load_other_sources(db_path: str, replay: Path) -> list[str]:
    """FRED, EDGAR, Nasdaq through their replay clients; returns what was loaded."""
    from rotation.db import writing

    loaded = []
    now = dt.datetime.now(dt.UTC)
    with writing(db_path) as con:
        try:
            from sources import fred
        except ImportError:
            fred = None  # type: ignore[assignment]
        if fred is not None and (replay / "fred").is_dir():
            batch = fred.fetch(
                fred.FredReplayClient(replay),
                sorted(p.stem for p in (replay / "fred").glob("*.csv") if "." not in p.stem),
            )
            fred.load_fred(con, batch.frame, RUN_ID, now)
            loaded.append(f"fred: {len(batch.frame)} observations")
        try:
            from sources import edgar
        except ImportError:
            edgar = None  # type: ignore[assignment]
        if edgar is not None and (replay / "edgar").is_dir():
            days = [
                dt.datetime.strptime(p.name.split(".")[1], "%Y%m%d").date()
                for p in (replay / "edgar").glob("master.????????.idx")
            ]
            batch = edgar.fetch(edgar.EdgarReplayClient(replay), days=days)
            edgar.load_edgar(con, batch.frame, RUN_ID, now, index_files=batch.index_files)
            loaded.append(f"edgar: {len(batch.frame)} filings")
        try:
            from sources import nasdaq
        except ImportError:
            nasdaq = None  # type: ignore[assignment]
        if nasdaq is not None and (replay / "nasdaq").is_dir():
            months = sorted(p.stem.rsplit("_", 1)[1] for p in (replay / "nasdaq").glob("*.json"))
            batch = nasdaq.fetch(nasdaq.NasdaqReplayClient(replay), months)
            nasdaq.load_nasdaq(con, batch.frame, RUN_ID, now)
            loaded.append(f"nasdaq: {len(batch.frame)} deals")
    return loaded


def build_real_database(db_path: Path, replay: Path, as_of: dt.date = AS_OF) -> dict:
    """Load prices (through validation) and the other sources, then build every model."""
    from pipeline import stages
    from pipeline.clients import Clients
    from rotation.db import writing
    from rotation.runs import start_run
    from rotation.settings import Settings

    settings = Settings()
    with writing(db_path) as con:  # a daily run: every configured symbol is expected
        start_run(con, RUN_ID, "daily-run", as_of)
    source = Clients.replay(replay).get("prices")
    start = settings.prices.history_start
    batch = stages.fetch_prices(source, settings.prices.symbols, start, as_of)
    report = stages.validate_and_load_prices(
        str(db_path),
        batch,
        rules=stages.price_rules(settings.prices),
        run_id=RUN_ID,
        start=start,
        end=as_of,
    )
    others = _load_other_sources(str(db_path), replay)
    models = stages.build_models(str(db_path), settings)
    return {
        "status": "completed",
        "run_id": RUN_ID,
        "as_of": as_of.isoformat(),
        "message": f"test build: {len(models.models)} models; " + "; ".join(others),
        "sources": [report.as_dict()],
        "damage": report.damage,
        "ops": {"quarantined_rows": report.quarantined},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--report", type=Path, help="also write the report into this folder")
    parser.add_argument("--date", type=dt.date.fromisoformat)
    args = parser.parse_args(argv)
    replay = args.db.parent / "replay"
    if not replay.exists():
        make_replay_folder(replay)
    if not args.db.exists():
        print(build_real_database(args.db, replay)["message"])
    if args.report:
        from reporting import write_report
        from rotation.db import reading

        with reading(args.db) as con:
            print(write_report(con, args.date, args.report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
