"""The price batch suite: what a row of daily prices must satisfy before it is loaded.

Some checks compare a row with its neighbours (the daily move, the adjustment basis, the
price range, the last bar's volume). GX row-level expectations see one row at a time, so those
comparisons are computed here as derived columns first, then checked by ordinary
expectations, which keeps every rule visible in one suite and every failing row reported with
its reason. A neighbour comparison never trusts one reference row: see
``quality.price_neighbours`` (the odd row is the one quarantined, first, middle or last).

Rules and why:
- close/adj_close/open/high/low present and positive; high >= max(open, close),
  low <= min(open, close), low <= high (relative tolerance 1e-6); volume >= 0 (an index's
  volume of 0 is fine) and at most ``MAX_VOLUME``: the shape of a daily bar.
- (symbol, date) unique; the date is an NYSE session (from 1970, see rotation.calendar):
  the ^VIX file of 2025-09-26 has 323 ``null`` rows on holidays.
- daily move within a bound per asset class (indices and funds 25% by default, 300% for ^VIX;
  single stocks, the index members, 60%), judged against the level of the neighbouring
  sessions: a short excursion the series comes back from, or a short first stretch followed by
  a much longer one at another level, is a bad value.
- a single stock's lasting move beyond its bound loads at once when the raw and adjusted closes
  agree on it (a small biotech losing 70% in a day, a buy-out jumping 100%); when they disagree
  (one series moved, the other did not) it is held like an index's level shift.
- a lasting level shift (every price halved from one day on) that no split or dividend of the
  vendor's explains holds that symbol's rows from the shift on (quarantined, and an incident)
  until a later download shows the same shift (confirmed: it loads) or not (corrected).
- high and low within ``RANGE_BOUND_MOVES`` daily-move limits of the row's close, which is
  itself judged against its neighbours: a fat-fingered high or low that the close checks
  cannot see (IWB on 2010-05-06, the flash crash: low 25.00 under a close of 62.40).
- adjusted vs raw close: for ``raw`` rows the factor adj_close/close never falls as time goes
  on (dividends only lower the factor of *earlier* rows). The rows on the basis most rows
  agree on (the longest run whose factors never fall) are kept; the others were adjusted on
  another basis (broken-adj-2022-11-18: ``Adj Close`` equal to ``Close`` on ~145 rows).
- the last bar is not intraday, judged from what is known. When the batch says when it was
  fetched (``fetched_at``: a live download, or a recording that knows its time), a bar of a
  session that had closed (plus ``SETTLE_MARGIN``) by then is complete, whatever its volume
  (a thin small cap trades a tenth of its median on a quiet day, and the volume rule alone
  quarantined ~40 to over a hundred complete member bars a session); a bar of a session still
  open then is intraday. Only when nobody knows the fetch time (a folder of old CSVs) does the
  volume speak: a last bar under 50% of the previous 20 sessions' median (20% on an
  early-close session) was downloaded before the close (yahoo-csv-2025-09-26: IWM 240.23 on
  36% of the usual volume, final 241.34; SPY on 43%; IWB on 16%). The trailing re-fetch of the
  next run replaces it with the final bar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from quality.price_duplicates import resolve_duplicates
from quality.price_neighbours import LevelShift, judge_closes, odd_basis_rows
from quality.suite import (
    ROW_ID,
    BatchVerdict,
    Check,
    missing_columns_verdict,
    run_suite,
    split_batch,
)
from rotation import calendar
from rotation.incidents import Incident
from rotation.records import PRICE_COLUMNS, Before

ADJ_FACTOR_TOLERANCE = 1e-4  # vendors round adjusted closes to ~6 significant digits
BAR_TOLERANCE = 1e-6  # auto-adjusted bars carry float32 noise: high == close to ~1e-8
LAST_BAR_MIN_VOLUME_RATIO = 0.5
# The largest real daily volume in ../shared/data is ^GSPC's 1.1e10 (an index's volume sums
# its members'); a thousand times that is a corrupted number, never a session (1e30 was stored)
MAX_VOLUME = 1e13
# A session's bar is final this long after its close (Yahoo's settles by 16:15 ET).
SETTLE_MARGIN = dt.timedelta(minutes=15)
EARLY_CLOSE_MIN_VOLUME_RATIO = 0.2  # half-day sessions trade about half the usual volume
RANGE_BOUND_MOVES = 2.0  # high/low may stand this many daily-move limits from the close
LEVEL_SHIFT = "level_shift"  # the incident kind of a held level shift
ROWS_QUARANTINED = "rows_quarantined"  # the incident kind of a symbol's other quarantined rows


AGREE_TOLERANCE = 0.01  # raw and adjusted daily moves this close (after a dividend) agree

INDEX, FUND, STOCK = "index", "fund", "stock"


@dataclass(frozen=True)
class PriceRules:
    """Plausibility bounds per asset class: indices (``^`` symbols) and funds use
    ``max_daily_move``, single stocks (``stocks``, the index members) ``stock_max_daily_move``;
    a per-symbol override wins over both."""

    max_daily_move: float = 0.25
    max_daily_move_overrides: Mapping[str, float] | None = None
    stock_max_daily_move: float = 0.6
    stocks: frozenset[str] = frozenset()

    def asset_class(self, symbol: str) -> str:
        if symbol.startswith("^"):
            return INDEX
        return STOCK if symbol in self.stocks else FUND

    def move_limit(self, symbol: str) -> float:
        overrides = self.max_daily_move_overrides or {}
        if symbol in overrides:
            return overrides[symbol]
        if self.asset_class(symbol) == STOCK:
            return self.stock_max_daily_move
        return self.max_daily_move


def corroborated_moves(rows: pd.DataFrame) -> np.ndarray:
    """Per row (one symbol, date order): the raw and adjusted closes agree on the day's move.

    Only ``raw`` rows carry two series; the adjusted move should equal the raw one except for
    a dividend (the raw close drops by it, the adjusted does not). The first row has no move
    within the batch and is not corroborated (a stored row's adjusted close may be on another
    basis), so a shift on it waits for the next download like any other.
    """
    close = rows["close"].to_numpy(dtype=float)
    adj = rows["adj_close"].to_numpy(dtype=float)
    out = np.zeros(len(rows), dtype=bool)
    if len(rows) < 2:
        return out
    dividend = rows["dividends"].fillna(0).to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw_move = close[1:] / close[:-1]
        adjusted_move = adj[1:] / adj[:-1] * (1 - dividend[1:] / close[:-1])
        agree = np.abs(raw_move / adjusted_move - 1) <= AGREE_TOLERANCE
    is_raw = rows["adjustment"].eq("raw").to_numpy()
    out[1:] = agree & is_raw[1:] & is_raw[:-1] & np.isfinite(raw_move)
    return out


def price_checks(columns: list[str]) -> list[Check]:
    """The suite as data: batch checks first, then row checks with their reasons."""
    checks = [
        Check(
            "ExpectTableColumnsToMatchSet",
            {"column_set": columns, "exact_match": False},
            f"batch is missing price columns (needs {', '.join(PRICE_COLUMNS)})",
            row_level=False,
        ),
        Check(
            "ExpectTableRowCountToBeBetween",
            {"min_value": 1},
            "batch is empty",
            row_level=False,
        ),
        Check("ExpectCompoundColumnsToBeUnique", {"column_list": ["symbol", "date"]},
              "duplicate (symbol, date)"),
    ]  # fmt: skip
    for column in ("close", "adj_close", "open", "high", "low"):
        checks.append(
            Check("ExpectColumnValuesToNotBeNull", {"column": column}, f"{column} is missing")
        )
        checks.append(
            Check(
                "ExpectColumnValuesToBeBetween",
                {"column": column, "min_value": 0, "strict_min": True},
                f"{column} is not positive",
            )
        )
    checks += [
        Check("ExpectColumnValuesToBeBetween",
              {"column": "high_shortfall", "max_value": BAR_TOLERANCE},
              "high below open or close"),
        Check("ExpectColumnValuesToBeBetween",
              {"column": "low_excess", "max_value": BAR_TOLERANCE},
              "low above open or close"),
    ]  # fmt: skip
    checks += [
        Check("ExpectColumnValuesToBeBetween",
              {"column": "low_over_high", "max_value": BAR_TOLERANCE}, "low above high"),
        Check("ExpectColumnValuesToBeBetween", {"column": "volume", "min_value": 0},
              "volume is negative"),
        Check("ExpectColumnValuesToBeBetween", {"column": "volume_vs_bound", "max_value": 1.0},
              f"volume beyond any real session's (bound {MAX_VOLUME:g})"),
        Check("ExpectColumnValuesToBeBetween", {"column": "range_vs_bound", "max_value": 1.0},
              "price outside a sane bound of the symbol's recent range"),
        Check("ExpectColumnValuesToBeInSet",
              {"column": "level_shift_held", "value_set": [False]},
              "level shift held", reason_column="level_shift_reason"),
    ]  # fmt: skip
    checks += [
        Check("ExpectColumnValuesToBeInSet", {"column": "is_session", "value_set": [True]},
              "date is not an NYSE session"),
        Check("ExpectColumnValuesToBeBetween", {"column": "move_vs_limit", "max_value": 1.0},
              "implausible daily move"),
        Check("ExpectColumnValuesToBeBetween",
              {"column": "adj_factor_excess", "max_value": ADJ_FACTOR_TOLERANCE},
              "adjusted close on another adjustment basis than most rows"),
        Check("ExpectColumnValuesToBeBetween",
              {"column": "last_bar_volume_ratio", "min_value": LAST_BAR_MIN_VOLUME_RATIO},
              "last bar looks intraday (volume far below the 20-session median)"),
        Check("ExpectColumnValuesToBeInSet", {"column": "last_bar_forming", "value_set": [False]},
              "last bar is intraday (fetched before its session closed)"),
    ]  # fmt: skip
    return checks


def _judge_group(
    group: pd.DataFrame, limit: float, prev: Before | None, stock: bool = False
) -> tuple[pd.DataFrame, list[LevelShift]]:
    """The neighbour-based columns of one symbol's rows (``group`` sorted by date)."""
    out = pd.DataFrame(
        {
            "move_vs_limit": np.nan,
            "level_shift_held": False,
            "level_shift_reason": "",
            "adj_factor_excess": np.nan,
            "range_vs_bound": np.nan,
        },
        index=group.index,
    )
    valid = group.index[(group["close"] > 0).fillna(False)]
    if len(valid):
        rows = group.loc[valid]
        stored: tuple[float, ...] = ()
        held: tuple[tuple[dt.date, float], ...] = ()
        if prev is not None and rows["adjustment"].iloc[0] == prev.adjustment:
            stored = prev.closes or (prev.close,)  # only compare like with like (raw with raw)
            held = prev.held
        dates = [d.date() for d in pd.to_datetime(rows["date"])]
        judged = judge_closes(
            rows["close"].to_numpy(dtype=float),
            dates,
            rows["dividends"].fillna(0).to_numpy(dtype=float),
            rows["splits"].fillna(0).to_numpy(dtype=float),
            limit,
            stored,
            held,
            corroborated_moves(rows) if stock else None,
        )
        out.loc[valid, "move_vs_limit"] = judged.outlier_move / limit
        out.loc[valid, "level_shift_held"] = judged.held
        held_shift = next((s for s in judged.shifts if not s.confirmed), None)
        if held_shift is not None:
            out.loc[valid[judged.held], "level_shift_reason"] = _held_reason(held_shift)
        top, bottom = rows["close"], rows["close"]
        if stock:
            # a stock that crashes or jumps during the session trades between the previous
            # close and its own: its range is judged against both (a -70% day opening at the
            # previous close has a high 3x its close)
            previous = rows["close"].shift(1).fillna(rows["close"])
            top, bottom = np.maximum(top, previous), np.minimum(bottom, previous)
        spread = np.maximum(rows["high"] / top, bottom / rows["low"]) - 1
        out.loc[valid, "range_vs_bound"] = spread / (RANGE_BOUND_MOVES * limit)
        shifts = judged.shifts
    else:
        shifts = []
    raw = group["adjustment"].eq("raw") & (group["close"] > 0) & (group["adj_close"] > 0)
    if raw.any():
        factors = (group.loc[raw, "adj_close"] / group.loc[raw, "close"]).to_numpy(dtype=float)
        out.loc[raw[raw].index, "adj_factor_excess"] = odd_basis_rows(factors, ADJ_FACTOR_TOLERANCE)
    return out, shifts


