"""Benchmark: building every price mart in DuckDB (transforms.build_models), in full and as the
incremental daily update, vs the same marts computed with polars and with pandas, in one run.

    .venv/bin/python benchmarks/marts_vs_pandas.py --symbols 500 --years 25
    .venv/bin/python benchmarks/marts_vs_pandas.py --sizes 100x25,250x25,500x25
    .venv/bin/python benchmarks/marts_vs_pandas.py --sizes 1000x25,3000x25 \
        --skip pandas --skip polars

The universe: N symbols (S0000 ... ) with random-walk prices (fixed seed; daily log returns
normal, mean 0.0003, sd 0.013) on every NYSE session of the `years` calendar years up to 2025
(exchange_calendars XNYS, so holidays and half-days are real). Pairs: every symbol against
S0000, the "benchmark" leg (N - 1 pairs, kind total_return). The prices are loaded into
raw.prices of a DuckDB file in a temporary folder. ``--sizes`` repeats the whole run for each
size (symbols x years) and ends with the size curve.

Each engine runs in its own subprocess so its peak memory (getrusage ru_maxrss of that process:
Python, the engine and the data) is separable:
  duckdb  opens the file with memory_limit and threads set explicitly (defaults 3GB and 2, the
          budget of this 2-core machine with headroom under 4 GB for Python itself). The last
          session (2025-12-31) is held back; it times sync_pairs + build_models, the full build:
          every staging view and mart table, and the audits of sql/audits that read only these
          models, written to the file and committed. Then it adds the held-back session and
          times the daily update, build_models(incremental=True) (transforms.incremental:
          one new session for every symbol, so every symbol and pair is recomputed from
          2025-12-01), audits included.
  polars  benchmarks/polars_marts.py, the same marts with polars (lazy, POLARS_MAX_THREADS set to
          --threads), checked against the SQL at 1e-9 by tests/transforms/
          test_indicators_vs_pandas.py; reading raw.prices is timed separately, not counted.
  pandas  reads raw.prices into a DataFrame (timed separately, not counted), then times
          tests/transforms/pandas_oracle.all_marts: the straightforward pandas implementation
          (groupby / rolling / merge_asof) that the test suite checks against the SQL to 1e-9,
          so both sides compute the same numbers. pandas is single-threaded.
Row counts of every mart are compared between the engines; a difference fails the run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCHMARK_SYMBOL = "S0000"
LAST_YEAR = 2025  # fixed, so every run times the same sessions
# The price models (what the pandas side computes too). The benchmark builds exactly these,
# from a copy of their files, so models other engineers add to sql/ (deal flow, macro), whose
# inputs are empty here, do not blur the comparison.
PRICE_MODELS = (
    "staging/prices.sql",
    "staging/daily_returns.sql",
    "staging/pair_returns.sql",
    "marts/returns.sql",
    "marts/calendar_year_returns.sql",
    "marts/cumulative_return.sql",
    "marts/risk.sql",
    "marts/relative_strength.sql",
    "marts/pair_risk.sql",
    "marts/latest_indicators.sql",
)
MARTS = (
    "marts.returns",
    "marts.calendar_year_returns",
    "marts.risk",
    "marts.relative_strength",
    "marts.pair_risk",
    "marts.latest_indicators",
)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _symbols(n: int) -> list[str]:
    return [f"S{i:04d}" for i in range(n)]


def generate(db: Path, n_symbols: int, years: int, seed: int) -> dict[str, object]:
    """Write the synthetic universe into raw.prices of a fresh database file."""
    import duckdb
    import exchange_calendars as xc
    import numpy as np
    import pandas as pd

    from rotation.db import migrate

    first = dt.date(LAST_YEAR - years + 1, 1, 1)
    calendar = xc.get_calendar("XNYS", start=first.isoformat(), end=f"{LAST_YEAR}-12-31")
    dates = np.asarray(calendar.sessions.date)
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    con = duckdb.connect(str(db))
    migrate(con)
    symbols = _symbols(n_symbols)
    chunk = 100
    fetched_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for start in range(0, n_symbols, chunk):
        names = symbols[start : start + chunk]
        log_returns = rng.normal(0.0003, 0.013, size=(len(names), len(dates)))
        values = 50.0 * np.exp(np.cumsum(log_returns, axis=1))
        batch = pd.DataFrame(
            {
                "symbol": np.repeat(names, len(dates)),
                "date": np.tile(dates, len(names)),
                "close": values.ravel(),
            }
        )
        batch["adj_close"] = batch["close"]
        batch["adj_close_received"] = batch["close"]
        batch["adjustment"] = "raw"
        batch["source"] = "synthetic"
        batch["fetched_at"] = fetched_at
        batch["run_id"] = "benchmark"
        con.register("batch", batch)
        con.execute("insert into raw.prices by name select * from batch")
        con.unregister("batch")
    con.execute("checkpoint")
    rows = con.execute("select count(*) from raw.prices").fetchone()[0]
    con.close()
    return {
        "rows": rows,
        "sessions": len(dates),
        "first": str(dates[0]),
        "last": str(dates[-1]),
        "seconds": time.perf_counter() - started,
    }


def _pairs(n_symbols: int) -> list[tuple[str, str, str, str]]:
    return [
        (f"{s}/{BENCHMARK_SYMBOL}", s, BENCHMARK_SYMBOL, "total_return")
        for s in _symbols(n_symbols)
        if s != BENCHMARK_SYMBOL
    ]


def run_duckdb(db: Path, n_symbols: int, memory_limit: str, threads: int) -> dict[str, object]:
    import duckdb

    from transforms import build_models, discover_audits, sync_pairs

    class _Pair:
        def __init__(self, name: str, small: str, large: str, kind: str) -> None:
            self.name, self.small, self.large, self.kind = name, small, large, kind

    sql_dir = db.parent / "sql"
    for model in PRICE_MODELS:
        (sql_dir / model).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / "sql" / model, sql_dir / model)
    # The audits that read only these models run inside the build, as in a real run.
    price_models = {f"{m.split('/')[0]}.{Path(m).stem}" for m in PRICE_MODELS}
    (sql_dir / "audits").mkdir()
    for audit in discover_audits(REPO / "sql"):
        if audit.depends_on <= price_models:
            shutil.copyfile(audit.path, sql_dir / "audits" / audit.path.name)
    con = duckdb.connect(str(db), config={"memory_limit": memory_limit, "threads": threads})
    # The daily update's new session: held back from the full build, added after it.
    con.execute(
        "create temp table held_back as "
        "select * from raw.prices where date = (select max(date) from raw.prices)"
    )
    con.execute("delete from raw.prices where date = (select max(date) from held_back)")
    started = time.perf_counter()
    sync_pairs(con, [_Pair(*p) for p in _pairs(n_symbols)])
    report = build_models(con, sql_dir)
    seconds = time.perf_counter() - started
    if not report.kept:
        raise SystemExit(report.line())
    full_rss = _peak_rss_mb()
    con.execute("insert into raw.prices select * from held_back")
    started = time.perf_counter()
    sync_pairs(con, [_Pair(*p) for p in _pairs(n_symbols)])
    daily = build_models(con, sql_dir, incremental=True)
    daily_seconds = time.perf_counter() - started
    con.close()
    if not daily.kept:
        raise SystemExit(daily.line())
    return {
        "seconds": seconds,
        "peak_rss_mb": full_rss,
        "rows": {r.model: r.rows for r in daily.models if r.model in MARTS},
        "models": [r.as_dict() for r in report.models],
        "audits": [a.as_dict() for a in report.audits],
        "daily_seconds": daily_seconds,
        "daily_plan": daily.plan,
        "daily_models": [r.as_dict() for r in daily.models],
        "daily_audits_seconds": sum(a.seconds for a in daily.audits),
        "daily_peak_rss_mb": _peak_rss_mb(),
    }


def run_pandas(db: Path, n_symbols: int) -> dict[str, object]:
    import duckdb

    spec = importlib.util.spec_from_file_location(
        "pandas_oracle", REPO / "tests" / "transforms" / "pandas_oracle.py"
    )
    assert spec and spec.loader
    oracle = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(oracle)

    started = time.perf_counter()
    con = duckdb.connect(str(db), read_only=True)
    prices = con.sql("select symbol, date, adj_close as value from raw.prices").df()
    con.close()
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    marts = oracle.all_marts(prices, _pairs(n_symbols))
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "load_seconds": load_seconds,
        "peak_rss_mb": _peak_rss_mb(),
        "rows": {name: len(frame) for name, frame in marts.items()},
    }


def run_polars(db: Path, n_symbols: int, threads: int) -> dict[str, object]:
    """The polars peer (benchmarks/polars_marts.py) on the same prices, POLARS_MAX_THREADS set
    by the parent to ``threads`` so it gets the same cores as DuckDB."""
    import duckdb
    import polars as pl

    spec = importlib.util.spec_from_file_location(
        "polars_marts", REPO / "benchmarks" / "polars_marts.py"
    )
    assert spec and spec.loader
    peer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(peer)

    started = time.perf_counter()
    con = duckdb.connect(str(db), read_only=True)
    columns = con.execute("select symbol, date, adj_close from raw.prices").fetchnumpy()
    con.close()
    prices = pl.DataFrame(
        {"symbol": columns["symbol"], "date": columns["date"], "value": columns["adj_close"]}
    ).with_columns(pl.col("date").cast(pl.Date))
    del columns
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    marts = peer.all_marts(prices, _pairs(n_symbols))
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "load_seconds": load_seconds,
        "threads": pl.thread_pool_size(),
        "peak_rss_mb": _peak_rss_mb(),
        "rows": {name: frame.height for name, frame in marts.items()},
    }


def _child(role: str, args: argparse.Namespace, db: Path) -> dict[str, object]:
    command = [
        sys.executable, __file__, "--role", role, "--db", str(db),
        "--symbols", str(args.symbols), "--years", str(args.years), "--seed", str(args.seed),
        "--memory-limit", args.memory_limit, "--threads", str(args.threads),
    ]  # fmt: skip
    env = {**os.environ, "POLARS_MAX_THREADS": str(args.threads)}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{role} step failed:\n{done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--years", type=int, default=25)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["pandas", "polars"],
        help="leave a peer engine out (repeatable)",
    )
    parser.add_argument(  # the earlier spelling, as in docs/benchmarks.md's history
        "--skip-pandas", action="append_const", dest="skip", const="pandas", help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--sizes", help="several universes in one run, e.g. 100x5,500x10,500x25 (symbols x years)"
    )
    parser.add_argument("--memory-limit", default="3GB", help="DuckDB memory_limit")
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads")
    parser.add_argument(
        "--role", choices=["generate", "duckdb", "pandas", "polars"], help=argparse.SUPPRESS
    )
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.role:  # a child process: do one step, print one JSON line
        sys.path.insert(0, str(REPO))
        if args.role == "generate":
            out = generate(args.db, args.symbols, args.years, args.seed)
        elif args.role == "duckdb":
            out = run_duckdb(args.db, args.symbols, args.memory_limit, args.threads)
        elif args.role == "polars":
            out = run_polars(args.db, args.symbols, args.threads)
        else:
            out = run_pandas(args.db, args.symbols)
        print(json.dumps(out, default=str))
        return 0

    sizes = _parse_sizes(args.sizes) if args.sizes else [(args.symbols, args.years)]
    summary = []
    for n_symbols, years in sizes:
        args.symbols, args.years = n_symbols, years
        outcome = _one_size(args)
        if outcome is None:
            return 1
        summary.append(outcome)
    if len(summary) > 1:
        print("\nsize curve (seconds; peak RSS MB in brackets)")
        print(
            f"{'symbols':>8} {'years':>5} {'price rows':>12} "
            + " ".join(f"{e:>16}" for e in ("duckdb full", "duckdb daily", "polars", "pandas"))
        )
        for row in summary:
            cells = [
                "-" if row[k] is None else f"{row[k][0]:7.2f} ({row[k][1]:5.0f})"
                for k in ("duckdb", "daily", "polars", "pandas")
            ]
            print(
                f"{row['symbols']:>8} {row['years']:>5} {row['rows']:>12,} "
                + " ".join(f"{c:>16}" for c in cells)
            )
    return 0


def _parse_sizes(text: str) -> list[tuple[int, int]]:
    """'100x5,500x25' -> [(100, 5), (500, 25)] (symbols x years)."""
    sizes = []
    for item in text.split(","):
        symbols, _, years = item.strip().partition("x")
        sizes.append((int(symbols), int(years)))
    return sizes


def _one_size(args: argparse.Namespace) -> dict[str, object] | None:
    """Generate one universe, time every engine on it, print the figures; None when the
    engines' row counts disagree."""
    with tempfile.TemporaryDirectory(prefix="marts-bench-") as tmp:
        db = Path(tmp) / "bench.duckdb"
        gen = _child("generate", args, db)
        print(
            f"universe: {args.symbols} symbols x {gen['sessions']} NYSE sessions "
            f"({gen['first']} .. {gen['last']}) = {gen['rows']:,} price rows, "
            f"{args.symbols - 1} pairs vs {BENCHMARK_SYMBOL}; generated in {gen['seconds']:.1f} s"
        )
        duck = _child("duckdb", args, db)
        print(
            f"duckdb  build_models: {duck['seconds']:8.2f} s, peak RSS {duck['peak_rss_mb']:.0f} MB"
            f"  (memory_limit={args.memory_limit}, threads={args.threads})"
        )
        for model in duck["models"]:
            rows = "" if model["rows"] is None else f"{model['rows']:>12,} rows"
            print(f"    {model['model']:<30} {model['kind']:<6} {model['seconds']:7.2f} s {rows}")
        for audit in duck["audits"]:
            found = f"{audit['offending']:>12,} offending"
            print(f"    audit {audit['audit']:<32} {audit['seconds']:7.2f} s {found}")
        print(
            f"duckdb  incremental daily update (one new session): {duck['daily_seconds']:6.2f} s, "
            f"peak RSS {duck['daily_peak_rss_mb']:.0f} MB (process so far)\n"
            f"    {duck['daily_plan']}"
        )
        for model in duck["daily_models"]:
            if model["model"].startswith("marts."):
                print(f"    {model['model']:<30} {model['kind']:<6} {model['seconds']:7.2f} s")
        print(f"    audits (all, on the whole marts)        {duck['daily_audits_seconds']:7.2f} s")
        outcome: dict[str, object] = {
            "symbols": args.symbols,
            "years": args.years,
            "rows": gen["rows"],
            "duckdb": (duck["seconds"], duck["peak_rss_mb"]),
            "daily": (duck["daily_seconds"], duck["daily_peak_rss_mb"]),
            "polars": None,
            "pandas": None,
        }
        peers = [p for p in ("polars", "pandas") if p not in args.skip]
        agree = True
        for peer in peers:
            out = _child(peer, args, db)
            print(
                f"{peer:<7} same marts: {out['seconds']:8.2f} s, peak RSS "
                f"{out['peak_rss_mb']:.0f} MB  (+ {out['load_seconds']:.1f} s to read raw.prices, "
                f"not counted{', threads=' + str(out['threads']) if 'threads' in out else ''})"
            )
            print(f"ratio   {peer} / duckdb = {out['seconds'] / duck['seconds']:.1f}x")
            outcome[peer] = (out["seconds"], out["peak_rss_mb"])
            if duck["rows"] != out["rows"]:
                print(f"ROW COUNTS DIFFER: duckdb {duck['rows']} vs {peer} {out['rows']}")
                agree = False
        if peers and agree:
            print(f"row counts of every mart agree between duckdb and {', '.join(peers)}")
        return outcome if agree else None


if __name__ == "__main__":
    sys.exit(main())
