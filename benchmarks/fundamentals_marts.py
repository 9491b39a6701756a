"""Benchmark: building the fundamentals models at the size of the real universe.

    .venv/bin/python benchmarks/fundamentals_marts.py --companies 3000 --years 2
    git show 5d11464:sql/marts/earnings_ttm.sql > /tmp/ttm_v0.sql   # an earlier version
    .venv/bin/python benchmarks/fundamentals_marts.py --companies 1000 --ttm-variant /tmp/ttm_v0.sql

What it builds (in a DuckDB file in a temporary folder, deleted afterwards):

- ``raw.xbrl_facts``: the real Snowflake companyfacts (../shared/data/fundamentals, 253 facts
  over five fiscal years) copied to N companies, and each copy repeated three times shifted
  back by 5 and 10 years (new accessions and filing dates), so every company has 15 years of
  history (~760 facts, ~57 filing days), about what a long-listed Russell 2000 member has.
- ``raw.holdings``: three funds holding 2,000, 1,000 and 500 of those companies, one snapshot
  per week over ``years`` years (weights random, fixed seed); ``raw.sec_company_tickers`` maps
  their tickers to the CIKs.
- ``raw.prices``: one row per weekday over the same years (the sessions the marts use).

Then it times the runner building the five fundamentals models (staging.holdings_members,
marts.holdings_changes, marts.earnings_ttm, marts.fund_valuation, marts.valuation_gap) with
``memory_limit=3GB``, ``threads=2``, and prints each model's time and row count
(tables; views are not materialised). With ``--ttm-variant FILE`` (repeatable) it also
times other versions of ``marts.earnings_ttm`` against the current one on the same data (wall
and process CPU time, twice each, alternating) and checks that they agree within 1e-9
relative on every row.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rotation.db import migrate  # noqa: E402
from sources.xbrl import parse_companyfacts  # noqa: E402
from transforms import build_models  # noqa: E402

MODELS = (
    "staging/dashboard_sessions.sql",
    "staging/holdings_members.sql",
    "marts/holdings_changes.sql",
    "marts/earnings_ttm.sql",
    "marts/fund_valuation.sql",
    "marts/valuation_gap.sql",
)
FACTS = REPO.parent / "shared" / "data" / "fundamentals" / "companyfacts.CIK0001640147.json"


def facts_frame(companies: int) -> pd.DataFrame:
    base = parse_companyfacts(FACTS.read_bytes(), FACTS.name).rows
    copies = []
    for shift in (0, 5, 10):
        part = base.copy()
        for column in ("period_start", "period_end", "filed"):
            part[column] = part[column] - pd.DateOffset(years=shift)
        part["accession"] = part["accession"] + f"-{shift}"
        copies.append(part)
    one = pd.concat(copies, ignore_index=True)
    frames = []
    rng = np.random.default_rng(20261129)
    for cik in range(1, companies + 1):
        part = one.copy()
        part["cik"] = cik
        part["value"] = part["value"] * rng.uniform(-1.5, 1.5)
        frames.append(part)
    facts = pd.concat(frames, ignore_index=True)
    facts["source"] = "bench"
    return facts


def setup(con: duckdb.DuckDBPyConnection, companies: int, years: int) -> dict[str, int]:
    migrate(con)
    facts = facts_frame(companies)
    con.register("facts_batch", facts)
    con.execute(
        """insert into raw.xbrl_facts select cik, metric, priority, taxonomy, concept, unit,
               cast(period_start as date), cast(period_end as date), is_instant, value,
               accession, fiscal_year, fiscal_period, form, cast(filed as date), frame, file,
               source, now(), now(), 'bench'
           from facts_batch"""
    )
    con.unregister("facts_batch")
    con.execute(
        """insert into raw.sec_company_tickers
           select 'T' || i, i, 'company ' || i, 'bench', now(), 'bench'
           from range(1, ? + 1) as r (i)""",
        [companies],
    )
    end = dt.date(2025, 5, 30)
    start = end - dt.timedelta(days=365 * years)
    con.execute(
        """insert into raw.prices (symbol, date, close, adj_close, adj_close_received,
               adjustment, source, fetched_at, run_id)
           select 'IWM', d, 1, 1, 1, 'raw', 'bench', now(), 'bench'
           from range(?::timestamp, ?::timestamp, interval 1 day) as r (d)
           where dayofweek(d) between 1 and 5""",
        [start, end],
    )
    funds = {"IWM": (1, 2000), "IWB": (1, 1000), "IVV": (1, 500)}
    for fund, (first, size) in funds.items():
        size = min(size, companies)
        con.execute(
            """insert into raw.holdings (fund, as_of, line, ticker, name, weight_pct, price,
                   is_equity, file, source, fetched_at, run_id)
               select ?, w, i + 10, 'T' || i, 'company ' || i,
                      100.0 * hash(i, w) % 1000 / 1000 / ? , 10 + hash(i) % 90, true,
                      'f', 'bench', now(), 'bench'
               from range(?::timestamp, ?::timestamp, interval 7 day) as s (w),
                    range(?, ? + ?) as m (i)""",
            [fund, size / 2, start, end, first, first, size],
        )
    return {
        "facts": con.execute("select count(*) from raw.xbrl_facts").fetchone()[0],
        "holdings_lines": con.execute("select count(*) from raw.holdings").fetchone()[0],
        "sessions": con.execute("select count(distinct date) from raw.prices").fetchone()[0],
    }


_COMPARED = ("net_income_ttm", "net_income_ttm_prev", "eps_ttm", "eps_ttm_prev",
             "revenue_ttm", "revenue_ttm_prev")  # fmt: skip


def compare_ttm(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> None:
    """Time each version of the TTM model (CTAS) and check it agrees with the first."""
    for round_ in range(2):
        for i, path in enumerate(paths):
            con.execute(f"drop table if exists ttm_variant_{i}")
            wall, cpu = time.perf_counter(), time.process_time()
            con.execute(f"create table ttm_variant_{i} as {path.read_text()}")
            print(json.dumps({"round": round_, "variant": str(path),
                              "wall_s": round(time.perf_counter() - wall, 2),
                              "cpu_s": round(time.process_time() - cpu, 2)}))  # fmt: skip
    differs = " or ".join(
        f"(a.{c} is null) <> (b.{c} is null) or abs(a.{c} - b.{c}) > 1e-9 * greatest(1, abs(a.{c}))"
        for c in _COMPARED
    )
    for i, path in enumerate(paths[1:], start=1):
        bad = con.execute(
            f"""select count(*) from ttm_variant_0 as a
                full join ttm_variant_{i} as b using (cik, known_from)
                where a.cik is null or b.cik is null or {differs}
                   or a.known_until is distinct from b.known_until"""
        ).fetchone()[0]
        print(json.dumps({"variant": str(path), "rows_differing_from_current": bad}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=3000)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--ttm-variant", action="append", default=[], type=Path)
    args = parser.parse_args()
    if not FACTS.is_file():
        print(f"error: {FACTS} is absent", file=sys.stderr)
        return 1
    folder = Path(tempfile.mkdtemp(prefix="fundamentals-bench-"))
    try:
        con = duckdb.connect(str(folder / "bench.duckdb"))
        con.execute("set memory_limit = '3GB'")
        con.execute("set threads = 2")
        started = time.perf_counter()
        sizes = setup(con, args.companies, args.years)
        print(json.dumps({"setup_s": round(time.perf_counter() - started, 1), **sizes}))
        sql_dir = folder / "sql"
        for model in MODELS:
            (sql_dir / model).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(REPO / "sql" / model, sql_dir / model)
        started = time.perf_counter()
        results = build_models(con, sql_dir)
        total = time.perf_counter() - started
        for result in results.models:
            print(result)
        print(json.dumps({"companies": args.companies, "years": args.years,
                          "build_s": round(total, 1)}))  # fmt: skip
        if args.ttm_variant:
            compare_ttm(con, [REPO / "sql" / "marts" / "earnings_ttm.sql", *args.ttm_variant])
        con.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
