"""Member prices at index scale: how long the daily run's member stage and the breadth build
take for ~2,000 members, through the real ``yf.download`` against a loopback stand-in.

A temporary database gets one hand-made holdings snapshot of ``--members`` tickers (M0001, …)
and the stand-in (``tests/yahoo_standin.py``) answers every one of them with the real recorded
MSFT chart (252 sessions to 2022-01-28, four dividends). Timed:

1. the first run: every member short of history (`history_sessions` 250 here, so the
   recording's 252 sessions are enough), fetched, validated and loaded in chunks;
2. the next run: every member has its history, the trailing 10 sessions only;
3. ``transforms.build_models`` over the member and breadth models (member_trends, breadth),
   then over every model in ``sql/`` (the members also flow through the price marts).

The stand-in answers at once, so the figures are the pipeline's own cost (yfinance's
threads and parsing, the validation, the loads), not Yahoo's latency.
Needs ``../shared/data`` beside the repository.

Run: ``PYTHONWARNINGS=ignore .venv/bin/python benchmarks/member_prices.py [--members 2000]
[--chunk-size 100]`` (yfinance warns on every ticker under pandas 3)
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import functools
import logging
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.clients import Clients  # noqa: E402
from pipeline.member_prices import load_member_prices  # noqa: E402
from rotation.db import migrate, writing  # noqa: E402
from rotation.settings import BreadthSettings, HoldingsSettings, Settings  # noqa: E402
from tests.yahoo_standin import recorded_body, yahoo_standin  # noqa: E402

CHART = (
    REPO.parent
    / "shared/data/yahoo-chart-json"
    / "historical-via-chart-MSFT-dividends-2021-02-01-to-2022-01-31.csv.json"
)
AS_OF = dt.date(2022, 1, 28)
BREADTH_MODELS = (
    "staging/prices.sql",
    "staging/dashboard_sessions.sql",
    "staging/holdings_members.sql",
    "marts/member_trends.sql",
    "marts/breadth.sql",
    "marts/latest_breadth.sql",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--chunk-size", type=int, default=100)
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    warnings.simplefilter("ignore")
    import yfinance as yf

    from sources.yahoo import YahooPriceSource
    from transforms import build_models

    tickers = [f"M{i:04d}" for i in range(1, args.members + 1)]
    settings = dataclasses.replace(
        Settings(),
        holdings=dataclasses.replace(HoldingsSettings(), funds=("IWM",)),
        breadth=dataclasses.replace(
            BreadthSettings(), chunk_size=args.chunk_size, history_sessions=250
        ),
    )
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.duckdb")
        with writing(db) as con:
            migrate(con)
            con.executemany(
                """insert into raw.holdings (fund, as_of, line, ticker, name, weight_pct, price,
                       is_equity, file, source, fetched_at, run_id)
                   values ('IWM', '2021-02-01', ?, ?, ?, ?, 1, true, 'bench', 'bench', now(),
                           'bench')""",
                [(i, t, t, 100 / len(tickers)) for i, t in enumerate(tickers)],
            )
        with yahoo_standin({}, default=recorded_body(CHART)) as session:
            source = YahooPriceSource(
                timeout_s=settings.breadth.chunk_timeout_s,
                download=functools.partial(yf.download, session=session),
                probe_address=None,
                cache_dir=Path(tmp) / "yf-cache",
                clock=lambda: dt.datetime(2022, 1, 29, tzinfo=dt.UTC),
            )
            for label in ("first run (history)", "next run (trailing 10 sessions)"):
                start = time.perf_counter()
                report = load_member_prices(
                    db, settings, Clients.live(settings), AS_OF, run_id=label, source=source
                )
                took = time.perf_counter() - start
                print(
                    f"{label}: {took:.1f} s for {args.members} members "
                    f"(chunks of {args.chunk_size}); fetched {report.fetched} rows, "
                    f"loaded {report.loaded}, unchanged {report.unchanged}, "
                    f"quarantined {report.quarantined}; {report.messages[0]}"
                )
        sql_dir = Path(tmp) / "sql"
        for model in BREADTH_MODELS:
            (sql_dir / model).parent.mkdir(parents=True, exist_ok=True)
            (sql_dir / model).symlink_to(REPO / "sql" / model)
        with writing(db) as con:
            start = time.perf_counter()
            build_models(con, sql_dir)
            took = time.perf_counter() - start
            rows = con.execute("select count(*) from marts.breadth").fetchone()
            prices = con.execute("select count(*) from raw.prices").fetchone()
        print(
            f"breadth build: {took:.1f} s over {prices[0] if prices else 0} price rows "
            f"({rows[0] if rows else 0} fund sessions)"
        )
        with writing(db) as con:
            start = time.perf_counter()
            results = build_models(con)
            took = time.perf_counter() - start
        print(
            f"whole build (every model in sql/, the members in the price marts too): {took:.1f} s"
        )
        for result in sorted(results, key=lambda r: -r.seconds)[:5]:
            print(f"  {result}")


if __name__ == "__main__":
    main()
