"""Price suite speed: the derived columns (bar shape, neighbour judgement, basis, volume) that
every price batch gets before Great Expectations runs.

Times ``quality.prices.with_derived_columns``, best of ``--repeat`` runs, on:

* the whole ``yahoo-csv-2025-09-26`` snapshot (5 symbols, 54,845 rows back to 1927: what a
  first run or a backfill validates), clean and with ``--spikes`` random rows tripled (the
  neighbour judgement's passes grow with the number of bad values);
* a daily batch: the last 10 sessions of each symbol, judged against the 20 stored closes
  before them (what every scheduled run validates).

The Great Expectations run itself is not timed (its import alone is ~7 s; see STACK.md).
Needs ``../shared/data`` beside the repository.

Run: ``.venv/bin/python benchmarks/price_suite.py [--repeat 3] [--spikes 500]``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from quality.prices import PriceRules, with_derived_columns
from rotation.records import Before
from sources.price_csv import parse_price_csv
from sources.prices import concat_price_frames

SNAPSHOT = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "prices" / "yahoo-csv-2025-09-26"
)
RULES = PriceRules(0.25, {"^VIX": 3.0})


def best_of(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--spikes", type=int, default=500)
    args = parser.parse_args()

    frame = concat_price_frames(
        [
            parse_price_csv(p.read_bytes(), p.stem, origin=str(p))
            for p in sorted(SNAPSHOT.glob("*.csv"))
        ]
    )
    with_derived_columns(frame.head(50), RULES)  # warm the NYSE calendar cache

    spiked = frame.copy()
    rows = np.random.default_rng(20261129).choice(len(spiked), args.spikes, replace=False)
    for column in ("open", "high", "low", "close", "adj_close"):
        spiked.loc[rows, column] = spiked.loc[rows, column] * 3

    daily_parts, before = [], {}
    for symbol, group in frame.dropna(subset=["close"]).groupby("symbol"):
        daily_parts.append(group.tail(10))
        earlier = group.iloc[-30:-10]
        before[str(symbol)] = Before(
            float(earlier["close"].iloc[-1]), "raw", tuple(earlier["volume"]),
            tuple(earlier["close"]),
        )  # fmt: skip
    daily = pd.concat(daily_parts, ignore_index=True)

    cases = {
        f"whole snapshot, {len(frame):,} rows": lambda: with_derived_columns(frame, RULES),
        f"whole snapshot, {args.spikes} rows tripled": lambda: with_derived_columns(spiked, RULES),
        f"daily batch, {len(daily)} rows + stored context": lambda: with_derived_columns(
            daily, RULES, before
        ),
    }
    for name, work in cases.items():
        print(f"{name:<48} {best_of(args.repeat, work) * 1000:8.0f} ms (best of {args.repeat})")


if __name__ == "__main__":
    main()
