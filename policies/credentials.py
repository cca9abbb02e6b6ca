"""Secrets and encryption: no credential in Helm values or stack outputs; a KMS and default encryption."""

from __future__ import annotations

import re

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from components import tokens
from policies.engine_values import (
    PRODUCTION_FLAG,
    bucket_name,
    credential_literals,
    release_environment,
    release_values,
    resources_of,
    secret_masks,
)

# Server environment names that carry a credential; `values.environment` is rendered into the pod spec in clear.
SECRET_ENV_NAME = re.compile(r"^MINIO_ROOT_|_SECRET_KEY$|_API_KEY$|PASSWORD", re.IGNORECASE)


def validate_no_plaintext_secrets(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != tokens.HELM_RELEASE:
        return
    values = release_values(args.props)
    if not values.get("existingSecret"):
        report("values.existingSecret is not set: root credentials must come from a Kubernetes Secret", None)
    for name in release_environment(values):
        if SECRET_ENV_NAME.search(str(name)):
            report(
                f"values.environment.{name} looks like a credential; environment values are rendered into the "
                "pod spec in clear, put it in the extraSecret Secret",
                None,
            )
    # The environment is judged by name above; everything else by credential-named keys with a literal.
    for path in credential_literals(values):
        if path.split(".", 1)[0] != "environment":
            report(f"values.{path} holds a literal credential; reference a Secret instead", None)


def validate_kms_configured(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != tokens.HELM_RELEASE:
        return
    values = release_values(args.props)
    environment = release_environment(values)
    if environment.get("MINIO_KMS_KES_ENDPOINT"):
        if not environment.get("MINIO_KMS_KES_KEY_NAME"):
            report("MINIO_KMS_KES_ENDPOINT is set without MINIO_KMS_KES_KEY_NAME, the default key", None)
    elif args.get_config().get("production", False):
        report("production needs KES (MINIO_KMS_KES_ENDPOINT): a static key is one key for all tenants", None)
    elif not values.get("extraSecret"):
        # A static key (MINIO_KMS_SECRET_KEY) may only come from the extraSecret Secret, never `environment`.
        report("no KMS: set MINIO_KMS_KES_ENDPOINT, or a static key through values.extraSecret", None)


def validate_no_secret_stack_outputs(args: StackValidationArgs, report: ReportViolation) -> None:
    stacks = resources_of(args, tokens.STACK)
    if not stacks:
        args.not_applicable("the engine handed over no pulumi:pulumi:Stack resource with the outputs")
    for stack in stacks:
        for path in secret_masks(stack.props):
            report(f"stack output {path} is a secret; export the name of the Secret holding it instead", stack.urn)
        for path in credential_literals(stack.props):
            report(f"stack output {path} exports a credential", stack.urn)


def validate_bucket_default_encryption(args: StackValidationArgs, report: ReportViolation) -> None:
    encrypted = set()
    for encryption in resources_of(args, tokens.S3_BUCKET_ENCRYPTION):
        if encryption.props.get("encryptionType") == "aws:kms" and encryption.props.get("kmsKeyId"):
            encrypted.add(bucket_name(encryption))
        else:
            report(f"default encryption of {bucket_name(encryption)!r} is not aws:kms with a key id", encryption.urn)
    for bucket in resources_of(args, tokens.S3_BUCKET):
        if bucket_name(bucket) not in encrypted:
            report(f"bucket {bucket_name(bucket)!r} has no aws:kms default encryption", bucket.urn)


NO_PLAINTEXT_SECRETS = ResourceValidationPolicy(
    name="no-plaintext-secrets",
    description=(
        "Helm values hold no credentials: root credentials come from existingSecret, secret settings from extraSecret."
    ),
    validate=validate_no_plaintext_secrets,
    enforcement_level=EnforcementLevel.MANDATORY,
)


NO_SECRET_STACK_OUTPUTS = StackValidationPolicy(
    name="no-secret-stack-outputs",
    description="Stack outputs name Secrets; they never carry secret values or credentials.",
    validate=validate_no_secret_stack_outputs,
    enforcement_level=EnforcementLevel.MANDATORY,
)


KMS_CONFIGURED = ResourceValidationPolicy(
    name="kms-configured",
    description="The server has a KMS for encryption at rest; production uses KES, which holds per-tenant keys.",
    validate=validate_kms_configured,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=PRODUCTION_FLAG),
)


BUCKET_DEFAULT_ENCRYPTION = StackValidationPolicy(
    name="bucket-default-encryption",
    description="Every bucket has an aws:kms default encryption (S3BucketServerSideEncryption) with a key id.",
    validate=validate_bucket_default_encryption,
    enforcement_level=EnforcementLevel.MANDATORY,
)
