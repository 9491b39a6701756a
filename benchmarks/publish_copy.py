"""The cost of publishing the read-only copy: a byte copy (the writer's own storage format,
v69, DuckDB 2.x only) against ``COPY FROM DATABASE`` into an older storage version (the
default ``v1.0.0``, which the DuckDB 1.x line opens), on a real database.

The source is copied once into a temporary folder (``publish_copy`` checkpoints its source, so
the database given is never opened read-write), then each variant is timed ``--repeat`` times
(best and median) and the resulting file size is shown. Run after ``make demo``:

    .venv/bin/python benchmarks/publish_copy.py [--db data/rotation.duckdb] [--repeat 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rotation.db import publish_copy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="data/rotation.duckdb")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--versions", default=",v1.0.0,v1.4.0", help="comma-separated; empty = byte copy"
    )
    args = parser.parse_args()
    source = Path(args.db)
    if not source.exists():
        print(f"error: {source} does not exist: run `make demo` first", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as folder:
        working = Path(folder) / "rotation.duckdb"
        shutil.copyfile(source, working)
        print(f"source {source}: {working.stat().st_size / 1e6:.1f} MB, repeat {args.repeat}")
        for version in args.versions.split(","):
            target = Path(folder) / f"published-{version or 'bytes'}.duckdb"
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                publish_copy(working, target, version)
                times.append(time.perf_counter() - started)
            label = version or "byte copy (v69)"
            print(
                f"{label:>16}: best {min(times):.3f} s, median {statistics.median(times):.3f} s,"
                f" {target.stat().st_size / 1e6:.1f} MB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
