"""Judging the seam between a new price download and the stored history (pure, no I/O).

Yahoo's adjusted close is relative to the day it was downloaded, so a new download and the
stored rows usually disagree by a constant ratio over the sessions both hold: a clean basis
change, and the stored rows are re-based by it. When the ratio *steps*, one side mixes bases
(``../shared/data/prices/stitched-2026-02-23`` was stitched from downloads on different
bases). Assuming it is always the stored side re-bases nothing and leaves a false move at the
seam; this module finds out which side broke instead: at each step, the side whose day-to-day
adjusted return departs from what the raw closes and the vendor's actions say broke there: a
consistent adjusted series moves as its raw close, plus the dividend on an ex-dividend day
(seen in the vendor's actions, or as the raw side's factor adj/close rising that day; a
factor that falls is that side mixing bases).

A ratio that departs for one or two sessions and comes back is a value the two downloads
disagree on (stitched ^VIX on 2025-09-08), not a basis: it is reported, and the batch's value
is loaded. So is a departure of the last one or two common sessions alone: the vendor
corrected its latest bars (a stored bar taken before the close, a late revision).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

BASIS_TOLERANCE = 1e-6  # a ratio closer to 1 than this is the same basis (float rounding)
STEP_TOLERANCE = 5e-4  # a ratio change beyond this is a basis step (dividends are >= ~0.1%)
BLIP_MAX_ROWS = 2  # a departure this short that comes back is a value disagreement

SAME_BASIS = "same_basis"
BASIS_CHANGE = "basis_change"
STORED_MIXED = "stored_mixed"
BATCH_MIXED = "batch_mixed"
UNDECIDED = "undecided"


@dataclass
class SeamJudgement:
    """What the overlap of one symbol says, and which basis each stored or new row moves to."""

    symbol: str
    overlap_rows: int
    decision: str
    run_starts: list[dt.date]  # first common session of each stretch on one basis
    run_ratios: list[float]  # new/stored adjusted close over that stretch
    steps: list[dict[str, Any]] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)  # sessions of value disagreements
    spread: float = 0.0

    @property
    def factor(self) -> float:
        """The latest ratio: the basis the stored history ends up on."""
        return self.run_ratios[-1]

    @property
    def stored_breaks(self) -> int:
        return sum(step["broke"] == "stored" for step in self.steps)

    @property
    def batch_breaks(self) -> int:
        return sum(step["broke"] == "batch" for step in self.steps)

    def _run_of(self, dates: pd.Series) -> np.ndarray:
        starts = pd.to_datetime(pd.Series(self.run_starts)).to_numpy()
        at = np.searchsorted(starts, pd.to_datetime(dates).to_numpy(), side="right") - 1
        return np.clip(at, 0, len(starts) - 1)

    def stored_factors(self, dates: pd.Series) -> np.ndarray:
        """Multiplier for stored rows the batch does not replace, by their date.

        A stored row is on the basis of the stretch it sits in (the nearest earlier common
        session's; the first stretch's before the overlap). When only the batch broke, the
        stored side is on one basis and all of it moves to the latest ratio.
        """
        if self.decision == BATCH_MIXED:
            return np.full(len(dates), self.factor)
        return np.asarray(self.run_ratios)[self._run_of(dates)]

    def batch_factors(self, dates: pd.Series) -> np.ndarray:
        """Multiplier for the batch's adjusted closes: 1, except when the batch broke, where
        each older stretch is brought onto the batch's latest basis in the overlap."""
        if self.decision != BATCH_MIXED:
            return np.ones(len(dates))
        ratios = np.asarray(self.run_ratios)[self._run_of(dates)]
        factors = self.factor / ratios
        last_common = pd.Timestamp(self.run_starts[-1])
        factors[(pd.to_datetime(dates) >= last_common).to_numpy()] = 1.0
        return factors

    def evidence(self) -> dict[str, Any]:
        return {
            "runs": [
                {"from": d.isoformat(), "ratio": r}
                for d, r in zip(self.run_starts, self.run_ratios, strict=True)
            ],
            "steps": self.steps,
            "value_disagreements": self.disagreements,
            "spread": self.spread,
        }


