"""The crossing state machine on hand-made series: crossing, hysteresis, persistence, cooldown."""

from __future__ import annotations

import datetime as dt

from alerts.state import FIRED, FIRING, RESOLVED, Observation, RuleState, run

D0 = dt.date(2024, 1, 1)


def series(values: list[float], threshold: float, rearm_at: float, direction: str = "above"):
    """Observations as the rule SQL would flag them (breached / cleared), one per day."""
    out = []
    for i, v in enumerate(values):
        if direction == "above":
            breached, cleared = v > threshold, v <= rearm_at
        else:
            breached, cleared = v < threshold, v >= rearm_at
        out.append(Observation("X", D0 + dt.timedelta(days=i), v, breached, cleared))
    return out


def fires(values, *, threshold=1.0, rearm_at=1.0, min_sessions=1, cooldown=0, direction="above"):
    _, transitions = run(
        RuleState(),
        series(values, threshold, rearm_at, direction),
        min_sessions=min_sessions,
        cooldown_sessions=cooldown,
    )
    return [((t.date - D0).days, t.transition) for t in transitions]


def test_a_crossing_fires_once_while_the_level_stays_beyond() -> None:
    assert fires([0, 0, 2, 3, 4, 5]) == [(2, FIRED)]


def test_back_below_resolves_and_a_new_crossing_fires_again() -> None:
    assert fires([0, 2, 0, 2]) == [(1, FIRED), (2, RESOLVED), (3, FIRED)]


def test_hysteresis_wiggles_inside_the_band_do_not_refire() -> None:
    # threshold 1.0, re-arms only at 0.5 or less: 0.9 and 0.6 keep it firing
    got = fires([0, 1.2, 0.9, 1.1, 0.6, 1.3, 0.5, 1.2], threshold=1.0, rearm_at=0.5)
    assert got == [(1, FIRED), (6, RESOLVED), (7, FIRED)]


def test_persistence_needs_consecutive_sessions() -> None:
    # two sessions beyond, one back, then three in a row: fires on the third of those
    got = fires([0, 2, 2, 0, 2, 2, 2, 2], min_sessions=3)
    assert got == [(6, FIRED)]


def test_cooldown_delays_a_refire_until_it_has_passed() -> None:
    # fires day 1, resolves day 2, breaches again day 3: cooldown 4 sessions -> fires day 5
    got = fires([0, 2, 0, 2, 2, 2, 2], cooldown=4)
    assert got == [(1, FIRED), (2, RESOLVED), (5, FIRED)]


def test_cooldown_does_not_fire_if_the_condition_is_gone_when_it_ends() -> None:
    assert fires([0, 2, 0, 2, 0, 0, 0], cooldown=4) == [(1, FIRED), (2, RESOLVED)]


def test_below_direction_mirrors_above() -> None:
    got = fires([0, -0.12, -0.15, -0.07, -0.04, -0.11], threshold=-0.10, rearm_at=-0.05,
                direction="below")  # fmt: skip
    assert got == [(1, FIRED), (4, RESOLVED), (5, FIRED)]


def test_consumed_sessions_are_skipped_so_a_rerun_is_a_no_op() -> None:
    obs = series([0, 2, 3], 1.0, 1.0)
    state, first = run(RuleState(), obs, min_sessions=1, cooldown_sessions=0)
    assert [t.transition for t in first] == [FIRED]
    again, second = run(state, obs, min_sessions=1, cooldown_sessions=0)
    assert second == [] and again == state
    assert state.status == FIRING and state.last_date == obs[-1].date


def test_state_carries_across_runs_day_by_day() -> None:
    """Feeding one session per run gives the same transitions as one pass over the series."""
    values = [0, 2, 2, 0, 2, 2, 2, 0.5, 2]
    obs = series(values, 1.0, 1.0)
    state, by_day = RuleState(), []
    for o in obs:
        state, t = run(state, [o], min_sessions=2, cooldown_sessions=3)
        by_day += t
    _, at_once = run(RuleState(), obs, min_sessions=2, cooldown_sessions=3)
    assert by_day == at_once
    assert [((t.date - D0).days, t.transition) for t in at_once] == [
        (2, FIRED),
        (3, RESOLVED),
        (5, FIRED),
        (7, RESOLVED),
    ]
