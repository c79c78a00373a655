"""Recipe: the Kubernetes orchestrator, an AKS cluster with workload identity for pipeline steps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.azure import names, roles, siblings
from provisioner.recipes.azure.base import component_options, stack_base
from provisioner.recipes.azure.cluster_access import ClusterAccess, ClusterAccessArgs
from provisioner.recipes.azure.cluster_objects import ClusterObjects, ClusterObjectsArgs
from provisioner.recipes.azure.flavors import AKSOrchestratorConfig
from provisioner.recipes.azure.sdk import azure, field
from provisioner.recipes.kube_bootstrap import serves_models

#: The audience AKS workload identity tokens are exchanged for.
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"


@dataclass(frozen=True)
class AzureKubernetesOrchestratorArgs:
    """Inputs of an AzureKubernetesOrchestrator.

    Attributes:
        location: Azure location.
        tags: tags of every taggable resource.
        config: the flavor's settings.
        container: the artifact container steps read and write.
        registry: the registry steps pull from, if the stack has one.
    """

    location: str
    tags: dict[str, str]
    config: AKSOrchestratorConfig
    container: siblings.ContainerRef
    registry: siblings.RegistryRef | None

    @classmethod
    def from_config(
        cls, config: AKSOrchestratorConfig, ctx: RecipeContext
    ) -> AzureKubernetesOrchestratorArgs:
        """Args from the flavor config, the stack and its sibling components."""
        return cls(
            location=ctx.spec.location_name,  # type: ignore[union-attr]
            tags=ctx.tags,
            config=config,
            container=siblings.artifact_container(ctx, "orchestrator 'kubernetes'"),
            registry=siblings.optional_registry(ctx),
        )


def credentials_command(resource_group: str, cluster: str, subscription: str) -> str:
    """What a user runs to get a kubeconfig for the cluster (no credential is stored)."""
    return (
        f"az aks get-credentials --subscription {subscription} --resource-group "
        f"{resource_group} --name {cluster} && kubelogin convert-kubeconfig -l azurecli"
    )


class AzureKubernetesOrchestrator(pulumi.ComponentResource):
    """An AKS cluster (Entra ID auth, Kubernetes RBAC, OIDC issuer, workload identity), and
    the runner identity steps run as.

    Steps run as Jobs under ``namespace``/``service_account``; the service account is federated
    with the runner identity, which may only read and write the artifact container and pull
    from the stack's registry. The recipe creates the namespace, the service account and the
    runner's RBAC in the cluster, and the stack user identity (``auth`` names its client id
    and tenant) whose rights the listed ``users`` share.

    Connection: ``{"cluster_name", "endpoint", "kube_context", "namespace", "service_account",
    "credentials_command", "azure": {"subscription_id", "resource_group", "region",
    "runner_client_id", "tenant_id"}}``.
    """

    TYPE = "provisioner:azure:KubernetesOrchestrator"

    def __init__(
        self,
        name: str,
        config: AKSOrchestratorConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, component_options(ctx, opts))
        args = self.args = AzureKubernetesOrchestratorArgs.from_config(config, ctx)
        base = stack_base(ctx)
        child = pulumi.ResourceOptions(parent=self)
        stack = ctx.spec.name
        cluster_name = names.fit(name, names.AKS_CLUSTER[1])
        self.cluster = azure.containerservice.ManagedCluster(
            f"{name}-cluster",
            resource_name_=cluster_name,
            resource_group_name=base.group.name,
            location=args.location,
            dns_prefix=names.fit(name, names.AKS_DNS_PREFIX[1]),
            kubernetes_version=config.kubernetes_version,
            sku={"name": "Base", "tier": config.sku_tier},
            # Community support only: long-term support needs the Premium tier, billed per hour.
            support_plan="KubernetesOfficial",
            identity={"type": "SystemAssigned"},
            agent_pool_profiles=[
                {
                    "name": "system",
                    "mode": "System",
                    "os_type": "Linux",
                    "vm_size": config.vm_size,
                    "os_disk_size_gb": config.os_disk_size_gb,
                    "count": config.min_nodes,
                    "min_count": config.min_nodes,
                    "max_count": config.max_nodes,
                    "enable_auto_scaling": True,
                    "type": "VirtualMachineScaleSets",
                }
            ],
            aad_profile={"managed": True, "enable_azure_rbac": True},
            disable_local_accounts=True,
            enable_rbac=True,
            oidc_issuer_profile={"enabled": True},
            security_profile={"workload_identity": {"enabled": True}},
            api_server_access_profile={
                "enable_private_cluster": config.private_cluster,
                "authorized_ip_ranges": None
                if config.private_cluster
                else list(config.authorized_ip_ranges),
            },
            auto_upgrade_profile={"upgrade_channel": config.upgrade_channel},
            network_profile={"network_plugin": "azure", "network_plugin_mode": "overlay"},
            tags=args.tags,
            opts=child,
        )
        # The deployer creates the namespace and its roles through the API (Entra ID auth).
        self.deployer_admin = roles.assign(
            f"{name}-deployer-admin",
            stack=stack,
            role="Azure Kubernetes Service RBAC Cluster Admin",
            on="AKS cluster",
            scope=self.cluster.id,
            principal_id=base.deployer_object_id,
            principal_type=None,
            opts=child,
        )
        self.runner_identity = azure.managedidentity.UserAssignedIdentity(
            f"{name}-runner-identity",
            resource_name_=names.fit(f"{name}-runner", names.IDENTITY[1]),
            resource_group_name=base.group.name,
            location=args.location,
            tags=args.tags,
            opts=child,
        )
        issuer = self.cluster.oidc_issuer_profile.apply(lambda p: field(p, "issuer_url"))
        self.federated_credential = azure.managedidentity.FederatedIdentityCredential(
            f"{name}-runner-federation",
            federated_identity_credential_resource_name=names.fit(
                f"{name}-{config.namespace}-{config.service_account}",
                names.FEDERATED_CREDENTIAL[1],
            ),
            resource_name_=self.runner_identity.name,
            resource_group_name=base.group.name,
            issuer=issuer,
            subject=f"system:serviceaccount:{config.namespace}:{config.service_account}",
            audiences=[TOKEN_EXCHANGE_AUDIENCE],
            opts=child,
        )
        runner = self.runner_identity.principal_id
        self.runner_grants = [
            roles.assign(
                f"{name}-runner-blob",
                stack=stack,
                role="Storage Blob Data Contributor",
                on="artifact container",
                scope=args.container.scope,
                principal_id=runner,
                principal_type="ServicePrincipal",
                opts=child,
            )
        ]
        if args.registry is not None:
            self.runner_grants.append(
                roles.assign(
                    f"{name}-runner-pull",
                    stack=stack,
                    role="AcrPull",
                    on="container registry",
                    scope=args.registry.id,
                    principal_id=runner,
                    principal_type="ServicePrincipal",
                    opts=child,
                )
            )
            # The kubelet pulls step images with the cluster's kubelet identity.
            self.runner_grants.append(
                roles.assign(
                    f"{name}-kubelet-pull",
                    stack=stack,
                    role="AcrPull",
                    on="container registry",
                    scope=args.registry.id,
                    principal_id=self.cluster.identity_profile.apply(
                        lambda p: field(field(p, "kubeletidentity"), "object_id")
                    ),
                    principal_type="ServicePrincipal",
                    opts=child,
                )
            )
        self.access = ClusterAccess(
            self,
            name,
            ClusterAccessArgs(
                stack=stack,
                location=args.location,
                tags=args.tags,
                resource_group=base.group.name,
                cluster_id=self.cluster.id,
                container=args.container,
                registry=args.registry,
                users=list(config.users),
            ),
        )
        #: Who the runtime acts as; later recipes grant them their use.
        self.identities: dict[str, siblings.Identity] = {
            "orchestrator": siblings.Identity(runner, "ServicePrincipal"),
            **self.access.identities,
        }
        credentials = azure.containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=base.group.name,
            resource_name=self.cluster.name,
            opts=pulumi.InvokeOutputOptions(parent=self, depends_on=[self.cluster]),
        )
        endpoint = pulumi.Output.concat("https://", self.cluster.fqdn, ":443")
        self.objects = ClusterObjects(
            self,
            name,
            ClusterObjectsArgs(
                cluster_name=self.cluster.name,
                endpoint=endpoint,
                user_kubeconfig=credentials.kubeconfigs.apply(lambda k: field(k[0], "value")),
                namespace=config.namespace,
                service_account=config.service_account,
                runner_client_id=self.runner_identity.client_id,
                subjects=self.access.subjects(),
                depends_on=[self.deployer_admin],
                serves_models=serves_models(ctx, config.namespace),
            ),
        )
        self.connection: dict[str, Any] = {
            "cluster_name": cluster_name,
            "endpoint": endpoint,
            "kube_context": cluster_name,
            "namespace": config.namespace,
            "service_account": config.service_account,
            "credentials_command": pulumi.Output.from_input(base.subscription_id).apply(
                lambda sub: credentials_command(base.name, cluster_name, sub)
            ),
            "azure": {
                "subscription_id": base.subscription_id,
                "resource_group": base.name,
                "region": args.location,
                "runner_client_id": self.runner_identity.client_id,
                "tenant_id": self.runner_identity.tenant_id,
            },
        }
        #: How the stack config's holder authenticates: as the stack user identity, in its
        #: tenant (a listed user signs in with `az login` and holds the same rights).
        self.auth: dict[str, Any] = {
            "azure_client_id": self.access.user_identity.client_id,
            "azure_tenant_id": self.access.user_identity.tenant_id,
        }
        self.register_outputs(
            {
                "cluster_id": self.cluster.id,
                "oidc_issuer_url": issuer,
                "user_identity_client_id": self.access.user_identity.client_id,
                "connection": self.connection,
            }
        )
