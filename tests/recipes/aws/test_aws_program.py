"""The built-in aws-recipe: it validates, and its whole program builds under the mocks."""

from __future__ import annotations

import time

from provisioner.catalog.types import ComponentType
from provisioner.program import COMPONENTS_OUTPUT, build_program
from provisioner.spec.loader import load_stack
from tests.recipes.aws import harness

TOKENS = {
    ComponentType.ARTIFACT_STORE: "provisioner:aws:ArtifactStore",
    ComponentType.CONTAINER_REGISTRY: "provisioner:aws:ContainerRegistry",
    ComponentType.ORCHESTRATOR: "provisioner:aws:KubernetesOrchestrator",
    ComponentType.IMAGE_BUILDER: "provisioner:aws:ImageBuilder",
    ComponentType.STEP_OPERATOR: "provisioner:aws:SageMakerStepOperator",
    ComponentType.EXPERIMENT_TRACKER: "provisioner:aws:MLflowExperimentTracker",
    ComponentType.MODEL_REGISTRY: "provisioner:aws:MLflowModelRegistry",
    ComponentType.ALERTER: "provisioner:aws:SlackAlerter",
}


def test_aws_recipe_validates():
    stack = load_stack("aws-recipe")
    assert stack.spec.cloud == "aws" and stack.spec.region == "eu-west-1"
    assert set(stack.components) == set(TOKENS)
    assert stack.can_run_pipelines and not stack.warnings
    assert not stack.dynamic_only


def test_whole_program_builds_every_component():
    stack = load_stack("aws-recipe")
    started = time.perf_counter()
    r = harness.run(build_program(stack), connections=lambda _: {})
    elapsed = time.perf_counter() - started
    harness.check_all(r, stack="aws")
    for type_, token in TOKENS.items():
        comp = r.one(token, f"aws-{str(type_).replace('_', '-')}")
        assert comp.parent.endswith("pulumi:pulumi:Stack::provisioner-ml")
    exported = r.stack_outputs[COMPONENTS_OUTPUT]
    assert set(exported) == {str(t) for t in TOKENS}
    connections = {t: exported[t]["connection"] for t in exported}
    assert connections["artifact_store"]["uri"].endswith("/artifacts")
    assert connections["orchestrator"]["cluster_name"] == "aws-orchestrator"
    assert (
        connections["model_registry"]["tracking_uri"]
        == connections["experiment_tracker"]["tracking_uri"]
    )
    assert exported["alerter"] == {
        "flavor": "slack",
        "connection": {"webhook_secret": r.one("aws:secretsmanager/secret:Secret").outputs["arn"]},
    }
    # One tracking server, and every step role may use it and read the webhook.
    assert len(r.of_type("aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer")) == 1
    grants = {g.name for g in r.of_type("aws:iam/rolePolicy:RolePolicy")}
    for who in ("orchestrator", "step-operator"):
        assert f"aws-experiment-tracker-access-{who}" in grants
        assert f"aws-alerter-read-{who}" in grants
    # The hand-off names the stack user role, which every runtime grant includes.
    user_role = r.one("aws:iam/role:Role", "aws-orchestrator-user-role")
    assert r.stack_outputs["auth"] == {"aws_role_arn": user_role.outputs["arn"]}
    for grant in ("experiment-tracker-access", "alerter-read", "step-operator-start"):
        policy = r.one("aws:iam/rolePolicy:RolePolicy", f"aws-{grant}-stack-user")
        assert policy.inputs["role"] == user_role.id
    assert elapsed < 10, f"the full aws-recipe took {elapsed:.1f}s under mocks"
    print(f"aws-recipe under mocks: {len(r.registrations)} resources in {elapsed:.2f}s")


def test_stack_config_auth_names_the_stack_user_role():
    from provisioner.operations import build_stack_config

    class Written:  # what build_stack_config reads of the engine that deployed
        name = "pulumi"

        def state_location(self, stack: str) -> str:
            return f"file:///state/{stack}"

    stack = load_stack("aws-recipe")
    role = "arn:aws:iam::123456789012:role/aws-orchestrator-user-role"
    outputs = {COMPONENTS_OUTPUT: {}, "auth": {"aws_role_arn": role}}
    config = build_stack_config(stack, outputs, Written())
    assert config.auth.method == "aws-role" and config.auth.aws_role_arn == role
    assert (
        build_stack_config(stack, {COMPONENTS_OUTPUT: {}}, Written()).auth.method == "aws-default"
    )
