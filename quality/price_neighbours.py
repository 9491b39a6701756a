"""Judging a price against a consensus of its neighbours, never against one reference row.

A check that compares each row with the row before it trusts that row. When the odd value is
the reference (the first row of a load, a row on another basis near the end), such a check
quarantines the good rows and stores the bad one. Both judgements here look at the whole
series of a symbol instead:

* **Closes** (``judge_closes``). The series is cut into *levels* wherever a day's move is
  beyond the symbol's limit (after what the vendor's split or dividend on that day explains).
  A short level that the series comes back from is a bad value (a spike, whatever its length
  up to ``SPIKE_MAX_ROWS``); a short first level followed by a much longer one is a bad start;
  what remains is a *level shift*: every row from it on is held until a later download
  confirms it or corrects it. Confirmation takes new evidence, not the same bytes again: the
  same first close on the same day, seen in an earlier run's quarantine, *and* a session after
  the last one any earlier run held (the vendor has published more of the new level since).
  A re-run of the same download (a same-day retry, a replay read twice) shows nothing new and
  keeps the shift held, so it cannot be "confirmed" by itself and flip-flop.
  The reference level is the stored history when there is one, else the first
  level of the batch.
* **Adjustment basis** (``odd_basis_rows``). For Yahoo's ``raw`` rows the factor
  ``adj_close / close`` never falls as time goes on (a dividend lowers the factor of earlier
  rows only). The rows to keep are the longest run (in time order, not necessarily adjacent)
  whose factors never fall: the basis most rows agree on. The others are on another basis.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

SPIKE_MAX_ROWS = 5  # a level this short that the series returns from is a bad value
EDGE_ODD_MAX_ROWS = 3  # a first level this short ...
EDGE_ODD_MIN_RATIO = 3  # ... followed by one this many times longer is a bad start
CONFIRM_TOLERANCE = 0.02  # an earlier held close within 2% of today's confirms the shift ...
# ... when the batch also reaches a session after the last one held (see the module docstring)


@dataclass(frozen=True)
class LevelShift:
    """A lasting move with nothing to explain it, from ``index`` on (batch row positions)."""

    index: int
    date: dt.date
    reference_close: float
    close: float
    confirmed: bool

    @property
    def move(self) -> float:
        return self.close / self.reference_close - 1


@dataclass
class CloseJudgement:
    """Per batch row: a bad value (with its deviation from its neighbours), or held."""

    outlier_move: np.ndarray  # |close / neighbours' level - 1| for bad values, NaN otherwise
    held: np.ndarray  # bool: from an unconfirmed level shift on
    shifts: list[LevelShift] = field(default_factory=list)


def _levels(keep: np.ndarray, moves: np.ndarray, limit: float) -> list[list[int]]:
    """Positions of ``keep`` rows grouped into levels, cut where a move is beyond ``limit``."""
    levels: list[list[int]] = []
    for pos in np.flatnonzero(keep):
        if levels and not moves[pos] > limit:
            levels[-1].append(int(pos))
        else:
            levels.append([int(pos)])
    return levels


def _explained_moves(
    ratio: np.ndarray, previous: np.ndarray, dividend: np.ndarray, split: np.ndarray
) -> np.ndarray:
    """|ratio / explanation - 1| for the explanation that fits best: none, the dividend (a raw
    close drops by it), the split (a close not split-adjusted falls by its ratio), or both."""
    best = np.abs(ratio - 1)
    after_dividend = np.where(previous > 0, 1 - dividend / previous, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        for factor in (after_dividend, 1 / split, after_dividend / split):
            fits = np.where(np.isfinite(factor) & (factor > 0), np.abs(ratio / factor - 1), np.inf)
            best = np.minimum(best, fits)
    return best


def judge_closes(
    closes: np.ndarray,
    dates: Sequence[dt.date],
    dividends: np.ndarray,
    splits: np.ndarray,
    limit: float,
    stored: Sequence[float] = (),
    held_before: Sequence[tuple[dt.date, float]] = (),
    corroborated: np.ndarray | None = None,
) -> CloseJudgement:
    """Judge a symbol's batch closes (positive, in date order) against their neighbours.

    ``dividends`` and ``splits`` are the vendor's actions per row (0 when none): a move they
    explain is no jump. ``stored`` are the stored closes just before the batch (oldest first,
    same adjustment): they are the trusted reference and never judged. ``held_before`` are
    (date, close) of rows an earlier run held as part of a shift: a shift is confirmed when one
    of them is its first row, same day and close, and the batch reaches a later session than
    any of them (a download with something new). ``corroborated`` (per batch
    row, for single stocks) marks rows whose move a second series agrees on (the adjusted
    close moved as the raw close did): a lasting shift there is real news (a buy-out, a failed
    trial) and is confirmed at once instead of held; a move that reverts is still a spike.
    """
    n_stored = len(stored)
    values = np.concatenate([np.asarray(stored, dtype=float), np.asarray(closes, dtype=float)])
    dividend = np.concatenate([np.zeros(n_stored), np.asarray(dividends, dtype=float)])
    split = np.concatenate([np.zeros(n_stored), np.asarray(splits, dtype=float)])
    batch_splits = split[n_stored:][(split[n_stored:] > 0) & (split[n_stored:] != 1)]
    if n_stored and len(batch_splits) and len(split) > n_stored and split[n_stored] == 0:
        # Stored closes were fetched before a split inside the batch; the vendor's closes are
        # split-adjusted, so the whole batch sits at the new level from its first row.
        split[n_stored] = float(np.prod(batch_splits))
    bad = np.zeros(len(values), dtype=bool)
    deviation = np.full(len(values), np.nan)

    def moves_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _explained_moves(values[b] / values[a], values[a], dividend[b], split[b])

    def move_between(a: int, b: int) -> float:
        return float(moves_between(np.array([a]), np.array([b]))[0])

    changed = True
    while changed:
        changed = False
        keep = ~bad
        kept = np.flatnonzero(keep)
        moves = np.full(len(values), np.nan)
        moves[kept[1:]] = moves_between(kept[:-1], kept[1:])
        levels = _levels(keep, moves, limit)
        i = 1
        while i < len(levels) - 1:
            level = levels[i]
            before, after = levels[i - 1][-1], levels[i + 1][0]
            if (
                len(level) <= SPIKE_MAX_ROWS
                and level[0] >= n_stored
                and move_between(before, after) <= limit  # the series comes back: bad values
            ):
                for pos in level:
                    bad[pos], deviation[pos] = True, abs(values[pos] / values[before] - 1)
                changed = True
                i += 2  # the next level's neighbour just changed: judge it in the next pass
            else:
                i += 1
        if changed or len(levels) < 2:
            continue
        first, second = levels[0], levels[1]
        if (
            first[0] >= n_stored
            and len(first) <= EDGE_ODD_MAX_ROWS
            and len(second) >= EDGE_ODD_MIN_RATIO * len(first)
        ):
            for pos in first:
                bad[pos], deviation[pos] = True, abs(values[pos] / values[second[0]] - 1)
            changed = True

    judgement = CloseJudgement(deviation[n_stored:], np.zeros(len(closes), dtype=bool))
    kept = np.flatnonzero(~bad)
    starts, ends = kept[:-1], kept[1:]
    jumps = np.flatnonzero((moves_between(starts, ends) > limit) & (ends >= n_stored))
    last_held = max((day for day, _ in held_before), default=None)
    newer = last_held is not None and len(dates) > 0 and max(dates) > last_held
    for a, b in ((int(starts[j]), int(ends[j])) for j in jumps):
        row = b - n_stored
        confirmed = (
            newer
            and any(
                day == dates[row] and abs(close / values[b] - 1) <= CONFIRM_TOLERANCE
                for day, close in held_before
            )
        ) or (corroborated is not None and bool(corroborated[row]))
        shift = LevelShift(row, dates[row], float(values[a]), float(values[b]), confirmed)
        judgement.shifts.append(shift)
        if not confirmed:
            judgement.held[row:] = True
            break
    return judgement


def _longest_non_decreasing(keys: Sequence[int]) -> np.ndarray:
    """Mask of one longest non-decreasing subsequence of ``keys`` (patience sorting)."""
    tails: list[int] = []
    tail_at: list[int] = []
    previous = [-1] * len(keys)
    for i, key in enumerate(keys):
        pos = bisect_right(tails, key)
        if pos == len(tails):
            tails.append(key)
            tail_at.append(i)
        else:
            tails[pos], tail_at[pos] = key, i
        previous[i] = tail_at[pos - 1] if pos else -1
    mask = np.zeros(len(keys), dtype=bool)
    i = tail_at[-1] if tail_at else -1
    while i >= 0:
        mask[i] = True
        i = previous[i]
    return mask


def odd_basis_rows(factors: np.ndarray, tolerance: float) -> np.ndarray:
    """Per row (time order): how far its factor stands from the consensus basis (0 if on it).

    Factors within ``tolerance`` of each other count as equal (vendors round adjusted closes),
    so rounding noise never looks like a falling factor.
    """
    out = np.zeros(len(factors))
    if len(factors) == 0:
        return out
    order = np.sort(np.unique(factors))
    cluster = np.concatenate([[0], np.cumsum(order[1:] / order[:-1] - 1 > tolerance)])
    keys = cluster[np.searchsorted(order, factors)].tolist()
    on_basis = _longest_non_decreasing(keys)
    kept = np.flatnonzero(on_basis)
    for pos in np.flatnonzero(~on_basis):
        after = kept[kept > pos]
        reference = factors[after[0]] if len(after) else factors[kept[kept < pos][-1]]
        out[pos] = abs(factors[pos] / reference - 1)
    return out