def _held_reason(shift: LevelShift) -> str:
    return (
        f"level shift from {shift.date} ({shift.move:+.1%}: close {shift.reference_close:g} "
        f"then {shift.close:g}) not explained by a split or dividend: held until a later "
        "download confirms it"
    )


def _last_bar_volume_ratio(group: pd.DataFrame, earlier: tuple[float, ...]) -> pd.Series:
    """Last bar's volume over the median of the 20 sessions before it (stored ones included)."""
    out = pd.Series(np.nan, index=group.index)
    volume = group["volume"].dropna()
    if volume.empty:
        return out
    before = np.concatenate([np.asarray(earlier, dtype=float), volume.to_numpy()[:-1]])[-20:]
    if len(before) < 20:
        return out  # not enough history to judge; the next run's re-fetch heals a bad bar
    median = float(np.median(before))
    if median > 0:
        last_date = pd.Timestamp(group.loc[volume.index[-1], "date"]).date()
        scale = 1.0
        if calendar.is_session(last_date) and calendar.session_close(last_date).hour < 16:
            scale = LAST_BAR_MIN_VOLUME_RATIO / EARLY_CLOSE_MIN_VOLUME_RATIO
        out[volume.index[-1]] = float(volume.iloc[-1]) / median * scale
    return out


def bar_final_after(day: dt.date) -> dt.datetime:
    """When the bar of session ``day`` is complete: its close (early closes too) plus the
    vendor's settle margin."""
    return calendar.session_close(day) + SETTLE_MARGIN


