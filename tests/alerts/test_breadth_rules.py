"""The breadth rule family (sql/alerts/breadth.sql) on hand-made rows, and its default rules."""

from __future__ import annotations

import duckdb

from alerts.queries import observations
from alerts.rules import FAMILIES, load_rules
from tests.alerts.helpers import SESSIONS, make_rule

D1, D2, D3 = SESSIONS[0], SESSIONS[1], SESSIONS[2]


def _tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """create table marts.breadth (fund varchar, session date, above_ma50_share double,
               above_ma200_share double, net_new_highs integer, breadth_spread double)"""
    )
    con.execute(
        """create table marts.breadth_signals (fund varchar, session date, thrust integer,
               divergence integer)"""
    )
    con.executemany(
        "insert into marts.breadth values (?, ?, ?, ?, ?, ?)",
        [("IWM", D1, 0.2, 0.4, -30, -0.001), ("IWM", D2, 0.8, 0.45, 12, 0.002),
         ("IWM", D3, 0.85, 0.5, 15, 0.003), ("IWB", D1, 0.6, 0.7, 5, 0.0)],
    )  # fmt: skip
    con.executemany(
        "insert into marts.breadth_signals values (?, ?, ?, ?)",
        [("IWM", D1, 0, None), ("IWM", D2, 1, 0), ("IWM", D3, 0, 3), ("IWB", D1, 0, 0)],
    )


def test_every_breadth_indicator_maps_to_its_column(con: duckdb.DuckDBPyConnection) -> None:
    _tables(con)
    seen = {}
    for indicator in FAMILIES["breadth"]:
        rule = make_rule(family="breadth", indicator=indicator, subject="IWM")
        got = observations(con, rule, D3, D3)
        assert list(got) == ["IWM"], indicator
        seen[indicator] = got["IWM"][0].value
    assert seen == {
        "thrust": 0, "divergence": 3, "above_ma50_share": 0.85, "above_ma200_share": 0.5,
        "net_new_highs": 15, "breadth_spread": 0.003,
    }  # fmt: skip


def test_the_default_thrust_rule_breaches_on_the_thrust_session(
    con: duckdb.DuckDBPyConnection,
) -> None:
    _tables(con)
    rules = {r.name: r for r in load_rules([])}
    thrust = observations(con, rules["breadth_thrust"], D1, D3)["IWM"]
    assert [(o.date, o.breached) for o in thrust] == [(D1, False), (D2, True), (D3, False)]
    # a divergence the SQL could not judge (NULL) is no observation
    divergence = observations(con, rules["breadth_divergence"], D1, D3)["IWM"]
    assert [(o.date, o.breached) for o in divergence] == [(D2, False), (D3, True)]
