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

With ``--refresh N`` it then times a normal day's build (issue 16 item 6): N companies get a new
10-Q (their latest filing's facts shifted three months on, new accession and filing date), the
runner builds incrementally (``transforms.incremental_earnings``: only those companies'
``marts.earnings_ttm`` rows recomputed), and its peer, a full build of the same data, follows at
once (``--rounds`` times, other companies each round). Per build it prints the wall and process
CPU seconds of the whole build and of the TTM mart alone (the build minus the other models:
fingerprints, scratch build, write-back or full build, and its audit), the ratios incremental /
full, and the rows where the incremental mart differs from the full one (every column, exact).

    .venv/bin/python benchmarks/fundamentals_marts.py --companies 3000 --years 2 --refresh 50
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


def refresh(con: duckdb.DuckDBPyConnection, ciks: list[int]) -> int:
    """A new 10-Q for each of ``ciks``: its latest filing's facts, three months on."""
    return con.execute(
        """insert into raw.xbrl_facts
           select f.* replace (
                      f.period_start + interval 3 month as period_start,
                      f.period_end + interval 3 month as period_end,
                      f.filed + interval 3 month as filed,
                      f.accession || '-r' as accession,
                      '10-Q' as form)
           from raw.xbrl_facts as f
           where f.cik in (select unnest($ciks))
             and f.filed = (select max(g.filed) from raw.xbrl_facts as g where g.cik = f.cik)""",
        {"ciks": ciks},
    ).fetchone()[0]


def differing_rows(con: duckdb.DuckDBPyConnection, a: str, b: str, tolerance: float) -> int:
    """Rows of ``a`` and ``b`` (marts.earnings_ttm's layout) not matched by a row of the other
    with the same key and every column equal: exactly, or doubles within ``tolerance``
    relative (NULLs equal)."""
    columns = con.execute(f"select column_name, column_type from (describe {a})").fetchall()
    same = " and ".join(
        f"(x.{c} is not distinct from y.{c} or abs(x.{c} - y.{c}) "
        f"<= {tolerance} * greatest(1, abs(y.{c})))"
        if kind == "DOUBLE" and tolerance > 0
        else f"x.{c} is not distinct from y.{c}"
        for c, kind in columns
    )
    counted = con.execute(
        f"""select count(*) from {a} as x full join {b} as y
               on x.cik = y.cik and x.known_from = y.known_from
            where x.cik is null or y.cik is null or not ({same})"""
    ).fetchone()
    return int(counted[0]) if counted else 0


def timed_build(con: duckdb.DuckDBPyConnection, sql_dir: Path, *, incremental: bool) -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    report = build_models(con, sql_dir, incremental=incremental)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    others = sum(r.seconds for r in report.models if r.model != "marts.earnings_ttm")
    return {
        "build": "incremental" if incremental else "full",
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "earnings_ttm_wall_s": round(wall - others, 2),
        "plan": report.earnings_plan,
    }


def compare_refresh(
    con: duckdb.DuckDBPyConnection, sql_dir: Path, companies: int, size: int, rounds: int
) -> None:
    """Time a normal day's incremental build against its peer, the full build."""
    rng = np.random.default_rng(20261206)
    chosen = rng.choice(
        np.arange(1, companies + 1), size=min(companies, size * rounds), replace=False
    )
    for round_ in range(rounds):
        ciks = sorted(int(c) for c in chosen[round_ * size : (round_ + 1) * size])
        facts = refresh(con, ciks)
        inc = timed_build(con, sql_dir, incremental=True)
        con.execute("create or replace temp table ttm_incremental as from marts.earnings_ttm")
        full = timed_build(con, sql_dir, incremental=False)
        exact = differing_rows(con, "ttm_incremental", "marts.earnings_ttm", 0.0)
        near = differing_rows(con, "ttm_incremental", "marts.earnings_ttm", 1e-12)
        con.execute("create or replace temp table ttm_full as from marts.earnings_ttm")
        again = timed_build(con, sql_dir, incremental=False)
        full_vs_full = differing_rows(con, "ttm_full", "marts.earnings_ttm", 0.0)
        print(json.dumps({"round": round_, "refreshed_companies": len(ciks), "new_facts": facts}))
        print(json.dumps(inc))
        print(json.dumps(full))
        print(json.dumps({
            "round": round_,
            "build_wall_ratio": round(inc["wall_s"] / full["wall_s"], 3),
            "build_cpu_ratio": round(inc["cpu_s"] / full["cpu_s"], 3),
            "earnings_ttm_wall_ratio": round(
                inc["earnings_ttm_wall_s"] / full["earnings_ttm_wall_s"], 3
            ),
            "rows_differing_incremental_vs_full": exact,
            "rows_differing_beyond_1e-12": near,
            "rows_differing_full_vs_second_full": full_vs_full,
            "second_full_wall_s": again["wall_s"],
        }))  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=3000)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--ttm-variant", action="append", default=[], type=Path)
    parser.add_argument(
        "--refresh",
        type=int,
        default=0,
        metavar="N",
        help="then time an incremental build after N companies filed",
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)  # fmt: skip
    args = parser.parse_args()
    if not FACTS.is_file():
        print(f"error: {FACTS} is absent", file=sys.stderr)
        return 1
    folder = Path(tempfile.mkdtemp(prefix="fundamentals-bench-"))
    try:
        con = duckdb.connect(str(folder / "bench.duckdb"))
        con.execute("set memory_limit = '3GB'")
        con.execute(f"set threads = {args.threads}")
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
        if args.refresh:
            compare_refresh(con, sql_dir, args.companies, args.refresh, args.rounds)
        con.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