def _last_bar_forming(group: pd.DataFrame, fetched_at: dt.datetime) -> pd.Series:
    """True on the last bar when its session had not closed (plus the margin) at fetch time;
    a bar dated after the fetch day is forming too (a vendor's clock ahead of ours)."""
    out = pd.Series(False, index=group.index)
    if group.empty:
        return out
    last = group.index[-1]
    day = pd.Timestamp(group.loc[last, "date"]).date()
    fetched_day = fetched_at.astimezone(calendar.NEW_YORK).date()
    if day > fetched_day or (
        day == fetched_day and calendar.is_session(day) and fetched_at < bar_final_after(day)
    ):
        out[last] = True
    return out


@dataclass(frozen=True)
class HeldShift:
    """A level shift this batch holds back, and how many of the symbol's rows it holds."""

    symbol: str
    shift: LevelShift
    rows_held: int

    def incident(self) -> Incident:
        return Incident(
            "prices",
            self.symbol,
            LEVEL_SHIFT,
            f"{self.symbol} closes from {self.shift.date} on are {self.shift.move:+.1%} against "
            f"the sessions before ({self.shift.reference_close:g} then {self.shift.close:g}), "
            f"with no split or dividend to explain it: {self.rows_held} rows held in "
            "quarantine until a later download confirms or corrects them",
        )


