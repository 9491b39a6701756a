"""The default rules on the real history in ../shared/data: they catch the known episodes and
fire rarely enough to be news (the evidence behind the thresholds in docs/alerts.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from alerts import backtest, evaluate, load_rules
from rotation.db import migrate
from tests.alerts.real_history import LAST_FINAL, load_real_history


@pytest.fixture(scope="module")
def real_con(shared_data: Path):
    con = duckdb.connect()
    migrate(con)
    load_real_history(con, shared_data)
    yield con
    con.close()


def test_default_rules_catch_the_known_episodes_and_stay_rare(real_con) -> None:
    table = backtest(real_con, load_rules([]), dt.date(2001, 1, 1), LAST_FINAL)
    fires = {(r.rule, r.subject): r for r in table.itertuples()}
    dates = {key: row.fire_dates for key, row in fires.items()}
    assert "2020-03-09" in dates[("iwm_drawdown_20", "IWM")]  # Covid crash
    assert "2008-01-18" in dates[("iwm_drawdown_20", "IWM")]  # 2008 bear market
    assert "2020-02-27" in dates[("vix_stress", "^VIX")]
    assert "2008-01-03" in dates[("hy_spread_level", "US")]
    assert "2020-03-26" in dates[("jobless_claims_rising", "US")]
    assert "2020-11-20" in dates[("small_caps_lead_20d", "IWM/IWB")]  # Nov 2020 rotation
    for (rule, subject), row in fires.items():
        if row.sessions:  # about 25 years: at most ~1.2 alerts a year per rule
            assert row.fires <= 30, f"{rule} [{subject}] fires {row.fires} times: noise"
    # the inputs the shared data has no history for show up as empty, not as an error
    assert fires[("fed_funds_cut", "US")].sessions == 0


def test_first_evaluation_on_years_of_history_sends_no_flood(real_con) -> None:
    real_con.execute("delete from alerts.rule_state")
    real_con.execute("delete from alerts.events")
    new = evaluate(real_con, load_rules([]), LAST_FINAL, "first-run")
    assert len(new) <= 3, [e.rule for e in new]
    assert evaluate(real_con, load_rules([]), LAST_FINAL, "rerun") == []


def test_on_the_2020_crash_only_the_stronger_drawdown_rule_is_delivered(real_con, tmp_path) -> None:
    """A run on 2020-03-09 after the last one on 02-26 (a machine off for a week and a half):
    -10% crossed on 02-27 and -20% on 03-09. The -20% rule fires and inhibits the -10% one on
    IWM: that event is recorded with the reason, only the stronger one is sent."""
    import io
    import json

    from alerts import ConsoleChannel, deliver, list_events

    real_con.execute("delete from alerts.rule_state")
    real_con.execute("delete from alerts.events")
    real_con.execute("delete from alerts.deliveries")
    rules = [r for r in load_rules([]) if r.name in ("iwm_drawdown_10", "iwm_drawdown_20")]
    evaluate(real_con, rules, dt.date(2020, 2, 26), "run-0226")
    new = evaluate(real_con, rules, dt.date(2020, 3, 9), "run-0309")
    assert sorted((e.rule, e.event_date.isoformat(), e.muted_by) for e in new) == [
        ("iwm_drawdown_10", "2020-02-27", "inhibited by iwm_drawdown_20 firing on IWM"),
        ("iwm_drawdown_20", "2020-03-09", None),
    ]
    jsonl = tmp_path / "alerts.jsonl"
    deliver(real_con, [ConsoleChannel(jsonl, stream=io.StringIO())], "run-0309")
    sent = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert [(x["rule"], x["event_date"]) for x in sent] == [("iwm_drawdown_20", "2020-03-09")]
    listed = list_events(real_con).set_index("rule")["delivery"]
    assert listed["iwm_drawdown_10"] == "muted (inhibited by iwm_drawdown_20 firing on IWM)"
    # a week on, the -20% rule is still firing: a reminder (critical), the -10% one stays quiet
    later = evaluate(real_con, rules, dt.date(2020, 3, 16), "run-0316")
    assert [(e.rule, e.transition, e.event_date.isoformat()) for e in later] == [
        ("iwm_drawdown_20", "reminder", "2020-03-16")
    ]
