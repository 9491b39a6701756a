"""Benchmark: the one-time cost of the membership history backfill (requests, minutes, MB).

    .venv/bin/python benchmarks/holdings_history.py --start 2025-04-01 --end 2026-07-31

iShares is not reachable here, so the loopback stand-in of the tests plays it
(``tests/ishares_standin.py``): the real files of ../shared/data/holdings under their dates,
the vendor's "no holdings" answer for every other month. The pipeline's own stage
(``pipeline.holdings_history.load_history``) runs through the live client at the live pace
(``--rate``, default 1 request/s, one at a time) into a DuckDB file in a temporary folder
(deleted afterwards). It prints requests, bytes, wall seconds, the seconds the rate limit alone
accounts for, the cost of each loaded snapshot beyond it (parse, validate, load), and the
projection to a full history from ``--project-from`` at the measured means: every month of
every fund answering a snapshot of the mean real size.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402

from pipeline.holdings_history import load_history  # noqa: E402
from rotation.settings import HoldingsSettings, Settings  # noqa: E402
from sources import holdings  # noqa: E402
from sources.http import HttpClient  # noqa: E402
from tests.ishares_standin import fund_urls, ishares_standin  # noqa: E402

FUNDS = ("IWM", "IWB", "IVV")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2025, 4, 1))
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2026, 7, 31))
    parser.add_argument("--rate", type=float, default=1.0, help="requests per second")
    parser.add_argument("--project-from", type=dt.date.fromisoformat, default=dt.date(2011, 1, 1))
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()

    settings = dataclasses.replace(
        Settings(), holdings=dataclasses.replace(HoldingsSettings(), funds=FUNDS)
    )
    with tempfile.TemporaryDirectory() as tmp, ishares_standin(args.data / "holdings") as stand:
        db = Path(tmp) / "rotation.duckdb"
        http = HttpClient(user_agent="rotation benchmark", max_requests_per_s=args.rate)
        client = holdings.DatedHoldingsLiveClient(fund_urls(stand, FUNDS), http=http)
        began = time.perf_counter()
        report = load_history(
            str(db), settings, client, args.start, args.end,
            cache_dir=Path(tmp) / "cache", today=dt.date.today(), run_id="bench",
        )  # fmt: skip
        wall = time.perf_counter() - began
        with duckdb.connect(str(db), read_only=True) as con:
            loaded = con.execute(
                "select count(*), sum(bytes) from ops.holdings_history where status = 'loaded'"
            ).fetchone()
            lines = con.execute("select count(*) from raw.holdings").fetchone()[0]
        db_mb = db.stat().st_size / 1e6
    requests = len(stand.requests)
    rate_s = requests / args.rate
    n_loaded, loaded_bytes = loaded[0], loaded[1] or 0
    per_snapshot = (wall - rate_s) / max(n_loaded, 1)
    print(f"{report.messages[-1]}")
    print(
        f"{requests} requests, {stand.bytes_sent / 1e6:.2f} MB received, {wall:.1f} s wall "
        f"(rate limit alone {rate_s:.1f} s at {args.rate:g}/s); {n_loaded} snapshots loaded "
        f"({lines} lines, database file {db_mb:.1f} MB): {per_snapshot:.2f} s each beyond "
        "the rate limit"
    )
    months = len(holdings.month_ends(args.project_from, args.end))
    full = months * len(FUNDS)
    mean_mb = loaded_bytes / max(n_loaded, 1) / 1e6
    minutes = (full / args.rate + full * per_snapshot) / 60
    print(
        f"full history {args.project_from} to {args.end}: {months} month-ends x {len(FUNDS)} "
        f"funds = {full} requests, ~{full * mean_mb:.0f} MB at {mean_mb:.2f} MB a snapshot, "
        f"~{minutes:.0f} min at {args.rate:g}/s and {per_snapshot:.2f} s a snapshot"
    )


if __name__ == "__main__":
    main()