def _runs(ratio: np.ndarray) -> list[list[int]]:
    """Positions grouped into stretches of one ratio; short departures that come back are
    dropped (a value disagreement) and the stretches around them joined."""
    runs: list[list[int]] = []
    for pos in range(len(ratio)):
        if runs and abs(ratio[pos] / ratio[runs[-1][-1]] - 1) <= STEP_TOLERANCE:
            runs[-1].append(pos)
        else:
            runs.append([pos])
    merged: list[list[int]] = []
    i = 0
    while i < len(runs):
        run = runs[i]
        if (
            merged
            and i + 1 < len(runs)
            and len(run) <= BLIP_MAX_ROWS
            and abs(ratio[runs[i + 1][0]] / ratio[merged[-1][-1]] - 1) <= STEP_TOLERANCE
        ):
            merged[-1].extend(runs[i + 1])  # skip the blip, join the two sides
            i += 2
            continue
        merged.append(list(run))
        i += 1
    if len(merged) > 1 and len(merged[-1]) <= BLIP_MAX_ROWS:
        # The last one or two common sessions departing alone: the vendor corrected its latest
        # bars (a stored bar taken before the close, a late revision), not a new basis.
        merged.pop()
    return merged


def _expected_return(row: pd.Series, prev: pd.Series) -> tuple[float | None, str | None]:
    """The adjusted return a consistent series has on ``row``'s day, from raw closes.

    Returns (expected return, the side that broke by itself). A side that delivered raw
    closes on both days gives the close-to-close return; its factor adj/close may rise on the
    day (the vendor recorded a dividend: the adjusted return credits it) but never fall (a
    falling factor is that side mixing bases). When both sides are raw, the larger rise is the
    evidence (one download may predate the dividend). A dividend in the vendor's actions is
    credited directly. None when neither side has raw closes.
    """
    jumps: dict[str, tuple[float, float]] = {}
    for side, name in (("old", "stored"), ("new", "batch")):
        if row[f"{side}_adjustment"] != "raw" or prev[f"{side}_adjustment"] != "raw":
            continue
        close_return = float(row[f"{side}_close"] / prev[f"{side}_close"])
        jump = float((row[f"{side}_adj"] / row[f"{side}_close"]) /
                     (prev[f"{side}_adj"] / prev[f"{side}_close"]))  # fmt: skip
        if jump < 1 - STEP_TOLERANCE:
            return None, name
        jumps[name] = (close_return, jump)
    if not jumps:
        return None, None
    close_return, jump = max(jumps.values(), key=lambda pair: pair[1])
    dividend = float(row.get("new_dividends") or 0.0)
    if dividend > 0:
        side = "old" if "stored" in jumps else "new"
        return (float(row[f"{side}_close"]) + dividend) / float(prev[f"{side}_close"]), None
    return close_return * jump, None


def judge_seam(symbol: str, overlap: pd.DataFrame) -> SeamJudgement:
    """Judge one symbol's overlap (``sql/load/price_rebase_factors.sql`` rows, date order)."""
    ratio = (overlap["new_adj"] / overlap["old_adj"]).to_numpy(dtype=float)
    dates = [pd.Timestamp(d).date() for d in overlap["date"]]
    runs = _runs(ratio)
    in_runs = {pos for run in runs for pos in run}
    judgement = SeamJudgement(
        symbol,
        len(overlap),
        SAME_BASIS,
        [dates[run[0]] for run in runs],
        [float(np.median(ratio[run])) for run in runs],
        disagreements=[dates[p].isoformat() for p in range(len(dates)) if p not in in_runs],
        spread=float(ratio.max() / ratio.min() - 1),
    )
    if len(runs) == 1:
        if abs(judgement.factor - 1) > BASIS_TOLERANCE:
            judgement.decision = BASIS_CHANGE
        return judgement
    for before, after in pairwise(runs):
        prev, row = overlap.iloc[before[-1]], overlap.iloc[after[0]]
        batch_return = float(row["new_adj"] / prev["new_adj"])
        stored_return = float(row["old_adj"] / prev["old_adj"])
        expected, broke_itself = _expected_return(row, prev)
        broke = broke_itself or "unknown"
        if expected is not None:
            batch_off = abs(batch_return / expected - 1)
            stored_off = abs(stored_return / expected - 1)
            if abs(batch_off - stored_off) > STEP_TOLERANCE / 2:
                broke = "batch" if batch_off > stored_off else "stored"
        judgement.steps.append(
            {
                "date": dates[after[0]].isoformat(),
                "ratio_before": float(np.median(ratio[before])),
                "ratio_after": float(np.median(ratio[after])),
                "batch_return": batch_return - 1,
                "stored_return": stored_return - 1,
                "expected_return": None if expected is None else expected - 1,
                "broke": broke,
            }
        )
    breaks = {step["broke"] for step in judgement.steps}
    if breaks == {"stored"}:
        judgement.decision = STORED_MIXED
    elif breaks == {"batch"}:
        judgement.decision = BATCH_MIXED
    else:
        judgement.decision = UNDECIDED
    return judgement
