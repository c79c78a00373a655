"""Shared setup of the two MLflow flavors' mocks tests."""

from __future__ import annotations

from provisioner.catalog.types import ComponentType
from provisioner.recipes.aws.flavors import SageMakerConfig
from provisioner.recipes.aws.sagemaker import AWSSageMakerStepOperator
from tests.recipes.aws import harness

SERVER = "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer"


def with_step_operator(ctx):
    """Storage plus a SageMaker step operator, whose role the tracker must grant access to."""
    harness.build_storage(ctx)
    ctx.components[ComponentType.STEP_OPERATOR] = AWSSageMakerStepOperator(
        "ml-step-operator", SageMakerConfig(), ctx
    )


def check_server(r, name, *, registration):
    """The server, its role and policy; returns the server registration."""
    server = r.one(SERVER)
    bucket = r.one("aws:s3/bucket:Bucket").outputs
    assert server.inputs["trackingServerName"] == name
    assert server.inputs["artifactStoreUri"] == f"s3://{bucket['bucket']}/mlflow"
    assert server.inputs["automaticModelRegistration"] is registration
    assert server.inputs["trackingServerSize"] == "Small"
    role = r.one("aws:iam/role:Role", f"{name}-role")
    assert server.inputs["roleArn"] == role.outputs["arn"]
    assert role.policy("assumeRolePolicy")["Statement"][0]["Principal"] == {
        "Service": "sagemaker.amazonaws.com"
    }
    policy = r.one("aws:iam/rolePolicy:RolePolicy", f"{name}-policy")
    assert policy.urn in server.dependencies
    sts = harness.statements(policy.policy())
    assert sts["ObjectsReadWrite"]["Resource"] == f"{bucket['arn']}/mlflow/*"
    assert ("ModelRegistration" in sts) is registration
    if registration:
        prefix = f"arn:aws:sagemaker:eu-west-1:{harness.ACCOUNT}"
        assert sts["ModelRegistration"]["Resource"] == [
            f"{prefix}:model-package-group/*",
            f"{prefix}:model-package/*",
        ]
    return server
