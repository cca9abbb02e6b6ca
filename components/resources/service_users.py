"""One MinIO parent user per consuming service, holding that service's grants over every tenant.

Nobody receives these users' passwords: they only own the per-tenant access keys, which MinIO narrows by
their embedded policies. Their policies name no tenant, so this component is the same for any tenants.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_minio as minio

from components import tokens
from components.catalog import consuming_services
from components.model.iam import parent_policy_json
from components.model.naming import service_parent_policy_name, service_parent_user
from components.resources.minio_identity import declare_minio_identity


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
            identity = declare_minio_identity(
                f"{service_id}-parent",
                user_resource=f"{service_id}-parent",
                user_name=service_parent_user(service_id),
                policy_name=service_parent_policy_name(service_id),
                policy=parent_policy_json(service_id),
                component=self,
                opts=child,
            )
            self.users[service_id] = identity.user
        # The plan diff reads `retiring` from the base side: a parent deleted after its acknowledgement is expected.
        self.register_outputs(
            {"users": {s: service_parent_user(s) for s in self.users}, "retiring": sorted(args.retiring)}
        )