def _derive(
    frame: pd.DataFrame,
    rules: PriceRules,
    before: Mapping[str, Before] | None,
    fetched_at: dt.datetime | None = None,
) -> tuple[pd.DataFrame, list[HeldShift]]:
    df = frame.reset_index(drop=True).copy()
    df[ROW_ID] = np.arange(len(df), dtype="int64")
    df["volume_vs_bound"] = pd.to_numeric(df["volume"], errors="coerce").abs() / MAX_VOLUME
    dates = pd.to_datetime(df["date"])
    checked = dates >= pd.Timestamp(calendar.RELIABLE_FROM)
    is_session = pd.Series(True, index=df.index)
    if checked.any():
        sessions = calendar.session_index(dates[checked].min().date(), dates[checked].max().date())
        is_session[checked] = dates[checked].isin(sessions)
    df["is_session"] = is_session
    low_side = np.minimum(df["open"], df["close"])
    df["high_shortfall"] = np.maximum(df["open"], df["close"]) / df["high"] - 1
    df["low_excess"] = df["low"] / low_side - 1
    df["low_over_high"] = df["low"] / df["high"] - 1
    neighbour_columns = {
        "move_vs_limit": np.nan, "level_shift_held": False, "level_shift_reason": "",
        "adj_factor_excess": np.nan, "range_vs_bound": np.nan,
    }  # fmt: skip
    for column, default in neighbour_columns.items():
        df[column] = default
    df["last_bar_volume_ratio"] = np.nan
    df["last_bar_forming"] = False
    held: list[HeldShift] = []
    order = df.sort_values(["symbol", "date"], kind="stable")
    # per-symbol results are gathered and written once: a .loc write per symbol copies the
    # whole frame each time, minutes for ~2,000 index members
    judged_parts: list[pd.DataFrame] = []
    last_parts: list[pd.Series] = []
    for symbol, group in order.groupby("symbol", sort=False):
        prev = (before or {}).get(str(symbol))
        judged, shifts = _judge_group(
            group, rules.move_limit(str(symbol)), prev, rules.asset_class(str(symbol)) == STOCK
        )
        judged_parts.append(judged[list(neighbour_columns)])
        held += [
            HeldShift(str(symbol), s, int(judged["level_shift_held"].sum()))
            for s in shifts
            if not s.confirmed
        ]
        if fetched_at is not None:  # known: the clock decides, never the volume
            last_parts.append(_last_bar_forming(group, fetched_at))
        else:
            last_parts.append(
                _last_bar_volume_ratio(group, prev.volumes if prev is not None else ())
            )
    if judged_parts:
        judged_all = pd.concat(judged_parts).reindex(df.index)
        for column in neighbour_columns:
            df[column] = judged_all[column].to_numpy()
        last_column = "last_bar_forming" if fetched_at is not None else "last_bar_volume_ratio"
        df[last_column] = pd.concat(last_parts).reindex(df.index).to_numpy()
    df["level_shift_held"] = df["level_shift_held"].astype(bool)
    df["last_bar_forming"] = df["last_bar_forming"].astype(bool)
    return df, held


