"""Which keys of a Secret are secret, decided once (components/catalog.py), and how the plan and the diff show them."""

from __future__ import annotations

import pytest

from components import catalog
from components.model import tenancy
from components.model.config import load_settings
from tools.engine import load_stack_config, run_stack
from tools.engine import project_config_values as stack_config
from tools.inventory_diff import diff_inventories
from tools.plan import render_tree
from tools.plan_diff_markdown import Context, render_diff

ACCESS_KEY = "AKSENTINEL0123456789"
SECRET_KEY = "sentinel-secret-key-0123456789abcdefghij"


def _accesses(stack: str) -> list[tenancy.ServiceAccess]:
    settings = load_settings(stack_config(stack), stack)
    return [access for tenant in settings.tenants for access in tenancy.service_accesses(settings, tenant)]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_exactly_what_carries_the_key_pair_is_masked_and_every_connection_setting_is_shown(stack):
    accesses = _accesses(stack)
    assert accesses
    for access in accesses:
        for key, value in access.secret_data(ACCESS_KEY, SECRET_KEY).items():
            shown = catalog.shown_value(key, value)
            carries_a_key = ACCESS_KEY in value or SECRET_KEY in value
            if shown is None:
                assert carries_a_key, f"{key} of {access.secret_name} is masked but holds no key"
            else:
                assert ACCESS_KEY not in shown and SECRET_KEY not in shown, f"{key} shows a key"
                # Nothing but the credential properties is masked in a catalog file.
                assert shown == value or shown.count(catalog.MASKED) == 2, key


def test_the_key_pair_and_keys_the_catalog_does_not_know_are_secret():
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "rootUser", "rootPassword", "config.env", "api-key"):
        assert catalog.is_secret_key(key), key
    for key in ("S3_BUCKET_LAKEHOUSE", "AWS_ENDPOINT_URL_S3", "MLFLOW_DEFAULT_ARTIFACT_ROOT", "acme_corp.properties"):
        assert not catalog.is_secret_key(key), key
    # Near misses stay secret: the vocabulary is matched whole.
    for key in ("S3_BUCKET_", "AWS_REGION_SECRET", "x.properties.bak", "MLFLOW_TRACKING_PASSWORD"):
        assert catalog.is_secret_key(key), key


def test_a_catalog_file_line_that_is_no_property_is_masked_too():
    shown = catalog.shown_value("a.properties", "connector.name=iceberg\nsomething odd\ns3.aws-secret-key=x\n")
    assert shown == "connector.name=iceberg\n=[secret]\ns3.aws-secret-key=[secret]\n"


def test_the_plan_tree_lists_each_secrets_keys_and_marks_the_secret_ones(prod_inventory):
    tree = render_tree(prod_inventory)
    trino = next(line for line in tree.splitlines() if "- Secret acme-corp-trino-credentials:" in line)
    assert "AWS_ACCESS_KEY_ID (secret)" in trino and "AWS_SECRET_ACCESS_KEY (secret)" in trino
    assert "S3_BUCKET_LAKEHOUSE," in trino and "acme_corp.properties" in trino
    root = next(line for line in tree.splitlines() if "- Secret minio-root-credentials:" in line)
    assert root.endswith("keys: rootPassword (secret), rootUser (secret)")
    assert "[secret]" not in tree and "mock-" not in tree


def test_the_diff_shows_changed_settings_in_clear_and_secret_keys_as_digests(prod_inventory):
    catalog_uri = "http://iceberg-rest.lakehouse.svc.cluster.local:8181"
    trino = load_stack_config("prod")["matih-minio:trino"]
    head = run_stack("prod", {"trino": {**trino, "catalogUri": catalog_uri}, "region": "eu-west-1"})
    markdown = render_diff(diff_inventories(prod_inventory, head), Context("prod", "`main`"))

    assert "| `stringData.AWS_REGION` | `us-east-1` | `eu-west-1` |" in markdown
    assert '| `stringData["acme_corp.properties"] iceberg.rest-catalog.uri` | ' in markdown
    assert f"`{catalog_uri}` |" in markdown
    assert "| `stringData.MLFLOW_S3_ENDPOINT_URL` |" not in markdown  # unchanged: not listed
    assert "mock-" not in markdown and "s3.aws-secret-key" not in markdown


def test_a_rotated_key_shows_only_digests(prod_inventory):
    head = run_stack("prod", {"accessKeys": {"rotation": 1}})
    markdown = render_diff(diff_inventories(prod_inventory, head), Context("prod", "`main`"))
    row = next(line for line in markdown.splitlines() if line.startswith("| `stringData.AWS_SECRET_ACCESS_KEY` |"))
    assert row.count("*secret* `digest ") == 2
    assert "mock-secret-key" not in markdown
