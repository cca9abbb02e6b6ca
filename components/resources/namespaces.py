"""ServiceNamespaces: the consuming services' namespaces, where this program is asked to create them."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components import tokens
from components.model.config import Settings


@dataclass(frozen=True)
class ServiceNamespacesArgs:
    settings: Settings
    k8s_provider: k8s.Provider


class ServiceNamespaces(pulumi.ComponentResource):
    """One namespace per distinct `services:` namespace (createServiceNamespaces: a fresh dev cluster has none;
    elsewhere the platform owns them and this component is not declared)."""

    def __init__(self, name: str, args: ServiceNamespacesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(tokens.SERVICE_NAMESPACES, name, None, opts)
        settings = args.settings
        on_k8s = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider, protect=settings.protect)
        self.namespaces: dict[str, pulumi.Resource] = {
            namespace: k8s.core.v1.Namespace(
                f"namespace-{namespace}",
                metadata={
                    "name": namespace,
                    "labels": {"app.kubernetes.io/part-of": "matih", "app.kubernetes.io/managed-by": "pulumi"},
                },
                opts=on_k8s,
            )
            for namespace in settings.consumer_namespaces
        }
        self.register_outputs({"namespaces": sorted(self.namespaces)})
