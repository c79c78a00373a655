"""Mocks test of the mlflow model registry recipe."""

from __future__ import annotations

from provisioner.catalog.types import ComponentType
from provisioner.recipes.aws.flavors import SageMakerMLflowConfig
from provisioner.recipes.aws.mlflow import AWSMLflowExperimentTracker, AWSMLflowModelRegistry
from tests.recipes.aws import harness
from tests.recipes.aws.mlflow_common import SERVER, check_server, with_step_operator

NAME = "ml-model-registry"


def test_shares_the_experiment_trackers_server():
    ctx = harness.make_ctx()

    def program():
        with_step_operator(ctx)
        tracker = AWSMLflowExperimentTracker("ml-experiment-tracker", SageMakerMLflowConfig(), ctx)
        ctx.components[ComponentType.EXPERIMENT_TRACKER] = tracker
        registry = AWSMLflowModelRegistry(NAME, SageMakerMLflowConfig(), ctx)
        return {"tracker": tracker, "registry": registry}

    r = harness.run(program, connections=lambda comps: comps)
    harness.check_all(r)
    server = r.one(SERVER)
    assert not r.under(r.one("provisioner:aws:MLflowModelRegistry"))
    assert r.connections["registry"] == {
        **r.connections["tracker"],
        "registry_uri": server.outputs["arn"],
    }


def test_own_server_registers_models_in_sagemaker_by_default():
    ctx = harness.make_ctx()

    def program():
        with_step_operator(ctx)
        return AWSMLflowModelRegistry(NAME, SageMakerMLflowConfig(), ctx)

    r = harness.run(program)
    harness.check_all(r)
    comp = r.one("provisioner:aws:MLflowModelRegistry")
    server = check_server(r, NAME, registration=True)
    assert server.parent == comp.urn
    assert r.one("aws:iam/rolePolicy:RolePolicy", f"{NAME}-access-step-operator")
    assert r.connections["main"] == {
        "tracking_uri": server.outputs["arn"],
        "aws": {"region": "eu-west-1", "tracking_server_url": server.outputs["trackingServerUrl"]},
        "registry_uri": server.outputs["arn"],
    }
