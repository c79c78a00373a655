"""The cluster bootstrap on every cloud: its thin Kubernetes resources send the engine exactly
what the typed pulumi_kubernetes classes send, and the model deployer's rights are granted
exactly when the stack has that deployer."""

from __future__ import annotations

import importlib.metadata
import re
from typing import Any

import pytest
from google.protobuf import json_format

from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.recipes import kube_objects
from provisioner.recipes.kube_runner import DEPLOYER_RULES, RUNNER_RULES
from provisioner.spec.models import ComponentSpec
from tests.recipes import pulumi_mocks
from tests.recipes.aws import harness as aws_harness
from tests.recipes.azure import harness as azure_harness
from tests.recipes.gcp import harness as gcp_harness

RBAC = "kubernetes:rbac.authorization.k8s.io/v1:"
OFFICE = "203.0.113.0/24"
CLOUDS = ("aws", "gcp", "azure")


def _build_aws(ctx):
    from provisioner.recipes.aws.flavors import EKSOrchestratorConfig
    from provisioner.recipes.aws.kubernetes import AWSKubernetesOrchestrator

    aws_harness.build_storage(ctx)
    config = EKSOrchestratorConfig(public_access_cidrs=[OFFICE])
    orchestrator = AWSKubernetesOrchestrator("ml-orchestrator", config, ctx)
    ctx.components[ComponentType.ORCHESTRATOR] = orchestrator
    return orchestrator


def _build_gcp(ctx):
    return gcp_harness.build_cluster(ctx, members=["group:ds@example.com"])


