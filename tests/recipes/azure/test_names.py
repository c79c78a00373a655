"""Every physical name of the azure-recipe fits Azure's rules, even for a 40-character stack."""

from __future__ import annotations

import pytest
import yaml

from provisioner.program import build_program
from provisioner.recipes.azure import names
from provisioner.spec.loader import builtin_recipes, load_text
from tests.recipes.azure import harness

#: The longest stack name the spec allows (40 characters).
LONG = "research-platform-experiments-team-euw1x"

#: Resource type -> (input holding its physical name, Azure's rule).
RULES = {
    "azure-native:resources:ResourceGroup": ("resourceGroupName", names.RESOURCE_GROUP),
    "azure-native:storage:StorageAccount": ("accountName", names.STORAGE_ACCOUNT),
    "azure-native:storage:BlobContainer": ("containerName", names.STORAGE_CONTAINER),
    "azure-native:containerregistry:Registry": ("registryName", names.CONTAINER_REGISTRY),
    "azure-native:keyvault:Vault": ("vaultName", names.KEY_VAULT),
    "azure-native:containerservice:ManagedCluster": ("resourceName", names.AKS_CLUSTER),
    "azure-native:managedidentity:UserAssignedIdentity": ("resourceName", names.IDENTITY),
    "azure-native:managedidentity:FederatedIdentityCredential": (
        "federatedIdentityCredentialResourceName",
        names.FEDERATED_CREDENTIAL,
    ),
    "azure-native:machinelearningservices:Workspace": ("workspaceName", names.ML_WORKSPACE),
    "azure-native:machinelearningservices:Compute": ("computeName", names.ML_COMPUTE),
    "azure-native:applicationinsights:Component": ("resourceName", names.APP_INSIGHTS),
    "azure-native:operationalinsights:Workspace": ("workspaceName", names.LOG_WORKSPACE),
}
#: Names Azure fixes itself (singletons of their parent) and role assignments (GUIDs).
FIXED = {
    "azure-native:storage:BlobServiceProperties",
    "azure-native:storage:ManagementPolicy",
    "azure-native:authorization:RoleAssignment",
}
#: Global names (a DNS label of their own): they must differ between stacks.
GLOBAL = (
    "azure-native:storage:StorageAccount",
    "azure-native:containerregistry:Registry",
    "azure-native:keyvault:Vault",
)


def _whole_recipe(name: str) -> harness.Run:
    data = yaml.safe_load(builtin_recipes()["azure-recipe"].read_text())
    data["name"] = name
    stack = load_text(yaml.safe_dump(data), "long.yaml")
    return harness.run(build_program(stack), connections=lambda _: {})


@pytest.fixture(scope="module")
def long_run():
    return _whole_recipe(LONG)


def _physical(r: harness.Run) -> list[tuple[str, str]]:
    return sorted((x.type, x.inputs[RULES[x.type][0]]) for x in r.custom if x.type in RULES)


def test_every_physical_name_fits_for_a_40_character_stack_name(long_run):
    assert len(LONG) == 40
    r = long_run
    harness.check_all(r, stack=LONG)
    checked = 0
    for res in r.custom:
        if res.type.startswith("kubernetes:"):
            assert names.problem(res.inputs["metadata"]["name"], names.K8S_NAME) is None
            checked += 1
            continue
        if not res.type.startswith("azure-native:") or res.type in FIXED:
            continue
        assert res.type in RULES, f"{res.type} takes a name: add it to RULES"
        key, rule = RULES[res.type]
        physical = res.inputs.get(key)
        assert physical, f"{res.type} {res.name} has no explicit {key}: it would be auto-named"
        assert names.problem(physical, rule) is None, (
            res.type,
            physical,
            names.problem(physical, rule),
        )
        checked += 1
    assert checked >= 20
    pool = r.one("azure-native:containerservice:ManagedCluster").inputs["agentPoolProfiles"][0]
    assert names.problem(pool["name"], names.AKS_NODE_POOL) is None
    dns = r.one("azure-native:containerservice:ManagedCluster").inputs["dnsPrefix"]
    assert names.problem(dns, names.AKS_DNS_PREFIX) is None


def test_names_are_stable_and_global_ones_differ_between_stacks(long_run):
    again = _whole_recipe(LONG)
    assert _physical(long_run) == _physical(again)
    # A stack whose name differs only after the cut still gets its own global names.
    other = _whole_recipe(LONG[:-1] + "y")
    mine = {n for t, n in _physical(long_run) if t in GLOBAL}
    theirs = {n for t, n in _physical(other) if t in GLOBAL}
    assert len(mine) == 5 and not mine & theirs


def test_role_assignment_names_are_unique_guids(long_run):
    ids = [ra.inputs["roleAssignmentName"] for *_, ra in harness.role_assignments(long_run)]
    assert len(ids) == len(set(ids))


def test_compact_and_dashed_names():
    assert names.compact("a", "st", 24) == "ast" + names.digest("a/st")
    assert names.problem(names.compact("x" * 40, "acr", 50), names.CONTAINER_REGISTRY) is None
    vault = names.dashed("a-" * 20, "kv", 24)
    assert names.problem(vault, names.KEY_VAULT) is None and "--" not in vault
