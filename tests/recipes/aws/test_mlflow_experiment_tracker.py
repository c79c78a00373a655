"""Mocks test of the mlflow experiment tracker recipe (SageMaker managed MLflow)."""

from __future__ import annotations

import pytest

from provisioner.errors import UserInputError
from provisioner.recipes.aws.flavors import SageMakerMLflowConfig
from provisioner.recipes.aws.mlflow import MLFLOW_CLIENT_ACTIONS, AWSMLflowExperimentTracker
from tests.recipes.aws import harness
from tests.recipes.aws.mlflow_common import SERVER, check_server, with_step_operator

NAME = "ml-experiment-tracker"


def build(**config):
    ctx = harness.make_ctx()

    def program():
        with_step_operator(ctx)
        return AWSMLflowExperimentTracker(NAME, SageMakerMLflowConfig(**config), ctx)

    return harness.run(program)


def test_tracking_server_with_artifacts_in_the_bucket():
    r = build()
    harness.check_all(r)
    comp = r.one("provisioner:aws:MLflowExperimentTracker")
    assert r.types_under(comp) == {"aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", SERVER}
    server = check_server(r, NAME, registration=False)
    assert r.connections["main"] == {
        "tracking_uri": server.outputs["arn"],
        "aws": {"region": "eu-west-1", "tracking_server_url": server.outputs["trackingServerUrl"]},
    }


def test_step_roles_may_use_the_server_and_nothing_else():
    r = build()
    server = r.one(SERVER)
    grant = r.one("aws:iam/rolePolicy:RolePolicy", f"{NAME}-access-step-operator")
    assert grant.parent == r.one("provisioner:aws:MLflowExperimentTracker").urn
    assert grant.inputs["role"] == r.one("aws:iam/role:Role", "ml-step-operator-execution-role").id
    assert server.urn in grant.dependencies
    sts = harness.statements(grant.policy())
    # Every MLflow client action (MLflow 3's logged models included), on this server only.
    assert sts["UseTrackingServer"] == {
        "Sid": "UseTrackingServer",
        "Effect": "Allow",
        "Action": ["sagemaker-mlflow:*"],
        "Resource": server.outputs["arn"],
    }
    assert list(MLFLOW_CLIENT_ACTIONS) == ["sagemaker-mlflow:*"]
    # The client writes run artifacts to the bucket itself, under the server's prefix.
    bucket = r.one("aws:s3/bucket:Bucket").outputs["arn"]
    assert sts["ObjectsReadWrite"]["Resource"] == f"{bucket}/mlflow/*"
    assert set(sts) == {"UseTrackingServer", "ObjectsReadWrite", "BucketList"}


def test_settings_reach_the_server():
    r = build(
        size="Medium",
        mlflow_version="2.16",
        automatic_model_registration=True,
        weekly_maintenance_window_start="Tue:03:30",
    )
    harness.check_all(r)
    inputs = r.one(SERVER).inputs
    assert inputs["trackingServerSize"] == "Medium" and inputs["mlflowVersion"] == "2.16"
    assert inputs["weeklyMaintenanceWindowStart"] == "Tue:03:30"
    assert inputs["automaticModelRegistration"] is True


def test_needs_an_artifact_store():
    ctx = harness.make_ctx()
    with pytest.raises(UserInputError, match="artifact_store"):
        harness.run(lambda: AWSMLflowExperimentTracker(NAME, SageMakerMLflowConfig(), ctx))


@pytest.mark.parametrize(
    "config",
    [{"size": "Huge"}, {"weekly_maintenance_window_start": "Tuesday 3am"}, {"password": "x"}],
)
def test_bad_config_is_rejected(config):
    with pytest.raises(ValueError):
        SageMakerMLflowConfig(**config)
