"""Recipes: MLflow experiment tracker and model registry, a server on the stack's GKE cluster.

Why MLflow on the GKE cluster, and not Cloud Run or a managed offering:

* GCP has no managed MLflow. On the cluster, the server is one small pod next to the steps
  that log to it: no public endpoint, no ingress, no certificates, nothing to authenticate
  at the network edge. Steps reach it by its cluster DNS name.
* Nothing new to pay for but the pod's share of a node and a small persistent disk; a Cloud
  SQL database would bill around the clock. The backend store is SQLite on that disk (one
  replica, recreated on update), which suits one team's tracking load.
* Run artifacts go straight from the client to the stack's bucket (``--default-artifact-root
  gs://...``) with the client's own identity (the steps' workload identity, or the stack user
  service account), so the server holds no Google credential at all.
* Auth is by reference: inside the cluster the namespace is the boundary; from a laptop, the
  stack user service account (which may port-forward to the server, and nothing else of it)
  reaches it with the ``port_forward_command`` the stack config holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.catalog.types import ComponentType
from provisioner.recipes import kube_objects
from provisioner.recipes.gcp import siblings
from provisioner.recipes.gcp.flavors import GKEMLflowConfig

PORT = 5000
LABELS = {"app.kubernetes.io/name": "mlflow", "app.kubernetes.io/managed-by": "provisioner"}


@dataclass(frozen=True)
class GCPMLflowArgs:
    """Inputs of an MLflow server on the GKE cluster.

    Attributes:
        config: the flavor's settings.
        bucket: the artifact bucket runs store artifacts in.
        orchestrator: the GKE orchestrator (its provider, namespace and stack user).
    """

    config: GKEMLflowConfig
    bucket: siblings.BucketRef
    orchestrator: Any

    @classmethod
    def from_config(cls, config: GKEMLflowConfig, ctx: RecipeContext, who: str) -> GCPMLflowArgs:
        """Args from the flavor config and the stack's bucket and cluster."""
        return cls(
            config=config,
            bucket=siblings.artifact_bucket(ctx, who),
            orchestrator=siblings.cluster(ctx, who),
        )


GCPMLflowExperimentTrackerArgs = GCPMLflowArgs
GCPMLflowModelRegistryArgs = GCPMLflowArgs


def server_args(artifact_root: str) -> list[str]:
    """The server's command line: SQLite on the disk, artifacts written by clients to GCS."""
    return [
        "mlflow",
        "server",
        "--host",
        "0.0.0.0",
        "--port",
        str(PORT),
        "--backend-store-uri",
        "sqlite:////data/mlflow.db",
        "--default-artifact-root",
        artifact_root,
        "--no-serve-artifacts",
    ]


