"""Each rule family's SQL on a few hand-made rows: rows in, flagged rows out (values by hand)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from alerts.queries import observations
from alerts.rules import FAMILIES
from tests.alerts.helpers import SESSIONS, create_risk, make_rule

D1, D2, D3 = SESSIONS[0], SESSIONS[1], SESSIONS[2]

INPUTS = {
    "relative_strength": (
        "marts.relative_strength",
        "pair varchar, date date, ratio double, ratio_vs_ma50 double, ratio_vs_ma200 double, "
        "spread_20d double, spread_60d double, ytd_spread double, streak integer",
        [("IWM/SPY", D1, 0.5, 0.01, 0.02, 0.03, 0.04, 0.05, 6)],
    ),
    "returns": (
        "marts.returns",
        "symbol varchar, date date, value double, ret_1d double, mtd double, qtd double, "
        "ytd double, ret_1m double, ret_3m double, ret_6m double, ret_12m double",
        [("^VIX", D1, 31.5, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)],
    ),
    "pair_risk": (
        "marts.pair_risk",
        "pair varchar, date date, corr_63 double, corr_252 double, beta_63 double, beta_252 double",
        [("IWM/SPY", D1, 0.6, 0.7, 1.1, 1.2)],
    ),
    "deal_flow": (
        "marts.deal_flow_daily",
        "date date, category varchar, filings integer, filings_30 integer, "
        "filings_30_avg_252 double, filings_30_ratio double, filings_30_z double",
        [(D1, "mna", 3, 40, 30.0, 1.333, 2.1)],
    ),
    "macro": (
        "marts.macro_daily",
        "date date, hy_spread_bp double, hy_spread_chg_1m_bp double, "
        "hy_spread_chg_3m_bp double, ig_spread_bp double, claims_4wk_vs_low_pct double, "
        "curve_10y2y double, fed_funds_chg_3m double, fed_funds_chg_6m double, "
        "fed_cuts_12m integer, nfci double, vix double",
        [(D1, 610.0, 120.0, 150.0, 130.0, 22.0, 0.5, -0.25, -0.5, 1, 0.1, 31.0)],
    ),
}


def _create(con: duckdb.DuckDBPyConnection, family: str) -> None:
    table, columns, rows = INPUTS[family]
    con.execute(f"create table {table} ({columns})")
    marks = ", ".join("?" * len(rows[0]))
    con.executemany(f"insert into {table} values ({marks})", [list(r) for r in rows])


@pytest.mark.parametrize(
    ("family", "subject"),
    [
        ("relative_strength", "IWM/SPY"),
        ("returns", "^VIX"),
        ("pair_risk", "IWM/SPY"),
        ("deal_flow", "mna"),
        ("macro", "US"),
    ],
)
def test_every_indicator_of_a_family_maps_to_its_column(
    con: duckdb.DuckDBPyConnection, family: str, subject: str
) -> None:
    _create(con, family)
    seen = []
    for indicator in FAMILIES[family]:
        rule = make_rule(family=family, indicator=indicator, subject=subject)
        got = observations(con, rule, D1, D1)
        assert list(got) == [subject], f"{family}.{indicator} returned no row"
        seen.append(got[subject][0].value)
    assert len(set(seen)) == len(seen), f"two indicators of {family} read the same column"


def test_breached_and_cleared_follow_direction_threshold_and_band(
    con: duckdb.DuckDBPyConnection,
) -> None:
    create_risk(con, [0.0, -0.07, -0.12, -0.04])
    rule = make_rule(threshold=-0.10, hysteresis=0.05)  # below -10%, re-arms at -5% or more
    got = observations(con, rule, SESSIONS[0], SESSIONS[3])["IWM"]
    assert [(o.breached, o.cleared) for o in got] == [
        (False, True),
        (False, False),  # -7%: inside the band
        (True, False),
        (False, True),
    ]
    assert [o.date for o in got] == SESSIONS[:4]
    above = make_rule(direction="above", threshold=-0.10, hysteresis=0.05)  # re-arms <= -15%
    got = observations(con, above, SESSIONS[0], SESSIONS[3])["IWM"]
    assert [(o.breached, o.cleared) for o in got] == [
        (True, False),
        (True, False),
        (False, False),
        (True, False),
    ]


def test_null_values_are_not_observations(con: duckdb.DuckDBPyConnection) -> None:
    create_risk(con, [None, -0.2])
    got = observations(con, make_rule(), SESSIONS[0], SESSIONS[1])
    assert [o.date for o in got["IWM"]] == [SESSIONS[1]]


def _price(con: duckdb.DuckDBPyConnection, symbol: str, day: dt.date) -> None:
    con.execute(
        """insert into raw.prices (symbol, date, close, adj_close, adj_close_received,
           adjustment, source, fetched_at, run_id)
           values (?, ?, 1, 1, 1, 'raw', 'test', now(), 'r')""",
        [symbol, day],
    )


def test_stale_sessions_counts_missed_nyse_sessions(con: duckdb.DuckDBPyConnection) -> None:
    for day in SESSIONS:
        _price(con, "SPY", day)
    for day in SESSIONS[:5]:  # IWM stops on Monday 2024-12-23
        _price(con, "IWM", day)
    rule = make_rule(family="data_quality", indicator="stale_sessions", subject="*",
                     direction="above", threshold=0.0, hysteresis=0.0)  # fmt: skip
    got = observations(con, rule, SESSIONS[3], SESSIONS[-1])
    assert [o.value for o in got["SPY"]] == [0.0] * 7
    # 12-24 is 1 session behind, 12-25 is a holiday, so 12-26 is 2, then 3, 4, 5
    assert [(o.date, o.value) for o in got["IWM"]] == [
        (SESSIONS[3], 0.0),
        (SESSIONS[4], 0.0),
        (SESSIONS[5], 1.0),
        (SESSIONS[6], 2.0),
        (SESSIONS[7], 3.0),
        (SESSIONS[8], 4.0),
        (SESSIONS[9], 5.0),
    ]
    assert [o.breached for o in got["IWM"]] == [False, False, True, True, True, True, True]


def _validation(con, run_id: str, as_of: dt.date, source: str, ok: bool, passed: int) -> None:
    con.execute(
        """insert into ops.runs (run_id, flow, as_of, started_at, status)
           values (?, 'daily', ?, now(), 'completed') on conflict do nothing""",
        [run_id, as_of],
    )
    con.execute(
        """insert into ops.validation_runs (run_id, source, suite, rows_in, rows_passed,
           rows_quarantined, batch_ok, message) values (?, ?, 'suite', 10, ?, 0, ?, 'm')""",
        [run_id, source, passed, ok],
    )


def test_blocked_batches_and_sessions_since_ok(con: duckdb.DuckDBPyConnection) -> None:
    _validation(con, "r1", SESSIONS[0], "fred", True, 10)
    _validation(con, "r2", SESSIONS[1], "fred", False, 0)  # blocked
    _validation(con, "r3", SESSIONS[2], "fred", False, 0)  # blocked
    _validation(con, "r3b", SESSIONS[2], "fred", True, 0)  # re-run passes, but empty
    _validation(con, "r4", SESSIONS[3], "fred", True, 8)
    blocked = make_rule(family="data_quality", indicator="blocked_batches", subject="fred",
                        direction="above", threshold=0.0, hysteresis=0.0)  # fmt: skip
    got = observations(con, blocked, SESSIONS[0], SESSIONS[4])["fred"]
    # the latest batch of each session decides: 12-19's re-run passed
    assert [(o.date, o.value) for o in got] == [
        (SESSIONS[0], 0.0),
        (SESSIONS[1], 1.0),
        (SESSIONS[2], 0.0),
        (SESSIONS[3], 0.0),
    ]
    since = make_rule(family="data_quality", indicator="sessions_since_ok", subject="*",
                      direction="above", threshold=2.0, hysteresis=0.0)  # fmt: skip
    got = observations(con, since, SESSIONS[0], SESSIONS[4])["fred"]
    # 12-19's batch passed with 0 rows, which is not a good delivery: 2 sessions on 12-19.
    # No run checked SESSIONS[4]: no value there (a gap in the runs is not a source down).
    assert [o.value for o in got] == [0.0, 1.0, 2.0, 0.0]
