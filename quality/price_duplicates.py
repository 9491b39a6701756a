"""One row per (symbol, date): a duplicated date keeps the row its neighbours agree with.

A vendor (or a file stitched from two downloads) can carry one session twice. Quarantining
both rows, as a uniqueness check alone does, loses a good close and leaves a hole the
completeness check then reports. The neighbours decide instead: the close of the nearest
session before and after (their median when both exist) is the reference, the duplicate
closest to it (in log terms) is kept and the others go to quarantine with the reason, the
kept close and the reference, so nothing is lost. Repeats with the same values keep the first.
A date with no neighbour in the batch cannot be judged: its repeats are all quarantined, as
before, rather than guessed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEY = ["symbol", "date"]
VALUES = ["open", "high", "low", "close", "adj_close", "volume"]


def resolve_duplicates(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(``frame`` with one row per key where it could be judged, the rows taken out with a
    ``reason`` column). Rows of dates without duplicates are untouched and keep their order."""
    dup = frame.duplicated(KEY, keep=False)
    if not dup.any():
        return frame, frame.iloc[0:0].assign(reason=pd.Series(dtype=object))
    out: dict[int, str] = {}
    for symbol, rows in frame.groupby("symbol", sort=False):
        single = rows[~rows.duplicated("date", keep=False)].sort_values("date")
        for date, group in rows[dup[rows.index]].groupby("date", sort=True):
            out.update(_judge(str(symbol), pd.Timestamp(date), group, single))
    taken = frame.loc[list(out)].copy()
    taken["reason"] = [out[i] for i in taken.index]
    return frame.drop(index=list(out)), taken


def _judge(
    symbol: str, date: pd.Timestamp, group: pd.DataFrame, single: pd.DataFrame
) -> dict[int, str]:
    """Reasons for the rows of ``group`` (one symbol, one date) that do not stay."""
    label = f"duplicate (symbol, date): {symbol} {date:%Y-%m-%d} appears {len(group)} times"
    cols = [c for c in VALUES if c in group.columns]
    if len(group[cols].drop_duplicates()) == 1:
        return {int(i): f"{label} with the same values; the first is kept" for i in group.index[1:]}
    before = single[single["date"] < date]["close"].tail(1)
    after = single[single["date"] > date]["close"].head(1)
    around = pd.concat([before, after]).dropna()
    around = around[around > 0]
    if around.empty:
        return {
            int(i): f"{label} with different values and no neighbour to judge by"
            for i in group.index
        }
    reference = float(np.median(around.to_numpy()))
    close = pd.to_numeric(group["close"], errors="coerce")
    distance = np.abs(np.log(close.where(close > 0) / reference)).fillna(np.inf)
    kept = distance.idxmin()
    return {
        int(i): (
            f"{label}: close {close[i]:g} disagrees with its neighbours ({reference:g}); "
            f"close {close[kept]:g} is kept"
        )
        for i in group.index
        if i != kept
    }
