"""Backfill speed: parse, check and load a quarter-sized EDGAR master index, next to DuckDB.

A quarterly ``full-index/.../master.idx`` holds ~400,000 lines. The script synthesises one from
the real rows of ``../shared/data/edgar/master.20200103.idx`` (their company names, CIKs and
form types, cycled; accession numbers made unique; dates spread over the quarter; the header of
the real quarterly excerpt) in a temporary folder, then times, best of ``--repeat`` runs, each
on a fresh in-memory database whose schema is set up before the clock starts:

* ours: ``sources.edgar.parse_index`` on the file's bytes, ``quality.edgar.edgar_row_problems``
  (the row checks the Great Expectations suite runs on every batch; timed because on a
  quarter they are not negligible) and ``load_edgar`` of the rows that pass (the upsert into
  ``raw.edgar_filings`` with its primary key); the three stages are shown separately, and the
  total without the checks is the figure earlier versions of this script reported;
* ceiling A: DuckDB ``read_csv`` of the same file into a plain table (no key), the fastest this
  machine turns the file into rows;
* ceiling B: DuckDB ``read_csv`` into a table with the same primary key and accession extraction
  (the same end state as ours, without line numbers, problem reports or row checks);
* keyed insert alone: rows already in DuckDB inserted into ``raw.edgar_filings``, the cost of
  the primary key that ours and ceiling B pay and ceiling A does not;
* the load SQL variants on the same parsed frame (skip with ``--no-load-variants``): the
  ``merge`` in ``sql/load/edgar_filings.sql``, the ``insert ... on conflict do update`` it
  replaced, ``insert or replace``, and a plain insert (not an upsert) for reference; into an
  empty table and again into a table that already holds the rows.

The Great Expectations suite itself (``quality.sources.validate_source``) is not timed here: it
is the lead's, and importing it costs ~7 s.

Run: ``.venv/bin/python benchmarks/edgar_parse.py [--lines 400000] [--repeat 3]
[--no-load-variants]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from quality.edgar import edgar_row_problems  # noqa: E402
from rotation.db import migrate  # noqa: E402
from rotation.sql import read as read_sql  # noqa: E402
from sources.edgar import load_edgar, parse_index  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "edgar"


def synthesise(target: Path, lines: int) -> int:
    """Write a quarterly master index of ``lines`` rows; return the header line count."""
    header = (DATA / "master.1993QTR4.excerpt.idx").read_text().splitlines()
    cut = next(i for i, line in enumerate(header) if line.startswith("----")) + 1
    rows = [
        line.split("|")
        for line in (DATA / "master.20200103.idx").read_text().splitlines()
        if line.count("|") == 4 and line.split("|")[0].isdigit()
    ]
    start = dt.date(2020, 1, 2)
    days = [
        start + dt.timedelta(days=i)
        for i in range(91)
        if (start + dt.timedelta(days=i)).weekday() < 5
    ]
    out = header[:cut]
    for i in range(lines):
        cik, name, form, _, _ = rows[i % len(rows)]
        day = days[i * len(days) // lines]
        accession = f"{1000000000 + i % 9000:010d}-20-{i:06d}"
        out.append(f"{cik}|{name}|{form}|{day.isoformat()}|edgar/data/{cik}/{accession}.txt")
    target.write_text("\n".join(out) + "\n")
    return cut


def _fresh(keyed_table: bool = False, schema: bool = False) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    if schema:
        migrate(con)
    if keyed_table:
        con.execute(
            "create table t (accession varchar, cik bigint, company_name varchar,"
            " form_type varchar, date_filed date, file_name varchar, primary key (accession, cik))"
        )
    return con


def ours(con: duckdb.DuckDBPyConnection, path: Path, stages: dict[str, float]) -> int:
    """Parse, check and load; record each stage's time in ``stages``."""
    started = time.perf_counter()
    parsed = parse_index(path.read_bytes(), "master.2020QTR1.idx")
    frame = parsed.rows.assign(source="bench")
    parsed_at = time.perf_counter()
    problems = edgar_row_problems(frame, today=dt.date(2026, 1, 5))
    good = frame if (problems == "").all() else frame[problems == ""]
    checked_at = time.perf_counter()
    load_edgar(con, good, "bench", dt.datetime.now(dt.UTC))
    loaded_at = time.perf_counter()
    stages.update(
        parse=parsed_at - started, checks=checked_at - parsed_at, load=loaded_at - checked_at
    )
    return con.execute("select count(*) from raw.edgar_filings").fetchone()[0]


