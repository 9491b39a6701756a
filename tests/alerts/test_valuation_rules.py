"""The valuation rule family on hand-made marts: every indicator, and the default rules backtested.

300 real NYSE sessions from 2024-01-02. IWM/IVV: discount ex losses -20 % until session 150,
then -30 % (the wide-discount rule fires on the 5th session below -25 %: session 154); growth
gap -2 % until 200, then +1 % (fires on session 204). IWM's loss-maker weight is 30 % until
260, then 37 %: its change over 252 sessions is +7 % from session 260 on (fires on 264). The
vendor P/E of IVV is beyond tolerance on one session only (fires once, on that session).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from alerts.queries import observations
from alerts.review import backtest
from alerts.rules import FAMILIES, load_rules
from rotation import calendar
from tests.alerts.helpers import make_rule

DAYS = calendar.sessions(dt.date(2024, 1, 2), dt.date(2025, 6, 30))[:300]


def _marts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "create table marts.valuation_gap (session date, pair varchar, small_pe double, "
        "large_pe double, discount double, discount_ex_losses double, small_growth double, "
        "large_growth double, growth_gap double)"
    )
    con.execute(
        "create table marts.fund_valuation (fund varchar, session date, pe double, "
        "pe_ex_losses double, loss_share_weight double)"
    )
    con.execute(
        "create table marts.fund_pe_cross_check (fund varchar, session date, "
        "built_pe double, beyond_tolerance boolean)"
    )
    con.executemany(
        "insert into marts.valuation_gap values (?, 'IWM/IVV', 30, 25, 0.2, ?, 0.1, 0.1, ?)",
        [(d, -0.2 if i < 150 else -0.3, -0.02 if i < 200 else 0.01) for i, d in enumerate(DAYS)],
    )
    con.executemany(
        "insert into marts.fund_valuation values ('IWM', ?, 40, 18, ?)",
        [(d, 0.30 if i < 260 else 0.37) for i, d in enumerate(DAYS)],
    )
    con.executemany(
        "insert into marts.fund_pe_cross_check values ('IVV', ?, ?, ?)",
        [(DAYS[10], 20.0, False), (DAYS[11], 20.0, True), (DAYS[12], 20.0, False),
         (DAYS[13], None, False)],
    )  # fmt: skip


def test_every_valuation_indicator_reads_its_own_column(con: duckdb.DuckDBPyConnection) -> None:
    _marts(con)
    day = DAYS[270]
    expected = {
        "discount": ("IWM/IVV", 0.2),
        "discount_ex_losses": ("IWM/IVV", -0.3),
        "growth_gap": ("IWM/IVV", 0.01),
        "pe": ("IWM", 40.0),
        "pe_ex_losses": ("IWM", 18.0),
        "loss_share_weight": ("IWM", 0.37),
        "loss_share_weight_chg_1y": ("IWM", 0.07),
    }
    assert set(expected) | {"fund_pe_gap_beyond"} == set(FAMILIES["valuation"])
    for indicator, (subject, value) in expected.items():
        rule = make_rule(family="valuation", indicator=indicator, subject="*")
        got = observations(con, rule, day, day)
        assert list(got) == [subject], indicator
        assert got[subject][0].value == pytest.approx(value), indicator
    rule = make_rule(family="valuation", indicator="fund_pe_gap_beyond", subject="*")
    got = observations(con, rule, DAYS[0], DAYS[-1])
    assert [(o.date, o.value) for o in got["IVV"]] == [
        (DAYS[10], 0.0),
        (DAYS[11], 1.0),
        (DAYS[12], 0.0),
    ]  # the withheld session is no comparison
    change = make_rule(family="valuation", indicator="loss_share_weight_chg_1y", subject="IWM")
    assert observations(con, change, DAYS[0], DAYS[251]) == {}  # no year-old base yet


def test_the_default_valuation_rules_fire_when_their_story_happens(
    con: duckdb.DuckDBPyConnection,
) -> None:
    _marts(con)
    rules = [r for r in load_rules([]) if r.family == "valuation"]
    table = backtest(con, rules, DAYS[0], DAYS[-1]).set_index("rule")
    fired = {name: (row["fires"], row["first_fire"]) for name, row in table.iterrows()}
    assert fired == {
        "small_cap_discount_wide": (1, DAYS[154]),
        "small_cap_discount_closed": (0, None),
        "small_cap_growth_overtakes": (1, DAYS[204]),
        "small_cap_loss_share_rising": (1, DAYS[264]),
    }
