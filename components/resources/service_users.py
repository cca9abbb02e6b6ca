"""One MinIO parent user per consuming service, holding that service's grants over every tenant.

Nobody receives these users' passwords: they only own the per-tenant access keys, which MinIO narrows by
their embedded policies. Their policies name no tenant, so this component is the same for any tenants.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_minio as minio
import pulumi_random as random

from components import tokens
from components.model.iam import parent_policy_json
from components.model.naming import service_parent_policy_name, service_parent_user
from components.model.tenancy import consuming_services
from components.resources.outputs import secret


@dataclass(frozen=True)
class ServiceUsersArgs:
    provider: minio.Provider
    # Protected where the stack protects (prod): MinIO's DeleteUser also deletes every service account of the user
    # (RELEASE.2024-12-18T13-15-44Z cmd/iam-store.go `IAMStoreSys.DeleteUser`), i.e. this service's key of every
    # tenant, and without its policy or attachment the parent grants nothing to any key under it.
    protect: bool = False
    # Services acknowledged in `retiringServices`: their parent resources are unprotected, so that the `up` after the
    # service leaves the catalog can delete them (the engine refuses to delete a protected resource).
    retiring: tuple[str, ...] = ()


class ServiceUsers(pulumi.ComponentResource):
    """Parent users and their policies; `users[service]` is the user a tenant's access key hangs off."""

    def __init__(self, name: str, args: ServiceUsersArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(tokens.SERVICE_USERS, name, None, opts)
        self.users: dict[str, minio.IamUser] = {}
        for service_id in consuming_services():
            protect = args.protect and service_id not in args.retiring
            child = pulumi.ResourceOptions(parent=self, provider=args.provider, protect=protect)
            password = random.RandomPassword(
                f"{service_id}-parent-secret",
                length=40,
                special=False,
                opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["result"]),
            )
            user = minio.IamUser(
                f"{service_id}-parent",
                name=service_parent_user(service_id),
                secret=secret(password.result),
                force_destroy=False,
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(additional_secret_outputs=["secret"])),
            )
            policy = minio.IamPolicy(
                f"{service_id}-parent-policy",
                name=service_parent_policy_name(service_id),
                policy=parent_policy_json(service_id),
                opts=child,
            )
            minio.IamUserPolicyAttachment(
                f"{service_id}-parent-policy-attachment",
                user_name=user.name,
                policy_name=policy.name,
                opts=child,
            )
            self.users[service_id] = user
        # The plan diff reads `retiring` from the base side: a parent deleted after its acknowledgement is expected.
        self.register_outputs(
            {"users": {s: service_parent_user(s) for s in self.users}, "retiring": sorted(args.retiring)}
        )