def _read_csv(path: Path, skip: int) -> str:
    return (
        f"read_csv('{path}', delim='|', header=false, skip={skip}, quote='', "
        "columns={'cik': 'bigint', 'company_name': 'varchar', 'form_type': 'varchar', "
        "'date_filed': 'date', 'file_name': 'varchar'})"
    )  # benchmark-only SQL: a temp path of our own, not user input


def ceiling_plain(con: duckdb.DuckDBPyConnection, path: Path, skip: int) -> int:
    con.execute(f"create table t as select * from {_read_csv(path, skip)}")
    return con.execute("select count(*) from t").fetchone()[0]


def ceiling_keyed(con: duckdb.DuckDBPyConnection, path: Path, skip: int) -> int:
    con.execute(
        "insert into t select regexp_extract(file_name, '(\\d{10}-\\d{2}-\\d{6})\\.txt$', 1), "
        f"cik, company_name, form_type, date_filed, file_name from {_read_csv(path, skip)}"
    )
    return con.execute("select count(*) from t").fetchone()[0]


def keyed_insert_setup(path: Path, skip: int) -> duckdb.DuckDBPyConnection:
    con = _fresh(schema=True)
    con.execute(
        "create temp table staged as select regexp_extract(file_name, "
        f"'(\\d{{10}}-\\d{{2}}-\\d{{6}})\\.txt$', 1) as accession, * from {_read_csv(path, skip)}"
    )
    return con


def keyed_insert(con: duckdb.DuckDBPyConnection) -> int:
    con.execute(
        "insert into raw.edgar_filings select accession, cik, company_name, form_type,"
        " date_filed, file_name, 'master.2020QTR1.idx', 'bench', now(), now(), 'bench' from staged"
    )
    return con.execute("select count(*) from raw.edgar_filings").fetchone()[0]


def best(
    setup: Callable[[], duckdb.DuckDBPyConnection],
    fn: Callable[[duckdb.DuckDBPyConnection], int],
    repeat: int,
) -> tuple[float, int]:
    """Best wall time of ``fn`` over ``repeat`` runs, each on a connection ``setup`` made."""
    times, n = [], 0
    for _ in range(repeat):
        con = setup()
        started = time.perf_counter()
        n = fn(con)
        times.append(time.perf_counter() - started)
        con.close()
    return min(times), n


_COLUMNS = (
    "accession, cik, company_name, form_type, date_filed, file_name, index_file,"
    " source, first_fetched_at, fetched_at, run_id"
)
_VALUES = (
    "accession, cik, company_name, form_type, cast(date_filed as date), file_name, index_file,"
    " source, $1::timestamptz, $1::timestamptz, $2"
)
_UPDATE = (
    "company_name = excluded.company_name, form_type = excluded.form_type,"
    " date_filed = excluded.date_filed, file_name = excluded.file_name,"
    " index_file = excluded.index_file, source = excluded.source,"
    " fetched_at = excluded.fetched_at, run_id = excluded.run_id"
)
#: The load SQL variants compared: ours, the one it replaced, and two others (peers only).
LOAD_VARIANTS = {
    "merge (sql/load/edgar_filings.sql)": read_sql("load/edgar_filings.sql"),
    "insert .. on conflict do update (before)": (
        f"insert into raw.edgar_filings ({_COLUMNS}) select {_VALUES} from edgar_batch"
        f" on conflict (accession, cik) do update set {_UPDATE}"
    ),
    "insert or replace": (
        f"insert or replace into raw.edgar_filings ({_COLUMNS}) select {_VALUES} from edgar_batch"
    ),
    "plain insert (no upsert: not idempotent)": (
        f"insert into raw.edgar_filings ({_COLUMNS}) select {_VALUES} from edgar_batch"
    ),
}


