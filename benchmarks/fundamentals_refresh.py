"""Benchmark: the daily fundamentals refresh for the three funds' members, requests and seconds.

    .venv/bin/python benchmarks/fundamentals_refresh.py --first-limit 150 --rate 9

The SEC is not reachable here, so a loopback stand-in plays it: a threaded HTTP server on
127.0.0.1 serving the real ``company_tickers.json`` and, for every CIK asked, the real
Snowflake ``companyfacts`` body (../shared/data/fundamentals, 2.5 MB) with only its ``cik``
field set to the CIK asked (the parser refuses a body for another company). Every company
therefore costs what a large, long-listed filer costs: an upper bound per request.

The members are the real ones: IWM 2026-05-05, IWB 2026-07-17 and IVV 2026-06-19 from
../shared/data/holdings, loaded through the pipeline's own stages into a DuckDB file in a
temporary folder (deleted afterwards). Then the pipeline's own XBRL stage runs, through the
live client pointed at the stand-in:

1. a first run with ``max_companies_per_run = --first-limit`` (the setting is 600; the first
   load of ~3,000 companies is spread over runs by it);
2. a normal day: everyone fetched once a day ago (rows written to ``raw.xbrl_fetches`` as a
   finished first load leaves them, not fetched: that would take minutes), nobody filed (no
   EDGAR index here), so the queue is the sweep (``sweep_per_run``, 50) of the longest
   unrefreshed;
3. an earnings-season day: ``--filers`` companies get a 10-Q in ``raw.edgar_filings`` dated
   today, so they are due besides the sweep.

For each it prints requests sent, wall seconds, and the seconds the rate limit alone accounts
for (requests / rate), so the overhead per request (download on loopback, parse, validate,
load) can be read off and the cost at the production rate of 5/s worked out.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import re
import shutil
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402

from pipeline.clients import Clients  # noqa: E402
from pipeline.fundamentals import load_holdings, load_sec_tickers, load_xbrl  # noqa: E402
from rotation.settings import EdgarSettings, HoldingsSettings, Settings, XbrlSettings  # noqa: E402

DATA = REPO.parent / "shared" / "data"
SNAPSHOTS = {"IWM": "IWM.2026-05-05.csv", "IWB": "IWB.2026-07-17.csv", "IVV": "IVV.2026-06-19.csv"}
AS_OF = dt.date(2026, 7, 17)
CIK_PATH = re.compile(r"/api/xbrl/companyfacts/CIK(\d{10})\.json")


class Stand_in:
    def __init__(self) -> None:
        payload = json.loads(
            (DATA / "fundamentals" / "companyfacts.CIK0001640147.json").read_bytes()
        )
        self.head, self.tail = self._split(json.dumps(payload).encode())
        self.tickers = (DATA / "edgar" / "company_tickers.json").read_bytes()
        self.requests = 0
        self.lock = threading.Lock()

    @staticmethod
    def _split(body: bytes) -> tuple[bytes, bytes]:
        marker = b'"cik": 1640147'
        at = body.index(marker)
        return body[: at + len(b'"cik": ')], body[at + len(marker) :]

    def body(self, path: str) -> bytes | None:
        with self.lock:
            self.requests += 1
        if path == "/files/company_tickers.json":
            return self.tickers
        match = CIK_PATH.fullmatch(path)
        return self.head + str(int(match[1])).encode() + self.tail if match else None


def serve(stand_in: Stand_in) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = stand_in.body(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first-limit", type=int, default=600)
    parser.add_argument("--rate", type=float, default=5.0, help="requests/s (SEC: under 10)")
    parser.add_argument("--sweep", type=int, default=50)
    parser.add_argument("--filers", type=int, default=150)
    args = parser.parse_args()

    stand_in = Stand_in()
    httpd = serve(stand_in)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    work = Path(tempfile.mkdtemp(prefix="fundamentals-refresh-"))
    try:
        replay = work / "replay"
        (replay / "holdings").mkdir(parents=True)
        (replay / "xbrl").mkdir()
        for name in SNAPSHOTS.values():
            (replay / "holdings" / name).symlink_to(DATA / "holdings" / name)
        (replay / "xbrl" / "company_tickers.json").symlink_to(
            DATA / "edgar" / "company_tickers.json"
        )
        db = str(work / "rotation.duckdb")
        settings = Settings(
            edgar=EdgarSettings(user_agent="Rotation benchmark ops@example.org"),
            holdings=HoldingsSettings(funds=tuple(SNAPSHOTS)),
            xbrl=dataclasses.replace(
                XbrlSettings(),
                base_url=base,
                tickers_url=f"{base}/files/company_tickers.json",
                max_requests_per_s=args.rate,
                sweep_per_run=args.sweep,
                max_companies_per_run=args.first_limit,
            ),
        )
        load_sec_tickers(db, settings, Clients.replay(replay), run_id="bench")
        load_holdings(db, settings, Clients.replay(replay), AS_OF, run_id="bench")
        with duckdb.connect(db, read_only=True) as con:
            members = con.execute(
                """select count(distinct t.cik) from raw.holdings as h
                   inner join raw.sec_company_tickers as t on h.ticker = t.ticker
                   where h.is_equity"""
            ).fetchone()[0]
        print(f"members of IWM+IWB+IVV with a CIK: {members}; rate {args.rate}/s")

        def run(label: str, cfg: Settings) -> None:
            before = stand_in.requests
            started = time.perf_counter()
            report = load_xbrl(db, cfg, Clients.live(cfg), AS_OF, run_id=label)
            seconds = time.perf_counter() - started
            sent = stand_in.requests - before
            floor = sent / args.rate
            per = (seconds - floor) / sent if sent else 0.0
            print(
                f"{label}: {sent} requests, {seconds:.1f} s (rate limit alone {floor:.1f} s, "
                f"overhead {per * 1000:.0f} ms/request), {report.loaded} facts loaded; "
                f"at 5/s: {sent / 5 + per * sent:.0f} s"
            )

        run("first run", settings)
        # The state a finished first load leaves: every member fetched once, a day ago (the
        # queue reads only raw.xbrl_fetches; fetching ~3,000 bodies here would take minutes).
        with duckdb.connect(db) as con:
            con.execute(
                """insert into raw.xbrl_fetches (cik, status, entity_name, facts, message,
                       fetched_at, run_id)
                   select distinct t.cik, 'loaded', '', 0, '', now() - interval 1 day, 'fill'
                   from raw.holdings as h
                   inner join raw.sec_company_tickers as t on h.ticker = t.ticker
                   where h.is_equity
                   on conflict do nothing"""
            )
        steady = dataclasses.replace(
            settings, xbrl=dataclasses.replace(settings.xbrl, max_companies_per_run=600)
        )
        run("normal day (sweep only)", steady)
        with duckdb.connect(db) as con:
            ciks = [r[0] for r in con.execute(
                "select cik from raw.xbrl_fetches order by cik limit ?", [args.filers]
            ).fetchall()]  # fmt: skip
            con.executemany(
                """insert into raw.edgar_filings (accession, cik, company_name, form_type,
                       date_filed, file_name, index_file, source, first_fetched_at,
                       fetched_at, run_id)
                   values (?, ?, 'x', '10-Q', current_date, 'f', 'i', 'bench', now(), now(),
                           'bench')""",
                [(f"bench-{c}", c) for c in ciks],
            )
        run(f"earnings-season day ({args.filers} filers + sweep)", steady)
    finally:
        httpd.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
