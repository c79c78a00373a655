"""The built-in gcp-recipe: it validates, and its whole program builds under the mocks."""

from __future__ import annotations

import time

import yaml

from provisioner.catalog.types import ComponentType
from provisioner.program import COMPONENTS_OUTPUT, build_program
from provisioner.spec.loader import builtin_recipes, load_stack, load_text
from tests.recipes.gcp import harness

TOKENS = {
    ComponentType.ARTIFACT_STORE: "provisioner:gcp:ArtifactStore",
    ComponentType.CONTAINER_REGISTRY: "provisioner:gcp:ContainerRegistry",
    ComponentType.ORCHESTRATOR: "provisioner:gcp:KubernetesOrchestrator",
    ComponentType.IMAGE_BUILDER: "provisioner:gcp:ImageBuilder",
    ComponentType.STEP_OPERATOR: "provisioner:gcp:VertexStepOperator",
    ComponentType.EXPERIMENT_TRACKER: "provisioner:gcp:MLflowExperimentTracker",
    ComponentType.MODEL_REGISTRY: "provisioner:gcp:MLflowModelRegistry",
    ComponentType.ALERTER: "provisioner:gcp:SlackAlerter",
}


def stack_in_test_project():
    data = yaml.safe_load(builtin_recipes()["gcp-recipe"].read_text())
    data["project"] = harness.PROJECT
    return load_text(yaml.safe_dump(data), "gcp.yaml")


def test_gcp_recipe_validates():
    stack = load_stack("gcp-recipe")
    assert stack.spec.cloud == "gcp" and stack.spec.region == "europe-west4"
    assert set(stack.components) == set(TOKENS)
    assert stack.can_run_pipelines and not stack.warnings
    assert not stack.dynamic_only


def test_whole_program_builds_every_component():
    stack = stack_in_test_project()
    started = time.perf_counter()
    r = harness.run(build_program(stack), connections=lambda _: {})
    elapsed = time.perf_counter() - started
    harness.check_all(r, stack="gcp")
    for type_, token in TOKENS.items():
        comp = r.one(token, f"gcp-{str(type_).replace('_', '-')}")
        assert comp.parent.endswith("pulumi:pulumi:Stack::provisioner-ml")
    exported = r.stack_outputs[COMPONENTS_OUTPUT]
    assert set(exported) == {str(t) for t in TOKENS}
    conns = {t: exported[t]["connection"] for t in exported}
    assert conns["artifact_store"]["uri"].startswith("gs://gcp-artifact-store-")
    assert conns["orchestrator"]["cluster_name"] == "gcp-orchestrator"
    assert conns["model_registry"]["tracking_uri"] == conns["experiment_tracker"]["tracking_uri"]
    assert conns["experiment_tracker"]["tracking_uri"] == (
        "http://mlflow.provisioner.svc.cluster.local:5000"
    )
    assert conns["alerter"] == {
        "webhook_secret": f"projects/{harness.PROJECT}/secrets/gcp-alerter-slack-webhook"
    }
    # Each API is enabled once, by the first component that needs it, and never disabled.
    apis = [s.inputs["service"] for s in r.of_type("gcp:projects/service:Service")]
    assert len(apis) == len(set(apis)) and "aiplatform.googleapis.com" in apis
    # The hand-off names the stack user; every runtime grant includes it.
    user = f"gcp-orchestrator-user@{harness.PROJECT}.iam.gserviceaccount.com"
    assert r.stack_outputs["auth"] == {"gcp_service_account": user}
    members = {(g.name, member) for _, member, _, g in harness.grants(r)}
    for grant in (
        "alerter-read",
        "step-operator-start",
        "step-operator-act-as",
        "image-builder-submit",
    ):
        assert (f"gcp-{grant}-stack-user", f"serviceAccount:{user}") in members, grant
        assert any(n == f"gcp-{grant}-orchestrator" for n, _ in members), grant
    assert len(r.of_type("kubernetes:apps/v1:Deployment")) == 1
    assert elapsed < 15, f"the full gcp-recipe took {elapsed:.1f}s under mocks"


def test_stack_config_auth_names_the_stack_user_service_account():
    from provisioner.operations import build_stack_config

    class Written:
        name = "pulumi"

        def state_location(self, stack: str) -> str:
            return f"file:///state/{stack}"

    stack = load_stack("gcp-recipe")
    user = "gcp-orchestrator-user@my-ml-project.iam.gserviceaccount.com"
    outputs = {COMPONENTS_OUTPUT: {}, "auth": {"gcp_service_account": user}}
    config = build_stack_config(stack, outputs, Written())
    assert config.auth.method == "gcp-service-account"
    assert config.auth.gcp_service_account == user
    fallback = build_stack_config(stack, {COMPONENTS_OUTPUT: {}}, Written())
    assert fallback.auth.method == "gcp-default"