def load_variants(path: Path, repeat: int) -> list[str]:
    """Time each load SQL on the same parsed frame: into an empty table, and again (a reload)."""
    frame = parse_index(path.read_bytes(), "master.2020QTR1.idx").rows.assign(source="bench")
    fetched_at = dt.datetime.now(dt.UTC)

    def run(sql: str, reload: bool) -> float:
        times = []
        for _ in range(repeat):
            con = _fresh(schema=True)
            con.register("edgar_batch", frame)
            if reload:
                con.execute(sql, [fetched_at, "first"])
            started = time.perf_counter()
            con.execute(sql, [fetched_at, "bench"])
            times.append(time.perf_counter() - started)
            con.close()
        return min(times)

    report = ["load SQL on the parsed frame (registered pandas frame -> raw.edgar_filings):"]
    for label, sql in LOAD_VARIANTS.items():
        fresh = run(sql, reload=False)
        again = "" if label.startswith("plain") else f"   reload {run(sql, reload=True):5.2f} s"
        report.append(f"  {label:48s} empty table {fresh:5.2f} s{again}")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=400_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--no-load-variants",
        dest="load_variants",
        action="store_false",
        help="skip the comparison of load SQL variants",
    )
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"real data folder {DATA} is absent; the benchmark synthesises from it")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "master.idx"
        skip = synthesise(path, args.lines)
        size_mb = path.stat().st_size / 1e6
        runs: list[tuple[float, dict[str, float]]] = []

        def run_ours(con: duckdb.DuckDBPyConnection) -> int:
            stages: dict[str, float] = {}
            n = ours(con, path, stages)
            runs.append((sum(stages.values()), stages))
            return n

        _, n_ours = best(lambda: _fresh(schema=True), run_ours, args.repeat)
        t_plain, n_plain = best(_fresh, lambda con: ceiling_plain(con, path, skip), args.repeat)
        t_keyed, n_keyed = best(
            lambda: _fresh(keyed_table=True),
            lambda con: ceiling_keyed(con, path, skip),
            args.repeat,
        )
        t_insert, n_insert = best(lambda: keyed_insert_setup(path, skip), keyed_insert, args.repeat)
        variants = load_variants(path, args.repeat) if args.load_variants else []
    assert n_ours == n_plain == n_keyed == n_insert == args.lines, (n_ours, n_plain, n_keyed)
    t_ours, stages = min(runs, key=lambda run: run[0])
    t_no_checks = stages["parse"] + stages["load"]
    print(f"file: {args.lines:,} lines, {size_mb:.1f} MB; best of {args.repeat}")
    for label, t in (
        ("ours: parse + row checks + load (keyed upsert)", t_ours),
        ("  parse_index", stages["parse"]),
        ("  edgar_row_problems", stages["checks"]),
        ("  load_edgar", stages["load"]),
        ("ours without the row checks", t_no_checks),
        ("ceiling A: duckdb read_csv -> plain table", t_plain),
        ("ceiling B: duckdb read_csv -> keyed table", t_keyed),
        ("keyed insert alone (rows already in DuckDB)", t_insert),
    ):
        print(f"  {label:48s} {t:6.2f} s  {args.lines / t:>10,.0f} lines/s")
    print(f"ratio ours / ceiling A: {t_plain / t_ours:.2f}  (target >= 0.5)")
    print(f"ratio ours / ceiling B: {t_keyed / t_ours:.2f}")
    print(f"ratio ours without the row checks / ceiling A: {t_plain / t_no_checks:.2f}")
    print(f"ratio ours without the row checks / ceiling B: {t_keyed / t_no_checks:.2f}")
    print(
        f"ratio ceiling B / ceiling A: {t_plain / t_keyed:.2f}  (what DuckDB itself reaches "
        "when the rows go into a keyed table)"
    )
    print("\n".join(variants))


if __name__ == "__main__":
    main()