class _MLflowServer:
    """The disk, Deployment and Service of the server, and the user's port-forward right."""

    def __init__(self, owner: pulumi.ComponentResource, name: str, args: GCPMLflowArgs):
        kube_objects.require_sdk(f"{owner.WHO} on GCP", "its server")  # type: ignore[attr-defined]
        objects = args.orchestrator.cluster_objects
        ns = args.orchestrator.args.config.namespace
        config = args.config
        opts = pulumi.ResourceOptions(
            parent=owner, provider=objects.provider, depends_on=[objects.namespace]
        )
        meta = {"name": "mlflow", "namespace": ns, "labels": LABELS}
        # Manifests are written as the cluster reads them (camelCase), as thin objects take them.
        self.disk = kube_objects.PersistentVolumeClaim(
            f"{name}-disk",
            metadata=meta,
            spec={
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": f"{config.database_size_gb}Gi"}},
            },
            opts=opts,
        )
        root = pulumi.Output.concat("gs://", args.bucket.name, "/", config.artifact_prefix)
        self.deployment = kube_objects.Deployment(
            f"{name}-server",
            metadata=meta,
            spec={
                "replicas": 1,
                "strategy": {"type": "Recreate"},  # SQLite: one writer at a time
                "selector": {"matchLabels": LABELS},
                "template": {
                    "metadata": {"labels": LABELS},
                    "spec": {
                        "automountServiceAccountToken": False,
                        "securityContext": {
                            "runAsNonRoot": True,
                            "runAsUser": 1000,
                            "fsGroup": 1000,
                        },
                        "containers": [
                            {
                                "name": "mlflow",
                                "image": config.image,
                                "args": root.apply(server_args),
                                "env": [{"name": "MLFLOW_DISABLE_TELEMETRY", "value": "true"}],
                                "ports": [{"containerPort": PORT, "name": "http"}],
                                "readinessProbe": {"httpGet": {"path": "/health", "port": PORT}},
                                "resources": {
                                    "requests": {"cpu": config.cpu, "memory": config.memory}
                                },
                                "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                            }
                        ],
                        "volumes": [
                            {"name": "data", "persistentVolumeClaim": {"claimName": "mlflow"}}
                        ],
                    },
                },
            },
            opts=pulumi.ResourceOptions(
                parent=owner, provider=objects.provider, depends_on=[self.disk]
            ),
        )
        self.service = kube_objects.Service(
            f"{name}-service",
            metadata=meta,
            spec={
                "selector": LABELS,
                "ports": [{"port": PORT, "targetPort": PORT, "name": "http"}],
            },
            opts=opts,
        )
        self.access_role = kube_objects.Role(
            f"{name}-access-role",
            metadata={"name": "mlflow-access", "namespace": ns, "labels": LABELS},
            rules=[
                {
                    "apiGroups": [""],
                    "resources": ["services"],
                    "resourceNames": ["mlflow"],
                    "verbs": ["get"],
                },
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
                {"apiGroups": [""], "resources": ["pods/portforward"], "verbs": ["create"]},
            ],
            opts=opts,
        )
        self.access_binding = kube_objects.RoleBinding(
            f"{name}-access-binding",
            metadata={"name": "mlflow-access", "namespace": ns, "labels": LABELS},
            roleRef={
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "mlflow-access",
            },
            subjects=[
                {
                    "kind": "User",
                    "name": args.orchestrator.user_account.email,
                    "apiGroup": "rbac.authorization.k8s.io",
                }
            ],
            opts=pulumi.ResourceOptions(
                parent=owner, provider=objects.provider, depends_on=[self.access_role]
            ),
        )
        context = args.orchestrator.connection["kube_context"]
        self.connection: dict[str, Any] = {
            "tracking_uri": f"http://mlflow.{ns}.svc.cluster.local:{PORT}",
            "gcp": {
                "project": args.orchestrator.args.project,
                "artifact_root": root,
                "port_forward_command": f"kubectl --context {context} -n {ns} port-forward "
                f"service/mlflow {PORT}:{PORT}",
            },
        }


class _MLflowComponent(pulumi.ComponentResource):
    TYPE: ClassVar[str]
    WHO: ClassVar[str]

    def _build(self, name: str, config: GKEMLflowConfig, ctx: RecipeContext) -> None:
        self.args = GCPMLflowArgs.from_config(config, ctx, self.WHO)
        self.mlflow = _MLflowServer(self, name, self.args)
        self.connection: dict[str, Any] = self.mlflow.connection


class GCPMLflowExperimentTracker(_MLflowComponent):
    """An MLflow tracking server in the orchestrator's namespace on the GKE cluster.

    Connection: ``{"tracking_uri", "gcp": {"project", "artifact_root",
    "port_forward_command"}}``.
    """

    TYPE = "provisioner:gcp:MLflowExperimentTracker"
    WHO = "experiment_tracker 'mlflow'"

    def __init__(
        self,
        name: str,
        config: GKEMLflowConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        self._build(name, config, ctx)
        self.register_outputs({"connection": self.connection})


class GCPMLflowModelRegistry(_MLflowComponent):
    """The MLflow model registry: the experiment tracker's server when the stack has one,
    else a server of its own. Connection: the tracker's, plus ``registry_uri``."""

    TYPE = "provisioner:gcp:MLflowModelRegistry"
    WHO = "model_registry 'mlflow'"

    def __init__(
        self,
        name: str,
        config: GKEMLflowConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        tracker = ctx.components.get(ComponentType.EXPERIMENT_TRACKER)
        if isinstance(tracker, GCPMLflowExperimentTracker):
            if config != GKEMLflowConfig():
                pulumi.log.warn(
                    "model_registry 'mlflow' shares the experiment tracker's MLflow server, so "
                    "its own config is ignored; set it on the experiment_tracker instead",
                    resource=self,
                )
            self.mlflow = None
            self.connection = {**tracker.connection}
        else:
            self._build(name, config, ctx)
            self.connection = {**self.connection}
        self.connection["registry_uri"] = self.connection["tracking_uri"]
        self.register_outputs({"connection": self.connection})
