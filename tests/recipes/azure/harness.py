"""Pulumi mocks for the Azure recipes: run a program, record every registration, check them."""

from __future__ import annotations

import base64
import hashlib
import importlib
import inspect
import re
from collections.abc import Callable
from typing import Any

import yaml
from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.azure.roles import BROAD_ROLES, ROLES
from provisioner.spec.models import AzureStack
from tests.recipes.pulumi_mocks import (
    STACK,
    RecordingMocks,
    Registration,
    Run,
    check_outputs,
    check_tree,
    run_program,
    stack_ctx,
)

SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
TENANT = "99999999-8888-7777-6666-555555555555"
DEPLOYER = "dddddddd-0000-0000-0000-000000000001"
LOCATION = "westeurope"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
CA = base64.b64encode(b"-----BEGIN CERTIFICATE-----test").decode()

__all__ = ["STACK", "Registration", "Run"]


def make_ctx(
    name: str = STACK, location: str = LOCATION, tags: dict[str, str] | None = None, **extra
) -> RecipeContext:
    """A RecipeContext for an Azure stack with no components built yet."""
    return stack_ctx(AzureStack, name, tags, cloud="azure", location=location, **extra)


def _user_kubeconfig(fqdn: str) -> str:
    config = {
        "apiVersion": "v1",
        "clusters": [
            {
                "name": "c",
                "cluster": {"server": f"https://{fqdn}:443", "certificate-authority-data": CA},
            }
        ],
        "users": [{"name": "u", "user": {"exec": {"command": "kubelogin"}}}],
    }
    return base64.b64encode(yaml.safe_dump(config).encode()).decode()


class AzureMocks(RecordingMocks):
    """Answers the data sources the Azure recipes call and fills in computed outputs the way
    Azure Resource Manager would (resource ids, endpoints, identities)."""

    def call(self, args: MockCallArgs) -> tuple[dict, list | None]:
        self.calls.append(args)
        if args.token == "azure-native:authorization:getClientConfig":
            return {
                "clientId": "cccccccc-0000-0000-0000-000000000000",
                "objectId": DEPLOYER,
                "subscriptionId": SUBSCRIPTION,
                "tenantId": TENANT,
            }, []
        if args.token == "azure-native:containerservice:listManagedClusterUserCredentials":
            name = args.args["resourceName"]
            fqdn = f"{name}-{_h(name)}.hcp.{LOCATION}.azmk8s.io"
            return {"kubeconfigs": [{"name": "clusterUser", "value": _user_kubeconfig(fqdn)}]}, []
        raise NotImplementedError(f"the Azure mocks do not answer {args.token}; add it")

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict]:
        inputs = args.inputs
        out: dict[str, Any] = dict(inputs)
        typ = args.typ
        if typ.startswith("pulumi:providers:"):
            return f"{args.name}-provider-id", out
        group = inputs.get("resourceGroupName", "")
        rg_id = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}"
        h = _h(args.name)
        match typ:
            case "azure-native:resources:ResourceGroup":
                name = inputs["resourceGroupName"]
                rid = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{name}"
            case "azure-native:storage:StorageAccount":
                name = inputs["accountName"]
                rid = f"{rg_id}/providers/Microsoft.Storage/storageAccounts/{name}"
                out["primaryEndpoints"] = {"blob": f"https://{name}.blob.core.windows.net/"}
            case "azure-native:storage:BlobContainer":
                name = inputs["containerName"]
                rid = (
                    f"{rg_id}/providers/Microsoft.Storage/storageAccounts/{inputs['accountName']}"
                    f"/blobServices/default/containers/{name}"
                )
            case "azure-native:containerregistry:Registry":
                name = inputs["registryName"]
                rid = f"{rg_id}/providers/Microsoft.ContainerRegistry/registries/{name}"
                out["loginServer"] = f"{name.lower()}.azurecr.io"
            case "azure-native:managedidentity:UserAssignedIdentity":
                name = inputs["resourceName"]
                rid = f"{rg_id}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
                out["clientId"] = f"client-{h}"
                out["principalId"] = f"principal-{h}"
                out["tenantId"] = TENANT
            case "azure-native:containerservice:ManagedCluster":
                name = inputs["resourceName"]
                rid = f"{rg_id}/providers/Microsoft.ContainerService/managedClusters/{name}"
                out["fqdn"] = f"{name}-{_h(name)}.hcp.{LOCATION}.azmk8s.io"
                out["oidcIssuerProfile"] = {
                    "enabled": True,
                    "issuerURL": f"https://{LOCATION}.oic.prod-aks.azure.com/{TENANT}/{h}/",
                }
                out["identityProfile"] = {
                    "kubeletidentity": {"objectId": f"kubelet-{h}", "clientId": f"kc-{h}"}
                }
            case "azure-native:keyvault:Vault":
                name = inputs["vaultName"]
                rid = f"{rg_id}/providers/Microsoft.KeyVault/vaults/{name}"
                out["properties"] = {
                    **inputs["properties"],
                    "vaultUri": f"https://{name}.vault.azure.net/",
                }
            case "azure-native:machinelearningservices:Workspace":
                name = inputs["workspaceName"]
                rid = f"{rg_id}/providers/Microsoft.MachineLearningServices/workspaces/{name}"
                out["mlFlowTrackingUri"] = f"azureml://{LOCATION}.api.azureml.ms/mlflow/v1.0{rid}"
            case "azure-native:authorization:RoleAssignment":
                name = inputs["roleAssignmentName"]
                rid = f"{inputs['scope']}/providers/Microsoft.Authorization/roleAssignments/{name}"
            case _:
                name = next(
                    (
                        v
                        for k, v in inputs.items()
                        if k.endswith("Name") and k != "resourceGroupName"
                    ),
                    args.name,
                )
                rid = f"{rg_id}/providers/Mock/{typ.split(':')[-1]}/{name}"
        identity = inputs.get("identity")
        if isinstance(identity, dict) and isinstance(identity.get("userAssignedIdentities"), list):
            # Sent as a list of ids, returned as a map of id -> details.
            ids = identity["userAssignedIdentities"]
            out["identity"] = {**identity, "userAssignedIdentities": {i: {} for i in ids}}
        out["name"] = name
        out["id"] = rid
        return rid, out


