"""Recipe: Label Studio on the stack's EKS cluster (a Deployment, a Service and a
PersistentVolumeClaim in the orchestrator's namespace), with a generated admin."""

from __future__ import annotations

from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.recipes.aws.credentials import GeneratedCredentials
from provisioner.recipes.aws.flavors import KubernetesLabelStudioConfig
from provisioner.recipes.aws.label_studio_manifests import (
    LabelStudioManifestArgs,
    deployment,
    service,
    url,
    volume_claim,
)


class AWSLabelStudio(pulumi.ComponentResource):
    """Label Studio in the kubernetes orchestrator's namespace.

    Connection: ``{"url": "http://<name>.<namespace>.svc.cluster.local:8080", "token_env",
    "namespace", "service"}``: steps in the cluster reach the URL; from outside,
    ``kubectl -n <namespace> port-forward svc/<service> 8080``. The admin's password and
    token are in a Kubernetes Secret and in the stack's secret outputs, never the config.
    """

    TYPE = "provisioner:aws:LabelStudio"

    def __init__(
        self,
        name: str,
        config: KubernetesLabelStudioConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        orchestrator = ctx.components.get(ComponentType.ORCHESTRATOR)
        objects = getattr(orchestrator, "objects", None)
        if objects is None:
            raise UserInputError(
                "annotator 'label_studio' on aws runs on the stack's cluster: it needs an "
                "orchestrator of flavor 'kubernetes' listed before it"
            )
        k8s = _kubernetes_sdk()
        namespace = orchestrator.connection["namespace"]
        self.args = LabelStudioManifestArgs(
            name=config.name,
            namespace=namespace,
            image=config.image,
            secret_name=f"{config.name}-admin",
            storage=config.storage,
            storage_class=config.storage_class,
            cpu=config.cpu,
            memory=config.memory,
        )
        self.credentials = GeneratedCredentials(
            f"{name}-credentials", config.username, pulumi.ResourceOptions(parent=self)
        )
        inside = pulumi.ResourceOptions(
            parent=self, provider=objects.provider, depends_on=[objects.namespace]
        )
        creds = pulumi.Output.secret(self.credentials.credentials)
        self.secret = k8s.core.v1.Secret(
            f"{name}-admin",
            metadata={
                "name": self.args.secret_name,
                "namespace": namespace,
                "labels": {"app.kubernetes.io/managed-by": "provisioner"},
            },
            string_data=creds,
            type="Opaque",
            opts=inside,
        )
        claim = volume_claim(self.args)
        self.volume_claim = k8s.core.v1.PersistentVolumeClaim(
            f"{name}-data", metadata=claim["metadata"], spec=claim["spec"], opts=inside
        )
        deploy = deployment(self.args)
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=deploy["metadata"],
            spec=deploy["spec"],
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=objects.provider,
                depends_on=[self.secret, self.volume_claim],
            ),
        )
        svc = service(self.args)
        self.service = k8s.core.v1.Service(
            f"{name}-service", metadata=svc["metadata"], spec=svc["spec"], opts=inside
        )
        self.connection: dict[str, Any] = {
            "url": url(self.args),
            "token_env": config.token_env,
            "namespace": namespace,
            "service": config.name,
        }
        self.secrets: dict[str, Any] = {
            "url": url(self.args),
            "username": creds.apply(lambda c: (c or {}).get("username")),
            "password": creds.apply(lambda c: (c or {}).get("password")),
            "api_token": creds.apply(lambda c: (c or {}).get("token")),
            "token_env": config.token_env,
        }
        self.register_outputs({"connection": self.connection, "secrets": self.secrets})


def _kubernetes_sdk() -> Any:
    try:
        import pulumi_kubernetes
    except ImportError:
        raise UserInputError(
            "annotator 'label_studio' on aws needs the pulumi-kubernetes package to create "
            "its Deployment, Service and volume claim in the cluster",
            hint="install it with `provisioner integration install kubernetes` "
            "(or: pip install 'provisioner[kubernetes]')",
        ) from None
    return pulumi_kubernetes
