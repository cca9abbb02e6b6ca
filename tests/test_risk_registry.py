"""The plan-diff rules as declared in tools/risks/: each with one id, a title and the severities it may report."""

from __future__ import annotations

import pytest

from tools.change_risks import RULE_TITLES, RULES
from tools.risks.model import Rule


def test_rule_ids_are_unique_and_titled_in_listing_order():
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    assert list(RULE_TITLES) == ids
    assert all(rule.title and rule.severities for rule in RULES)


def test_a_rule_reports_only_the_severities_it_declares():
    rule = Rule("example", "An example", ("warning",))
    assert rule.risk("warning", "subject", "what").severity == "warning"
    with pytest.raises(ValueError, match="example reports only warning, not refused"):
        rule.risk("refused", "subject", "what")


def test_the_refusals_a_reviewer_relies_on_are_declared_refused():
    # README "Review and release" lists these as refusals; a rule declared without "refused" could not raise one.
    refused = {rule.id for rule in RULES if "refused" in rule.severities}
    assert {
        "pool-layout",
        "object-locking",
        "bucket-rename",
        "key-in-use",
        "parent-user",
        "protected-delete",
    } <= refused
