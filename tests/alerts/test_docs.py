"""docs/alerts.md stays true: its TOML rule set is the embedded default, every family is there."""

from __future__ import annotations

import re
import tomllib

from alerts.queries import family_path
from alerts.rules import FAMILIES, load_rules
from tests.alerts.real_history import REPO


def test_the_documented_toml_is_the_default_rule_set() -> None:
    text = (REPO / "docs" / "alerts.md").read_text()
    (block,) = re.findall(r"```toml\n(.*?)```", text, re.DOTALL)
    assert load_rules(tomllib.loads(block)["rules"]) == load_rules([])


def test_every_family_has_its_sql_file() -> None:
    for family in FAMILIES:
        assert family_path(family).is_file(), family
