"""Mocks test of the sagemaker step operator recipe."""

from __future__ import annotations

import pytest

from provisioner.recipes.aws.flavors import SageMakerConfig
from provisioner.recipes.aws.sagemaker import AWSSageMakerStepOperator
from tests.recipes.aws.sagemaker_common import build, check_execution_role

NAME = "ml-step-operator"


def test_execution_role_reaches_bucket_repository_and_logs_only():
    r = build(AWSSageMakerStepOperator, NAME, SageMakerConfig(instance_type="ml.g5.xlarge"))
    sts = check_execution_role(r, NAME, "provisioner:aws:SageMakerStepOperator")
    assert set(sts) == {
        "ObjectsReadWrite",
        "BucketList",
        "EcrToken",
        "EcrPull",
        "JobLogs",
        "JobMetrics",
    }
    assert sts["EcrPull"]["Resource"] == r.one("aws:ecr/repository:Repository").outputs["arn"]
    assert r.connections["main"]["instance_type"] == "ml.g5.xlarge"
    assert set(r.connections["main"]) == {"execution_role_arn", "region", "instance_type"}


@pytest.mark.parametrize("instance_type", ["m5.large", "ml.", "ML.M5.LARGE"])
def test_bad_instance_type_is_rejected(instance_type):
    with pytest.raises(ValueError):
        SageMakerConfig(instance_type=instance_type)