def _h(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:7]


def run(
    build: Callable[[], Any], *, connections: Callable[[Any], dict[str, Any]] | None = None
) -> Run:
    """Run ``build`` as a Pulumi program under the Azure mocks (not a preview)."""
    return run_program(AzureMocks(), build, connections=connections)


def _resource_class(token: str) -> type | None:
    pkg, module, cls = token.split(":")
    if pkg != "azure-native":
        return None
    return getattr(importlib.import_module(f"pulumi_azure_native.{module}"), cls)


def accepts(token: str, arg: str) -> bool:
    """True when the pulumi_azure_native resource class of ``token`` takes the input ``arg``."""
    cls = _resource_class(token)
    return cls is not None and arg in inspect.signature(cls._internal_init).parameters


#: Scope kinds a role assignment may have: one resource (or a child of one), never a
#: resource group or a subscription.
_SCOPE = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.[A-Za-z]+/[A-Za-z]+/[^/]+"
)
_ROLE_IDS = {v: k for k, v in ROLES.items()}
#: What a role assignment's description says it is on -> what its scope must be.
_TARGETS = {
    "artifact container": "/providers/Microsoft.Storage/storageAccounts/[^/]+/blobServices/default/containers/[^/]+$",
    "container registry": "/providers/Microsoft.ContainerRegistry/registries/[^/]+$",
    "AKS cluster": "/providers/Microsoft.ContainerService/managedClusters/[^/]+$",
    "AzureML workspace": "/providers/Microsoft.MachineLearningServices/workspaces/[^/]+$",
    "alerter key vault": "/providers/Microsoft.KeyVault/vaults/[^/]+$",
}