def _build_azure(ctx):
    from provisioner.recipes.azure.flavors import AKSOrchestratorConfig
    from provisioner.recipes.azure.kubernetes import AzureKubernetesOrchestrator

    azure_harness.build_storage(ctx)
    config = AKSOrchestratorConfig(
        authorized_ip_ranges=[OFFICE],
        users=[{"object_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "type": "Group"}],
    )
    orchestrator = AzureKubernetesOrchestrator("ml-orchestrator", config, ctx)
    ctx.components[ComponentType.ORCHESTRATOR] = orchestrator
    return orchestrator


HARNESS = {"aws": aws_harness, "gcp": gcp_harness, "azure": azure_harness}
BUILD = {"aws": _build_aws, "gcp": _build_gcp, "azure": _build_azure}


def run(cloud: str, deployer: dict[str, Any] | None = None):
    """The cloud's orchestrator under its mocks; ``deployer``: a model_deployer spec."""
    h = HARNESS[cloud]
    ctx = h.make_ctx()
    if deployer is not None:
        ctx.spec.components[ComponentType.MODEL_DEPLOYER] = ComponentSpec(**deployer)
    return h.run(lambda: BUILD[cloud](ctx))


# --- the thin resources are the typed ones, as the engine sees them ---------------------------


class _FullRecorder(pulumi_mocks.RecordingMonitor):
    """Keeps every Kubernetes RegisterResource request whole (all but where in the source)."""

    seen: list[dict[str, Any]] = []

    def RegisterResource(self, request):
        if request.type.startswith(("kubernetes:", "pulumi:providers:kubernetes")):
            whole = json_format.MessageToDict(request, preserving_proto_field_name=True)
            whole.pop("sourcePosition", None)
            whole.pop("source_position", None)
            whole.pop("stackTrace", None)
            whole.pop("stack_trace", None)
            # dependencies are sets: the SDK lists them in whatever order its awaits finished
            whole["dependencies"] = sorted(whole.get("dependencies", []))
            for deps in whole.get("propertyDependencies", {}).values():
                deps["urns"] = sorted(deps.get("urns", []))
            type(self).seen.append(whole)
        return super().RegisterResource(request)


def _typed(monkeypatch) -> None:
    """Build the bootstrap with the typed pulumi_kubernetes classes instead of the thin ones
    (top-level keyword names in snake_case; nested manifests passed as they are)."""
    import pulumi_kubernetes as k8s

    def adapter(cls):
        def make(resource_name, opts=None, **props):
            snake = {re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): v for k, v in props.items()}
            return cls(resource_name, opts=opts, **snake)

        return make

    for kind, cls in {
        "Namespace": k8s.core.v1.Namespace,
        "ServiceAccount": k8s.core.v1.ServiceAccount,
        "Role": k8s.rbac.v1.Role,
        "RoleBinding": k8s.rbac.v1.RoleBinding,
    }.items():
        monkeypatch.setattr(kube_objects, kind, adapter(cls))
    monkeypatch.setattr(
        kube_objects,
        "KubernetesProvider",
        lambda name, kubeconfig=None, opts=None: k8s.Provider(
            name, kubeconfig=kubeconfig, opts=opts
        ),
    )


def _requests(cloud: str, monkeypatch, deployer: dict[str, Any] | None) -> list[dict[str, Any]]:
    _FullRecorder.seen = []
    with monkeypatch.context() as m:
        m.setattr(pulumi_mocks, "RecordingMonitor", _FullRecorder)  # every cloud runs through it
        run(cloud, deployer)
    return list(_FullRecorder.seen)


@pytest.mark.parametrize("cloud", CLOUDS)
def test_thin_resources_send_what_the_typed_sdk_sends(cloud, monkeypatch):
    # Settings the typed Provider takes from the environment reach the thin one too.
    monkeypatch.setenv("PULUMI_K8S_ENABLE_SERVER_SIDE_APPLY", "false")
    monkeypatch.setenv("PULUMI_K8S_DELETE_UNREACHABLE", "1")
    deployer = {"flavor": "kubernetes"}
    thin = _requests(cloud, monkeypatch, deployer)
    with monkeypatch.context() as m:
        _typed(m)
        typed = _requests(cloud, monkeypatch, deployer)
    # registration order is the event loop's: compare them by type and name
    thin.sort(key=lambda r: (r["type"], r["name"]))
    typed.sort(key=lambda r: (r["type"], r["name"]))
    assert sorted(r["type"] for r in thin) == sorted(
        [
            "pulumi:providers:kubernetes",
            "kubernetes:core/v1:Namespace",
            "kubernetes:core/v1:ServiceAccount",
            *[f"{RBAC}Role", f"{RBAC}RoleBinding"] * 2,
        ]
    )
    assert len(thin) == len(typed)
    for mine, theirs in zip(thin, typed, strict=True):
        assert mine == theirs, mine["type"]
    (provider,) = [r["object"] for r in thin if r["type"].startswith("pulumi:providers")]
    assert provider["enableServerSideApply"] == "false"
    assert provider["deleteUnreachable"] == "true"
    assert {r["version"] for r in thin} == {kube_objects.plugin_version()}


def test_the_thin_layer_does_not_import_the_typed_sdk():
    import subprocess
    import sys

    code = (
        "import sys; import provisioner.recipes.kube_bootstrap; "
        "print(sorted(m for m in sys.modules if m.startswith('pulumi_kubernetes')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("dist", "semver"),
    [
        ("4.34.2", "4.34.2"),
        ("4.35.0a1", "4.35.0-alpha.1"),
        ("4.35.0b2", "4.35.0-beta.2"),
        ("4.35.0rc1", "4.35.0-rc.1"),
        ("4.35.0.dev3", "4.35.0-dev.3"),
        ("4.35.0+abc", "4.35.0-abc"),
    ],
)
def test_plugin_version_is_the_sdks_semver(dist, semver, monkeypatch):
    monkeypatch.setattr(importlib.metadata, "version", lambda name: dist)
    kube_objects.plugin_version.cache_clear()
    try:
        assert kube_objects.plugin_version() == semver
    finally:
        kube_objects.plugin_version.cache_clear()


def test_plugin_version_matches_the_installed_sdk():
    from pulumi_kubernetes import _utilities

    assert kube_objects.plugin_version() == _utilities.get_version()


def test_an_unknown_property_is_refused():
    with pytest.raises(TypeError, match="role_ref"):
        kube_objects.RoleBinding("x", role_ref={})


def test_outputs_read_back_under_snake_case_names_with_the_engines_nested_keys():
    seen: dict[str, Any] = {}

    def build():
        binding = kube_objects.RoleBinding(
            "b",
            metadata={"name": "b", "namespace": "ml"},
            roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
            subjects=[{"kind": "ServiceAccount", "name": "runner"}],
        )
        binding.role_ref.apply(lambda ref: seen.update(role_ref=ref))
        binding.metadata.apply(lambda meta: seen.update(metadata=meta))

    aws_harness.run(build, connections=lambda _: {})
    assert seen["role_ref"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "r",
    }
    assert seen["metadata"] == {"name": "b", "namespace": "ml"}


# --- the model deployer's rights ---------------------------------------------------------------


def _rules(rules) -> list[dict[str, Any]]:
    return [
        {"apiGroups": r["api_groups"], "resources": r["resources"], "verbs": r["verbs"]}
        for r in rules
    ]


@pytest.mark.parametrize("cloud", CLOUDS)
def test_the_deployer_role_exists_exactly_when_the_stack_has_that_deployer(cloud):
    without = run(cloud)
    (only,) = without.of_type(f"{RBAC}Role")
    assert only.inputs["rules"] == _rules(RUNNER_RULES)
    assert len(without.of_type(f"{RBAC}RoleBinding")) == 1
    if cloud == "aws":  # the same shared code on every cloud: another flavor gets nothing
        assert len(run(cloud, {"flavor": "mlflow"}).of_type(f"{RBAC}Role")) == 1

    r = run(cloud, {"flavor": "kubernetes"})
    roles = {x.inputs["metadata"]["name"]: x for x in r.of_type(f"{RBAC}Role")}
    assert set(roles) == {"provisioner-runner", "provisioner-model-deployer"}
    role = roles["provisioner-model-deployer"]
    assert role.inputs["rules"] == _rules(DEPLOYER_RULES)
    assert role.inputs["metadata"]["namespace"] == "provisioner"
    bindings = {x.inputs["metadata"]["name"]: x for x in r.of_type(f"{RBAC}RoleBinding")}
    binding = bindings["provisioner-model-deployer"]
    assert binding.inputs["metadata"]["namespace"] == "provisioner"
    assert binding.inputs["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "provisioner-model-deployer",
    }
    subjects = binding.inputs["subjects"]
    # the runner service account (steps in the cluster), then the runner Role's own subjects
    assert subjects[0] == {
        "kind": "ServiceAccount",
        "name": "provisioner-runner",
        "namespace": "provisioner",
    }
    assert subjects[1:] == bindings["provisioner-runner"].inputs["subjects"]
    assert role.urn in binding.dependencies
    sa = r.one("kubernetes:core/v1:ServiceAccount")
    assert sa.urn in binding.dependencies
    provider = r.one("pulumi:providers:kubernetes")
    assert binding.provider.startswith(f"{provider.urn}::")


def test_a_deployer_in_another_namespace_is_refused_naming_the_field():
    deployer = {"flavor": "kubernetes", "config": {"namespace": "serving"}}
    with pytest.raises(UserInputError, match=r"model_deployer\.config\.namespace") as info:
        run("aws", deployer)
    assert "'provisioner'" in str(info.value)
    # the orchestrator's own namespace, spelled out, is fine
    r = run("aws", {"flavor": "kubernetes", "config": {"namespace": "provisioner"}})
    assert len(r.of_type(f"{RBAC}Role")) == 2
