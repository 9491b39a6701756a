"""Rule validation: clear errors that name the rule; the default set loads and is complete."""

from __future__ import annotations

import pytest

from alerts.defaults import DEFAULT_RULES
from alerts.rules import FAMILIES, KINDS, AlertsError, load_rules
from rotation.settings import AlertsSettings

GOOD = {
    "name": "vix_high",
    "family": "returns",
    "indicator": "value",
    "subject": "^VIX",
    "direction": "above",
    "threshold": 30,
    "severity": "warning",
    "kind": "risk",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"treshold": 3}, "rule 'vix_high': unknown key(s) treshold"),
        ({"severity": "urgent"}, "rule 'vix_high': severity 'urgent' is not one of"),
        ({"kind": "opportunity"}, "rule 'vix_high': kind 'opportunity' is not one of"),
        ({"direction": "up"}, "rule 'vix_high': direction 'up' is not one of above, below"),
        ({"family": "prices"}, "rule 'vix_high': family 'prices' is not one of"),
        ({"indicator": "close"}, "rule 'vix_high': indicator 'close' is not one of value"),
        ({"threshold": "30"}, "rule 'vix_high': threshold must be a finite number"),
        ({"hysteresis": -1}, "rule 'vix_high': hysteresis must be >= 0"),
        ({"min_sessions": 0}, "rule 'vix_high': min_sessions must be a whole number >= 1"),
        ({"channels": ["pager"]}, "rule 'vix_high': channel 'pager' is not one of"),
        ({"name": "Bad Name"}, "rule 'Bad Name': name must be lower-case"),
    ],
)
def test_a_bad_rule_is_refused_with_its_name(change: dict, message: str) -> None:
    with pytest.raises(AlertsError) as err:
        load_rules([{**GOOD, **change}])
    assert message in str(err.value)


def test_missing_keys_and_duplicates_are_refused() -> None:
    with pytest.raises(AlertsError, match=r"rule 'vix_high': missing key\(s\) threshold"):
        load_rules([{k: v for k, v in GOOD.items() if k != "threshold"}])
    with pytest.raises(AlertsError, match="rule #2: missing"):
        load_rules([GOOD, {"family": "risk"}])
    with pytest.raises(AlertsError, match="'vix_high' is defined twice"):
        load_rules([GOOD, GOOD])


def test_rule_channels_filter_the_configured_ones() -> None:
    alerts = AlertsSettings(channels=("console", "email"))
    (rule,) = load_rules([{**GOOD, "channels": ["slack", "email"]}], alerts)
    assert rule.channels == ("email",)
    (default,) = load_rules([GOOD], alerts)
    assert default.channels == ("console", "email")


def test_disabled_rules_are_validated_but_left_out() -> None:
    assert load_rules([{**GOOD, "enabled": False}]) == []
    with pytest.raises(AlertsError):
        load_rules([{**GOOD, "enabled": False, "kind": "nope"}])


def test_the_default_rule_set_loads_and_covers_every_kind() -> None:
    rules = load_rules([])
    assert len(rules) == len(DEFAULT_RULES)
    assert {r.kind for r in rules} == set(KINDS)
    for rule in rules:
        assert rule.indicator in FAMILIES[rule.family]
        assert rule.meaning, f"{rule.name} says nothing about what it means"