def role_assignments(r: Run) -> list[tuple[str, str, str, Registration]]:
    """Every role assignment as (role name, scope, principal id, registration)."""
    out = []
    for ra in r.of_type("azure-native:authorization:RoleAssignment"):
        guid = ra.inputs["roleDefinitionId"].rsplit("/", 1)[-1]
        out.append((_ROLE_IDS.get(guid, guid), ra.inputs["scope"], ra.inputs["principalId"], ra))
    return out


def role_problems(r: Run) -> list[str]:
    """Role assignments that grant more than the recipes ever need."""
    problems = []
    for _role, scope, _, ra in role_assignments(r):
        definition = ra.inputs["roleDefinitionId"]
        guid = definition.rsplit("/", 1)[-1]
        if guid in BROAD_ROLES:
            problems.append(f"{ra.name}: {BROAD_ROLES[guid]}")
        if guid not in _ROLE_IDS:
            problems.append(f"{ra.name}: unknown role {guid}")
        if not _SCOPE.match(scope):
            problems.append(f"{ra.name}: scope {scope} is not one resource")
        if not definition.startswith(f"/subscriptions/{SUBSCRIPTION}/providers/"):
            problems.append(f"{ra.name}: role definition {definition}")
        if not re.fullmatch(r"[0-9a-f-]{36}", ra.inputs["roleAssignmentName"]):
            problems.append(f"{ra.name}: name is not a GUID")
        said = re.fullmatch(r"(.+) on the (.+) of stack .+", ra.inputs.get("description", ""))
        if not said or said.group(1) != _role or said.group(2) not in _TARGETS:
            problems.append(f"{ra.name}: description {ra.inputs.get('description')!r}")
        elif not re.search(_TARGETS[said.group(2)], scope):
            problems.append(f"{ra.name}: says {said.group(2)}, scope is {scope}")
    return problems


def check_all(r: Run, stack: str = STACK) -> None:
    """The invariants every Azure recipe keeps, over every registered resource."""
    wanted_tags = {"stack": stack, "managed-by": "provisioner"}
    components = check_tree(r, "azure")
    providers = {x.urn for x in r.of_type("pulumi:providers:azure-native")}
    assert len(providers) == 1, "one azure-native provider per stack"
    for res in r.custom:
        if res.type.startswith("azure-native:"):
            assert res.provider.rsplit("::", 1)[0] in providers, (res.name, res.provider)
        if accepts(res.type, "tags"):
            tags = res.inputs.get("tags") or {}
            assert wanted_tags.items() <= tags.items(), f"{res.type} {res.name} tags {tags}"
        if (
            accepts(res.type, "location")
            and res.type != "azure-native:machinelearningservices:Compute"
        ):
            assert res.inputs.get("location") == LOCATION, f"{res.type} {res.name} location"
        if accepts(res.type, "resource_group_name"):
            group = r.one("azure-native:resources:ResourceGroup")
            assert res.inputs["resourceGroupName"] == group.inputs["resourceGroupName"], res.name
    assert not role_problems(r), role_problems(r)
    check_outputs(
        r,
        components,
        without_connection=("provisioner:azure:ResourceGroup", "provisioner:azure:MLWorkspace"),
    )


def build_storage(ctx: RecipeContext, *, registry: bool = True) -> None:
    """Build the artifact store (and container registry) the other recipes build on."""
    from provisioner.catalog.types import ComponentType
    from provisioner.recipes.azure.artifact_store import AzureArtifactStore
    from provisioner.recipes.azure.container_registry import AzureContainerRegistry
    from provisioner.recipes.azure.flavors import (
        ACRContainerRegistryConfig,
        AzureBlobArtifactStoreConfig,
    )

    ctx.components[ComponentType.ARTIFACT_STORE] = AzureArtifactStore(
        f"{ctx.spec.name}-artifact-store", AzureBlobArtifactStoreConfig(), ctx
    )
    if registry:
        ctx.components[ComponentType.CONTAINER_REGISTRY] = AzureContainerRegistry(
            f"{ctx.spec.name}-container-registry", ACRContainerRegistryConfig(), ctx
        )
