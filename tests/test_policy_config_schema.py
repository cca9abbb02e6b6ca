"""Policy config is validated against each policy's JSON schema, as the engine does before the pack runs
(pulumi v3.259.0 pkg/resource/analyzer/config.go `validatePolicyConfig`, gojsonschema): bounds and item types too,
not only the top-level type."""

from __future__ import annotations

import pytest

from tools.policy_check import PolicyConfigError, parse_pack_config


@pytest.mark.parametrize("parity", [1, 8])
def test_minimum_parity_inside_its_bounds_is_accepted(parity):
    # production-durability's schema: integer, minimum 1, maximum 8 (EC:8 is the most parity a 16-drive set has).
    config = parse_pack_config({"production-durability": {"minimumParity": parity}})
    assert config.properties["production-durability"]["minimumParity"] == parity


@pytest.mark.parametrize("parity", [0, 9])
def test_minimum_parity_outside_its_bounds_is_refused(parity):
    with pytest.raises(PolicyConfigError, match=rf"production-durability\.minimumParity: got {parity};"):
        parse_pack_config({"production-durability": {"minimumParity": parity}})


def test_an_acknowledged_purge_that_is_not_a_string_is_refused_with_its_index():
    with pytest.raises(PolicyConfigError, match=r"acknowledgedPurges\[1\] must be a string, got 7"):
        parse_pack_config({"tenant-offboarding-and-purge": {"acknowledgedPurges": ["acme-corp", 7]}})


def test_a_boolean_is_not_an_integer():
    # JSON Schema (and gojsonschema) keep booleans and integers apart; Python's bool is an int.
    with pytest.raises(PolicyConfigError, match="minimumParity must be a integer, got True"):
        parse_pack_config({"production-durability": {"minimumParity": True}})
