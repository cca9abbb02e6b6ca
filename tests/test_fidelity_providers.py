"""The mock provider refuses what terraform-provider-minio v1.20.1 (bridged by pulumi-minio 0.17.1) refuses.

Rules and sources: tools/fidelity/ and tools/schemas/tf-minio-v1.20.1.json. Expectations here come from the
provider's source at v1.20.1 (cited per test), not from the vendored file.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from pathlib import Path
from typing import Any

import pulumi_minio
import pytest

from tools import sdk_private
from tools.engine import ProviderCheckError, run_stack
from tools.fidelity.minio_schema import force_new_fields, minio_schema
from tools.fidelity.registration import check_registration

BUCKET = "minio:index/s3Bucket:S3Bucket"
ILM = "minio:index/ilmPolicy:IlmPolicy"
SSE = "minio:index/s3BucketServerSideEncryption:S3BucketServerSideEncryption"
VERSIONING = "minio:index/s3BucketVersioning:S3BucketVersioning"
USER = "minio:index/iamUser:IamUser"
POLICY = "minio:index/iamPolicy:IamPolicy"
ATTACHMENT = "minio:index/iamUserPolicyAttachment:IamUserPolicyAttachment"
SERVICE_ACCOUNT = "minio:index/iamServiceAccount:IamServiceAccount"
KMS_KEY = "minio:index/kmsKey:KmsKey"
PROVIDER = "pulumi:providers:minio"
VALID_POLICY = '{"Version":"2012-10-17","Statement":[]}'


def refused(token: str, inputs: dict[str, Any]) -> dict[str, str]:
    """path -> rule of each violation."""
    return {v.path: v.rule for v in check_registration(token, "subject", inputs)}


def secret(value: Any) -> dict[str, Any]:
    return {sdk_private.SIG_KEY: sdk_private.SECRET_SIG, "value": value}


def test_the_real_stacks_pass_the_provider_checks(dev_inventory, prod_inventory):
    # The session fixtures ran both stacks through the strict runner; a refusal would have raised there.
    assert dev_inventory.of_type(ILM) and prod_inventory.of_type(SERVICE_ACCOUNT)


def test_a_computed_only_field_cannot_be_set():
    # resource_minio_ilm_policy.go: rule.status is Computed only; resource_minio_s3_bucket.go: arn likewise.
    rules = [{"id": "r", "expiration": "5d", "status": "Enabled"}]
    assert refused(ILM, {"bucket": "b", "rules": rules}) == {
        "rules[0].status": "computed-only: this field cannot be set"
    }
    assert refused(BUCKET, {"bucket": "bucket", "arn": "arn:aws:s3:::bucket"}) == {
        "arn": "computed-only: this field cannot be set"
    }


def test_an_unknown_argument_is_refused_at_any_depth():
    assert refused(BUCKET, {"bucket": "bucket", "versioning": True}) == {"versioning": "no such argument"}
    assert refused(ILM, {"bucket": "b", "rules": [{"id": "r", "prefix": "tmp/"}]}) == {
        "rules[0].prefix": "no such argument"
    }


def test_required_arguments_must_be_present():
    assert refused(ILM, {"bucket": "b"}) == {"rules": "required argument missing"}
    assert refused(ILM, {"bucket": "b", "rules": [{"expiration": "5d"}]}) == {
        "rules[0].id": "required argument missing"
    }
    assert refused(SSE, {"bucket": "b", "encryptionType": "aws:kms"}) == {"kmsKeyId": "required argument missing"}
    assert refused(VERSIONING, {"bucket": "b", "versioningConfiguration": {}}) == {
        "versioningConfiguration.status": "required argument missing"
    }
    assert refused(SERVICE_ACCOUNT, {}) == {"targetUser": "required argument missing"}
    assert refused(KMS_KEY, {}) == {"keyId": "required argument missing"}


def test_a_required_name_is_autonamed_by_pulumi():
    # pulumi-minio provider/resources.go: prov.SetAutonaming(255, "-").
    assert refused(USER, {}) == {}


def test_values_must_have_the_schema_type():
    assert refused(BUCKET, {"bucket": "bucket", "objectLocking": "yes"}) == {"objectLocking": "must be a bool"}
    assert refused(ILM, {"bucket": "b", "rules": {"id": "r"}}) == {"rules": "must be a list"}
    assert refused(ILM, {"bucket": "b", "rules": [{"id": "r", "noncurrentVersionExpirationDays": "7"}]}) == {
        "rules[0].noncurrentVersionExpirationDays": "must be a int"
    }


def test_a_max_items_one_block_is_a_single_object():
    # resource_minio_s3_bucket_versioning.go: versioning_configuration MaxItems 1 -> one object in Pulumi.
    assert refused(VERSIONING, {"bucket": "b", "versioningConfiguration": [{"status": "Enabled"}]}) == {
        "versioningConfiguration": "must be an object"
    }


@pytest.mark.parametrize("expiration", ["5d", "365d", "1970-01-01", "2030-12-31", "DeleteMarker"])
def test_ilm_expiration_formats_the_provider_accepts(expiration):
    assert refused(ILM, {"bucket": "b", "rules": [{"id": "r", "expiration": expiration}]}) == {}


@pytest.mark.parametrize("expiration", ["5", "0d", "5 days", "P5D", "2024-13-01", "2024-1-5", "deletemarker", ""])
def test_ilm_expiration_formats_the_provider_refuses(expiration):
    # resource_minio_ilm_policy.go, validateILMExpiration/parseILMExpiration.
    problems = refused(ILM, {"bucket": "b", "rules": [{"id": "r", "expiration": expiration}]})
    assert problems == {"rules[0].expiration": 'must be a duration (5d), date (1970-01-01), or "DeleteMarker"'}


def test_noncurrent_version_expiration_must_be_positive():
    problems = refused(ILM, {"bucket": "b", "rules": [{"id": "r", "noncurrentVersionExpirationDays": 0}]})
    assert problems == {
        "rules[0].noncurrentVersionExpirationDays": "noncurrent_version_expiration_days must be strictly positive"
    }


@pytest.mark.parametrize(
    "name", ["ab", "Platform-Data", "data_lake", "192.168.1.10", "a..b", "a.-b", "-data", "x" * 64]
)
def test_bucket_names_minio_refuses(name):
    assert "bucket" in refused(BUCKET, {"bucket": name})


@pytest.mark.parametrize("name", ["abc", "lakehouse-initech", "data.archive-2024", "x" * 63])
def test_bucket_names_minio_accepts(name):
    assert refused(BUCKET, {"bucket": name}) == {}


def test_acl_encryption_and_versioning_take_only_their_values():
    assert refused(BUCKET, {"bucket": "bucket", "acl": "authenticated-read"}) == {
        "acl": "must be one of private, public-write, public-read, public-read-write, public"
    }
    assert refused(SSE, {"bucket": "b", "encryptionType": "AES256", "kmsKeyId": "k"}) == {
        "encryptionType": "must be one of aws:kms"
    }
    assert refused(VERSIONING, {"bucket": "b", "versioningConfiguration": {"status": "enabled"}}) == {
        "versioningConfiguration.status": "must be one of Enabled, Suspended"
    }


def test_conflicting_arguments_are_refused():
    problems = refused(BUCKET, {"bucket": "bucket", "bucketPrefix": "pre"})
    assert problems == {"bucket": "conflicts with bucketPrefix", "bucketPrefix": "conflicts with bucket"}
    assert "name" in refused(POLICY, {"policy": VALID_POLICY, "name": "a", "namePrefix": "b"})


@pytest.mark.parametrize("policy", ["", " {}", "[]", "not json", "{", '{"a": NaN}'])
def test_policy_documents_must_be_json_objects(policy):
    # resource_minio_iam_policy.go, validateIAMPolicyJSON.
    assert refused(POLICY, {"policy": policy}) == {"policy": "must be a JSON policy document starting with '{'"}
    assert refused(SERVICE_ACCOUNT, {"targetUser": "u", "policy": policy}) == {
        "policy": "must be a JSON policy document starting with '{'"
    }


def test_iam_names_follow_the_provider_validators():
    assert refused(POLICY, {"policy": VALID_POLICY, "name": "matih/pipeline"}) == {"name": "must match [\\w+=,.@:-]"}
    assert refused(POLICY, {"policy": VALID_POLICY, "name": "p" * 97}) == {"name": "at most 96 characters"}
    assert refused(USER, {"name": "matih pipeline"}) == {"name": "only alphanumerics and =,.@-_+ (or an LDAP DN)"}
    assert refused(USER, {"name": "CN=svc,OU=apps,DC=example,DC=org"}) == {}
    assert refused(ATTACHMENT, {"policyName": "p:1", "userName": "matih-trino"}) == {}
    assert set(refused(ATTACHMENT, {"policyName": "p/1", "userName": "a b"})) == {"policyName", "userName"}


def test_provider_configuration_is_checked():
    good = {
        "minioServer": "localhost:30900",
        "minioSsl": "false",
        "minioUser": secret("u"),
        "minioPassword": secret("p"),
    }
    assert refused(PROVIDER, {**good, "version": "0.17.1"}) == {}
    assert refused(PROVIDER, {"minioUser": "u"}) == {"minioServer": "required argument missing"}
    assert refused(PROVIDER, {**good, "minioSsl": "maybe"}) == {"minioSsl": "must be a bool"}
    assert refused(PROVIDER, {**good, "minioAccessKey": "k"}) == {"minioUser": "conflicts with minioAccessKey"}


def test_an_unvendored_resource_type_is_refused_until_its_schema_is_added():
    problems = refused("minio:index/s3BucketPolicy:S3BucketPolicy", {"bucket": "b", "policy": VALID_POLICY})
    assert problems == {"(type)": "not in the vendored provider schema: read its resource file at v1.20.1 and add it"}


def test_unknown_values_are_not_validated_during_preview():
    rules = [{"id": sdk_private.Unknown(), "expiration": sdk_private.Unknown()}]
    assert refused(ILM, {"bucket": sdk_private.Unknown(), "rules": rules}) == {}
    # A known sibling is still checked; a list with any unknown item is skipped whole, as isWhollyKnown does.
    assert refused(ILM, {"bucket": sdk_private.Unknown(), "rules": [{"id": "r", "status": "Enabled"}]}) == {
        "rules[0].status": "computed-only: this field cannot be set"
    }
    assert refused(ILM, {"bucket": "b", "rules": [{"id": "r", "status": "Enabled"}, sdk_private.Unknown()]}) == {}


def test_a_refused_secret_is_reported_masked():
    (violation,) = check_registration(USER, "u", {"name": "matih-u", "secret": secret(12345)})
    assert (violation.path, violation.value) == ("secret", "[secret]")
    assert "12345" not in str(violation)


def test_replacement_fields_are_the_force_new_ones():
    # The ForceNew flags of each resource file at v1.20.1 (../shared/docs/platform-facts.md, "Update semantics").
    assert force_new_fields(BUCKET) == {"bucket", "bucketPrefix"}
    assert force_new_fields(SERVICE_ACCOUNT) == {"targetUser"}
    assert force_new_fields(USER) == {"name"}
    assert force_new_fields(POLICY) == {"name", "namePrefix"}
    assert force_new_fields(KMS_KEY) == {"keyId"}
    assert force_new_fields(ATTACHMENT) == {"policyName", "userName"}
    for child in (ILM, SSE, VERSIONING):
        assert force_new_fields(child) == {"bucket"}
    assert force_new_fields("kubernetes:core/v1:Secret") == set()


def sdk_class(name: str) -> type:
    return getattr(pulumi_minio, name)


def nested_args_class(args_class: type, python_name: str) -> type:
    annotation = str(inspect.signature(args_class.__init__).parameters[python_name].annotation)
    return sdk_class(re.search(r"'(\w+Args)'", annotation).group(1))  # type: ignore[union-attr]


def test_derived_pulumi_names_match_the_installed_sdk():
    """The bridge's naming rule (camelCase, plural list blocks) and autonaming, checked against pulumi-minio 0.17.1."""
    for token, resource in minio_schema().items():
        class_name = "Provider" if token == PROVIDER else token.rsplit(":", 1)[1]
        args_class = sdk_class(f"{class_name}Args")
        if token != PROVIDER:
            assert f"'{token}'" in inspect.getsource(sdk_class(class_name)), token
        names = sdk_private.input_type_py_to_pulumi_names(args_class)
        settable = {n for n, f in resource.fields.items() if f.required or f.optional}
        assert set(names.values()) == settable, token
        parameters = inspect.signature(args_class.__init__).parameters.values()
        sdk_required = {
            names[p.name] for p in parameters if p.name != "__self__" and p.default is inspect.Parameter.empty
        }
        if token == PROVIDER:
            # minio_server is Required with an environment default (MINIO_ENDPOINT), so no SDK can require it.
            assert sdk_required == set() and resource.fields["minioServer"].required
        else:
            assert sdk_required == {n for n, f in resource.fields.items() if f.required and n != "name"}, token
        for name, field in resource.fields.items():
            if field.block is not None:
                python_name = next(py for py, pu in names.items() if pu == name)
                block_names = sdk_private.input_type_py_to_pulumi_names(nested_args_class(args_class, python_name))
                assert set(block_names.values()) == set(field.block), (token, name)


def test_the_runner_refuses_a_bad_registration_with_type_name_path_value_rule_and_source(tmp_path: Path):
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    program = """\
        import pulumi_minio as minio

        rule = minio.IlmPolicyRuleArgs(id="expire", expiration="30 days", status="Enabled")
        minio.IlmPolicy("exports-lifecycle", bucket="exports", rules=[rule])
        """
    (tmp_path / "__main__.py").write_text(textwrap.dedent(program))
    with pytest.raises(ProviderCheckError) as caught:
        run_stack("dev", project_dir=tmp_path)
    assert [(v.resource_name, v.path) for v in caught.value.violations] == [
        ("exports-lifecycle", "rules[0].expiration"),
        ("exports-lifecycle", "rules[0].status"),
    ]
    message = str(caught.value)
    assert "2 inputs the real providers would refuse" in message
    assert (
        "minio:index/ilmPolicy:IlmPolicy 'exports-lifecycle': rules[0].expiration = 30 days: "
        'must be a duration (5d), date (1970-01-01), or "DeleteMarker"' in message
    )
    assert "minio/resource_minio_ilm_policy.go, validateILMExpiration" in message
    assert caught.value.inventory.named("exports-lifecycle")
