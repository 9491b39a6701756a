"""Backfill speed: parse + load a quarter-sized EDGAR master index, next to DuckDB's CSV reader.

A quarterly ``full-index/.../master.idx`` holds ~400,000 lines. The script synthesises one from
the real rows of ``../shared/data/edgar/master.20200103.idx`` (their company names, CIKs and
form types, cycled; accession numbers made unique; dates spread over the quarter; the header of
the real quarterly excerpt) in a temporary folder, then times, best of ``--repeat`` runs:

* ours: ``sources.edgar.parse_index`` on the file's bytes + ``load_edgar`` (upsert into
  ``raw.edgar_filings`` with its primary key) on a fresh in-memory database;
* ceiling A: DuckDB ``read_csv`` of the same file into a plain table (no key), the fastest this
  machine turns the file into rows;
* ceiling B: DuckDB ``read_csv`` into a table with the same primary key and accession extraction
  (the same end state as ours, without the line-level error reporting).

Run: ``.venv/bin/python benchmarks/edgar_parse.py [--lines 400000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rotation.db import migrate  # noqa: E402
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


def ours(path: Path) -> int:
    con = duckdb.connect()
    migrate(con)
    parsed = parse_index(path.read_bytes(), "master.2020QTR1.idx")
    frame = parsed.rows.assign(source="bench")
    load_edgar(con, frame, "bench", dt.datetime.now(dt.UTC))
    n = con.execute("select count(*) from raw.edgar_filings").fetchone()[0]
    con.close()
    return n


def _read_csv(path: Path, skip: int) -> str:
    return (
        f"read_csv('{path}', delim='|', header=false, skip={skip}, quote='', "
        "columns={'cik': 'bigint', 'company_name': 'varchar', 'form_type': 'varchar', "
        "'date_filed': 'date', 'file_name': 'varchar'})"
    )  # benchmark-only SQL: a temp path of our own, not user input


def ceiling_plain(path: Path, skip: int) -> int:
    con = duckdb.connect()
    con.execute(f"create table t as select * from {_read_csv(path, skip)}")
    n = con.execute("select count(*) from t").fetchone()[0]
    con.close()
    return n


def ceiling_keyed(path: Path, skip: int) -> int:
    con = duckdb.connect()
    con.execute(
        "create table t (accession varchar, cik bigint, company_name varchar, form_type varchar,"
        " date_filed date, file_name varchar, primary key (accession, cik))"
    )
    con.execute(
        "insert into t select regexp_extract(file_name, '(\\d{10}-\\d{2}-\\d{6})\\.txt$', 1), "
        f"cik, company_name, form_type, date_filed, file_name from {_read_csv(path, skip)}"
    )
    n = con.execute("select count(*) from t").fetchone()[0]
    con.close()
    return n


def best(fn, repeat: int) -> tuple[float, int]:
    times, n = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        n = fn()
        times.append(time.perf_counter() - started)
    return min(times), n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=400_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"real data folder {DATA} is absent; the benchmark synthesises from it")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "master.idx"
        skip = synthesise(path, args.lines)
        size_mb = path.stat().st_size / 1e6
        t_ours, n_ours = best(lambda: ours(path), args.repeat)
        t_plain, n_plain = best(lambda: ceiling_plain(path, skip), args.repeat)
        t_keyed, n_keyed = best(lambda: ceiling_keyed(path, skip), args.repeat)
    assert n_ours == n_plain == n_keyed == args.lines, (n_ours, n_plain, n_keyed)
    print(f"file: {args.lines:,} lines, {size_mb:.1f} MB; best of {args.repeat}")
    for label, t in (
        ("ours: parse_index + load_edgar (keyed upsert)", t_ours),
        ("ceiling A: duckdb read_csv -> plain table", t_plain),
        ("ceiling B: duckdb read_csv -> keyed table", t_keyed),
    ):
        print(f"  {label:48s} {t:6.2f} s  {args.lines / t:>10,.0f} lines/s")
    print(f"ratio ours / ceiling A: {t_plain / t_ours:.2f}  (target >= 0.5)")
    print(f"ratio ours / ceiling B: {t_keyed / t_ours:.2f}")


if __name__ == "__main__":
    main()
