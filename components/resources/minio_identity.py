"""A MinIO user with a generated secret and one canned policy attached: the shape of a service's parent user and of
the metrics user. Nobody is handed the secret; the user exists to own keys or to sign a token."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_minio as minio
import pulumi_random as random

from components.model.naming import identity_resource_names
from components.resources.outputs import secret


@dataclass(frozen=True)
class MinioIdentity:
    password: random.RandomPassword
    user: minio.IamUser
    policy: minio.IamPolicy
    attachment: minio.IamUserPolicyAttachment


def declare_minio_identity(
    prefix: str,
    *,
    user_resource: str,
    user_name: str,
    policy_name: str,
    policy: str,
    component: pulumi.Resource,
    opts: pulumi.ResourceOptions,
) -> MinioIdentity:
    """`<prefix>-secret`, the user `user_resource`, `<prefix>-policy` and `<prefix>-policy-attachment`; `opts` (the
    MinIO provider, protection) go on the MinIO resources, the generated secret is a plain child of `component`."""
    secret_name, policy_resource, attachment_resource = identity_resource_names(prefix)
    password = random.RandomPassword(
        secret_name,
        length=40,
        special=False,
        opts=pulumi.ResourceOptions(parent=component, additional_secret_outputs=["result"]),
    )
    user = minio.IamUser(
        user_resource,
        name=user_name,
        secret=secret(password.result),
        force_destroy=False,
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["secret"])),
    )
    canned = minio.IamPolicy(policy_resource, name=policy_name, policy=policy, opts=opts)
    attachment = minio.IamUserPolicyAttachment(
        attachment_resource, user_name=user.name, policy_name=canned.name, opts=opts
    )
    return MinioIdentity(password, user, canned, attachment)
