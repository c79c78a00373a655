"""Pulumi mocks for the GCP recipes: run a program, record every registration, check them.

The recording monitor, the run loop and the shape checks are every cloud's
(:mod:`tests.recipes.pulumi_mocks`); here are the mocks (what GCP computes) and GCP's checks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.gcp import iam
from provisioner.spec.models import GCPStack
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

__all__ = ["STACK", "Registration", "Run"]

PROJECT = "ml-research-1234"
PROJECT_NUMBER = "987654321012"
REGION = "europe-west4"
OFFICE = "203.0.113.0/24"

#: Resource types that grant a role, and the scope each grants it on.
IAM_TYPES = {
    "gcp:storage/bucketIAMMember:BucketIAMMember": "bucket",
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": "repository",
    "gcp:serviceaccount/iAMMember:IAMMember": "serviceAccountId",
    "gcp:secretmanager/secretIamMember:SecretIamMember": "secretId",
    "gcp:projects/iAMMember:IAMMember": "project",
}
#: Roles never granted, on anything: the primitive roles and the admin ones.
FORBIDDEN_ROLES = frozenset({"roles/owner", "roles/editor", "roles/viewer"})


def make_ctx(
    name: str = STACK, region: str = REGION, tags: dict[str, str] | None = None
) -> RecipeContext:
    """A RecipeContext for a GCP stack with no components built yet."""
    return stack_ctx(GCPStack, name, tags, cloud="gcp", project=PROJECT, region=region)


class GCPMocks(RecordingMocks):
    """Answers the GCP data sources the recipes call and fills in computed outputs."""

    def call(self, args: MockCallArgs) -> tuple[dict, list | None]:
        self.calls.append(args)
        if args.token == "gcp:organizations/getProject:getProject":
            return {"projectId": PROJECT, "number": PROJECT_NUMBER, "name": PROJECT}, []
        raise NotImplementedError(f"the GCP mocks do not answer {args.token}; add it to harness.py")

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict]:
        inputs = args.inputs
        suffix = hashlib.sha1(args.name.encode()).hexdigest()[:7]
        out: dict[str, Any] = dict(inputs)
        physical = inputs.get("name") or f"{args.name}-{suffix}"
        match args.typ:
            case "gcp:serviceaccount/account:Account":
                email = f"{inputs['accountId']}@{inputs['project']}.iam.gserviceaccount.com"
                out["email"] = email
                out["name"] = f"projects/{inputs['project']}/serviceAccounts/{email}"
                physical = out["name"]
            case "gcp:container/cluster:Cluster":
                out["endpoint"] = f"34.90.{int(suffix[:2], 16)}.{int(suffix[2:4], 16)}"
                out["masterAuth"] = {"clusterCaCertificate": "LS0tLS1CRUdJTi1DQS0tLS0t"}
                out["selfLink"] = f"https://container.googleapis.com/v1/{physical}"
            case "gcp:secretmanager/secret:Secret":
                physical = f"projects/{inputs['project']}/secrets/{inputs['secretId']}"
                out["name"] = physical
            case "gcp:artifactregistry/repository:Repository":
                physical = inputs["repositoryId"]
        return physical, out


def run(
    build: Callable[[], Any], *, connections: Callable[[Any], dict[str, Any]] | None = None
) -> Run:
    """Run ``build`` as a Pulumi program under the GCP mocks (not a preview)."""
    return run_program(GCPMocks(), build, connections=connections)


def grants(r: Run) -> list[tuple[str, str, str, Registration]]:
    """Every IAM grant of a run: (role, member, scope kind, resource)."""
    return [
        (g.inputs["role"], g.inputs["member"], IAM_TYPES[g.type], g)
        for g in r.custom
        if g.type in IAM_TYPES
    ]


def iam_problems(r: Run) -> list[str]:
    """Grants that give more than the recipes need: primitive or admin roles, project-wide
    roles not in the recipes' documented list, and any IAM resource the check does not know."""
    problems = []
    for res in r.custom:
        kind = res.type.split(":")[-1].lower()
        if res.type.startswith("gcp:") and ("iam" in kind or "binding" in kind or "policy" in kind):
            if res.type in IAM_TYPES:
                continue
            problems.append(f"{res.type} {res.name}: an IAM resource the check does not know")
    for role, member, scope, res in grants(r):
        if role in FORBIDDEN_ROLES or role.endswith(".admin") or role.endswith("Admin"):
            problems.append(f"{res.name}: {role} is never granted")
        if scope == "project" and role not in iam.PROJECT_ROLES:
            problems.append(f"{res.name}: {role} granted on the whole project")
        if not member.startswith(("serviceAccount:", "user:", "group:")):
            problems.append(f"{res.name}: member {member!r}")
        if member in ("allUsers", "allAuthenticatedUsers"):
            problems.append(f"{res.name}: public member {member}")
    return problems


def check_all(r: Run, stack: str = STACK) -> None:
    """The invariants every GCP recipe keeps, over every registered resource."""
    wanted = {"stack": stack, "managed-by": "provisioner"}
    components = check_tree(r, "gcp")
    for res in r.custom:
        if res.type.startswith("gcp:") and "project" in res.inputs:
            assert res.inputs["project"] == PROJECT, (res.name, res.inputs["project"])
        for key in ("labels", "resourceLabels"):
            if key in res.inputs:
                assert wanted.items() <= res.inputs[key].items(), (res.name, key)
        if res.type == "gcp:projects/service:Service":
            assert res.inputs["disableOnDestroy"] is False, res.name
    assert not iam_problems(r), iam_problems(r)
    accounts = {
        f"serviceAccount:{a.outputs['email']}": a.urn
        for a in r.of_type("gcp:serviceaccount/account:Account")
    }
    for _, member, _, grant in grants(r):
        if member in accounts:  # a grant to an account waits for the account
            assert accounts[member] in grant.dependencies, (grant.name, member)
    check_outputs(r, components)


def build_storage(ctx: RecipeContext, *, registry: bool = True) -> None:
    """Build the artifact store (and container registry) the other recipes build on."""
    from provisioner.catalog.types import ComponentType
    from provisioner.recipes.gcp.artifact_store import GCPArtifactStore
    from provisioner.recipes.gcp.container_registry import GCPContainerRegistry
    from provisioner.recipes.gcp.flavors import ArtifactRegistryConfig, GCSArtifactStoreConfig

    ctx.components[ComponentType.ARTIFACT_STORE] = GCPArtifactStore(
        f"{ctx.spec.name}-artifact-store", GCSArtifactStoreConfig(), ctx
    )
    if registry:
        ctx.components[ComponentType.CONTAINER_REGISTRY] = GCPContainerRegistry(
            f"{ctx.spec.name}-container-registry", ArtifactRegistryConfig(), ctx
        )


def build_cluster(ctx: RecipeContext, **config: Any) -> Any:
    """Build the storage and the GKE orchestrator other recipes build on."""
    from provisioner.catalog.types import ComponentType
    from provisioner.recipes.gcp.flavors import GKEOrchestratorConfig
    from provisioner.recipes.gcp.kubernetes import GCPKubernetesOrchestrator

    build_storage(ctx)
    config.setdefault("authorized_networks", [OFFICE])
    orchestrator = GCPKubernetesOrchestrator(
        f"{ctx.spec.name}-orchestrator", GKEOrchestratorConfig(**config), ctx
    )
    ctx.components[ComponentType.ORCHESTRATOR] = orchestrator
    return orchestrator