def with_derived_columns(
    frame: pd.DataFrame,
    rules: PriceRules,
    before: Mapping[str, Before] | None = None,
    fetched_at: dt.datetime | None = None,
) -> pd.DataFrame:
    """Add ``row_id`` and the bar-shape and neighbour-based columns the suite checks.

    ``before`` describes each symbol's stored rows before the batch, so the first rows of a
    short daily batch are judged against the stored history and its last bar has a volume
    history.
    """
    return _derive(frame, rules, before, fetched_at)[0]


@dataclass
class PriceValidation(BatchVerdict):
    """The price suite's verdict, plus the level shifts it held.

    Its incidents: one per held level shift, and one per symbol with other rows quarantined
    (naming how many, why, and the first date of each reason), so a vendor sending bad values
    is seen once, not only in ``ops.quarantine``.
    """

    held_shifts: list[HeldShift] = field(default_factory=list)

    def incidents(self) -> list[Incident]:
        found = [h.incident() for h in self.held_shifts]
        rows = self.quarantined
        if rows.empty or "reason" not in rows.columns:
            return found
        for symbol, group in rows.groupby("symbol", sort=True):
            parts = []
            for reason in dict.fromkeys(r for text in group["reason"] for r in text.split("; ")):
                if reason.startswith("level shift from"):
                    continue  # its own incident above
                hit = group[group["reason"].str.contains(reason, regex=False)]
                first = pd.Timestamp(hit["date"].min()).date()
                parts.append(f"{reason} ({len(hit)}, first {first})")
            if parts:
                found.append(
                    Incident(
                        "prices",
                        str(symbol),
                        ROWS_QUARANTINED,
                        f"{symbol}: rows quarantined: " + "; ".join(parts),
                    )
                )
        return found


def validate_prices(
    frame: pd.DataFrame,
    rules: PriceRules,
    before: Mapping[str, Before] | None = None,
    *,
    fetched_at: dt.datetime | None = None,
) -> PriceValidation:
    """Split a price batch into rows to load and rows to quarantine, or block it whole.

    ``fetched_at`` (timezone-aware) is when the batch's bytes were fetched; it decides whether
    each symbol's last bar was complete. None: unknown, and the last bar's volume is the only
    evidence.
    """
    missing = [c for c in PRICE_COLUMNS if c not in frame.columns]
    if missing:
        return PriceValidation(**vars(missing_columns_verdict("price", frame, missing)))
    # a duplicated date keeps the row its neighbours agree with (quality/price_duplicates.py)
    frame, repeats = resolve_duplicates(frame.reset_index(drop=True))
    df, held = _derive(frame, rules, before, fetched_at)
    result = run_suite(df, "prices", price_checks(list(df.columns)))
    verdict = split_batch("price", df, result, PRICE_COLUMNS)
    if not repeats.empty:
        verdict.quarantined = pd.concat([verdict.quarantined, repeats[[*PRICE_COLUMNS, "reason"]]])
        verdict.message += f"; {len(repeats)} duplicate date row(s) set aside"
    return PriceValidation(**vars(verdict), held_shifts=held)


def reason_counts(quarantined: pd.DataFrame) -> dict[str, int]:
    """How many quarantined rows per reason (a row can have several)."""
    counts: dict[str, int] = {}
    for reasons in quarantined.get("reason", pd.Series(dtype=str)):
        for reason in str(reasons).split("; "):
            counts[reason] = counts.get(reason, 0) + 1
    return counts
