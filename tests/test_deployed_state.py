"""The deploy refuses an `up` that deletes a key a *deployed* Secret carries (issue 15, gap a): the plan diff sees only
the base commit, which after a failed `up` or two merges in one deploy says less than the stack's state."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from tests.test_key_retirement import initech
from tools import deployed_state
from tools.change_risks import assess
from tools.engine import Inventory, ResourceRecord, run_stack

SECRET = "kubernetes:core/v1:Secret"
# An export without --show-secrets: pulumi/pulumi v3.259.0 sdk/go/common/resource/sig/sig.go Key and Secret.
ENCRYPTED = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:AAAA:BBBB"}


def _entry(record: ResourceRecord) -> dict[str, Any]:
    # The fields of apitype.ResourceV3 (sdk/go/common/apitype/core.go) a checkpoint carries; secret values encrypted.
    return {
        "urn": record.urn,
        "custom": record.custom,
        "id": f"id-of-{record.name}" if record.custom else "",
        "type": record.type,
        "inputs": {"stringData": ENCRYPTED} if record.type == SECRET else {},
        "outputs": {"accessKey": ENCRYPTED, "secretKey": ENCRYPTED} if "ServiceAccount" in record.type else {},
        "parent": record.parent,
        "dependencies": list(record.options.get("dependsOn") or ()),
    }


def export_of(resources: list[ResourceRecord], pending_deletes: list[ResourceRecord] = ()) -> str:  # type: ignore[assignment]
    entries = [_entry(r) for r in resources] + [{**_entry(r), "delete": True} for r in pending_deletes]
    return json.dumps({"version": 3, "deployment": {"manifest": {}, "resources": entries}})


def after_failed_up(goal: Inventory, last_good: Inventory) -> list[ResourceRecord]:
    """The state an `up` of `goal` leaves when it fails after creating the new keys and before updating the
    Secrets: the new keys exist, the Secrets are still the last good up's (they carry the old generation)."""
    old_secrets = {r.urn: r for r in last_good.resources if r.type == SECRET}
    return [old_secrets.get(r.urn, r) if r.type == SECRET else r for r in goal.resources]


def _refused(state: str, head: Inventory) -> list[str]:
    risks = deployed_state.deployed_key_in_use_risks(deployed_state.read_export(state), head)
    assert all(r.rule == "key-in-use" and r.refused for r in risks)
    return sorted(r.subject for r in risks)


@pytest.fixture(scope="module")
def rotated() -> Inventory:
    return run_stack("prod", {"tenants": initech(serviceKeyRotation={"trino": 1})})


@pytest.fixture(scope="module")
def retired() -> Inventory:
    return run_stack(
        "prod", {"tenants": initech(serviceKeyRotation={"trino": 1}, serviceRetireKeysThrough={"trino": 1})}
    )


def test_a_retirement_after_a_failed_up_is_refused_though_the_base_commit_allows_it(prod_inventory, rotated, retired):
    state = export_of(after_failed_up(rotated, prod_inventory))
    # The gap: against the base commit (which declared the rotation), the retirement looks safe.
    assert [r for r in assess(rotated, retired).risks if r.rule == "key-in-use"] == []
    assert _refused(state, retired) == ["initech-trino-access-key"]


def test_a_retirement_after_the_secrets_moved_on_is_allowed(rotated, retired):
    assert _refused(export_of(list(rotated.resources)), retired) == []


def test_two_merges_in_one_deploy_rotate_and_retire_the_key_the_deployed_secret_carries(prod_inventory, retired):
    # Merge 1 rotated, merge 2 retired generation 1; the deploy runs only the second commit against prod's state.
    assert _refused(export_of(list(prod_inventory.resources)), retired) == ["initech-trino-access-key"]


def test_an_offboarded_tenant_drops_its_secrets_and_is_revoked_on_purpose(prod_inventory):
    head = run_stack("prod", {"tenants": initech(state="offboarding")})
    assert _refused(export_of(list(prod_inventory.resources)), head) == []


def test_a_pending_deletion_is_not_what_a_secret_carries(rotated, retired):
    stale = [replace(r, urn=r.urn + "-old") for r in rotated.resources if r.type == SECRET]
    assert _refused(export_of(list(rotated.resources), pending_deletes=stale), retired) == []


def test_the_secret_carries_the_key_through_its_dependencies_not_its_encrypted_data(prod_inventory):
    resources = deployed_state.read_export(export_of(list(prod_inventory.resources)))
    carried = deployed_state.carried_keys(resources)
    secret = next(urn for urn in carried if urn.endswith("::initech-trino-credentials"))
    assert [u.rsplit("::", 1)[1] for u in carried[secret]] == ["initech-trino-access-key"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not JSON"),
        ('{"resources": []}', "expected the output of `pulumi stack export`"),
        ('{"version": 4, "deployment": {}}', "version 4; this tool reads versions (1, 2, 3)"),
        ('{"version": 3, "deployment": {"resources": [{"type": "x"}]}}', "each with a urn"),
    ],
)
def test_an_unreadable_export_is_one_clear_message(text, message):
    with pytest.raises(deployed_state.DeployedStateError, match=r"state\.json: ") as caught:
        deployed_state.read_export(text, "state.json")
    assert message in str(caught.value)


def test_the_cli_refuses_with_exit_1_and_passes_with_0(tmp_path, capsys, prod_inventory, rotated):
    state = tmp_path / "state.json"
    state.write_text(export_of(list(rotated.resources)))  # deployed: Secrets carry generation 2
    assert deployed_state.main(["--stack", "prod", "--state", str(state)]) == 1  # Pulumi.prod.yaml declares only 1
    err = capsys.readouterr().err
    assert "initech-trino-access-key-g2" in err and "initech-trino-credentials" in err
    assert "ciphertext" not in err
    state.write_text(export_of(list(prod_inventory.resources)))
    assert deployed_state.main(["--stack", "prod", "--state", str(state)]) == 0
    assert deployed_state.main(["--stack", "prod", "--state", str(tmp_path / "missing.json")]) == 2
    assert "missing.json: cannot read it" in capsys.readouterr().err


def test_every_up_first_checks_the_deployed_state_of_its_own_stack():
    from tests.test_workflows import WORKFLOWS, _load, _steps

    [job] = _load(WORKFLOWS / "pulumi-up.yml")["jobs"].values()
    steps = _steps(job)
    [check] = [i for i, s in enumerate(steps) if "tools.deployed_state" in s.get("run", "")]
    [up] = [i for i, s in enumerate(steps) if s.get("with", {}).get("command") == "up"]
    assert check < up
    run, env = steps[check]["run"], steps[check]["env"]
    assert 'pulumi stack export --stack "$STACK"' in run and "--show-secrets" not in run
    assert env["STACK"] == "${{ inputs.stack }}" == steps[up]["with"]["stack-name"]
    assert env["PULUMI_VERSION"] == steps[up]["with"]["pulumi-version"]
    assert env["PULUMI_BACKEND_URL"] == steps[up]["with"]["cloud-url"]
