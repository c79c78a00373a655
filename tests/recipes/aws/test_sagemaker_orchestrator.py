"""Mocks test of the sagemaker orchestrator recipe."""

from __future__ import annotations

import pytest

from provisioner.errors import UserInputError
from provisioner.recipes.aws.flavors import SageMakerConfig
from provisioner.recipes.aws.sagemaker import AWSSageMakerOrchestrator
from tests.recipes.aws import harness
from tests.recipes.aws.sagemaker_common import build, check_execution_role

NAME = "ml-orchestrator"
TOKEN = "provisioner:aws:SageMakerOrchestrator"


def test_execution_role_may_start_step_jobs_and_pass_only_itself():
    r = build(AWSSageMakerOrchestrator, NAME, SageMakerConfig())
    sts = check_execution_role(r, NAME, TOKEN)
    repo = r.one("aws:ecr/repository:Repository")
    assert sts["EcrPull"]["Resource"] == repo.outputs["arn"]
    jobs = f"arn:aws:sagemaker:eu-west-1:{harness.ACCOUNT}"
    assert sts["StartStepJobs"]["Resource"] == [
        f"{jobs}:processing-job/*",
        f"{jobs}:training-job/*",
    ]
    assert set(sts["StartStepJobs"]["Action"]) == {
        "sagemaker:AddTags",
        "sagemaker:CreateProcessingJob",
        "sagemaker:CreateTrainingJob",
        "sagemaker:DescribeProcessingJob",
        "sagemaker:DescribeTrainingJob",
        "sagemaker:StopProcessingJob",
        "sagemaker:StopTrainingJob",
    }
    role = r.one("aws:iam/role:Role", f"{NAME}-execution-role")
    assert sts["PassOwnRole"] == {
        "Sid": "PassOwnRole",
        "Effect": "Allow",
        "Action": ["iam:PassRole"],
        "Resource": role.outputs["arn"],
        "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
    }
    assert r.connections["main"] == {
        "region": "eu-west-1",
        "instance_type": "ml.m5.large",
        "aws": {"execution_role_arn": role.outputs["arn"]},
    }
    assert {c.token for c in r.calls} >= {
        "aws:index/getCallerIdentity:getCallerIdentity",
        "aws:index/getPartition:getPartition",
    }


def test_without_registry_there_is_no_ecr_access():
    r = build(
        AWSSageMakerOrchestrator,
        NAME,
        SageMakerConfig(instance_type="ml.c5.xlarge"),
        registry=False,
    )
    sts = check_execution_role(r, NAME, TOKEN)
    assert not {"EcrToken", "EcrPull"} & set(sts)
    assert r.connections["main"]["instance_type"] == "ml.c5.xlarge"


def test_without_artifact_store_is_a_user_error():
    ctx = harness.make_ctx()
    with pytest.raises(UserInputError, match="orchestrator 'sagemaker' needs an artifact_store"):
        harness.run(lambda: AWSSageMakerOrchestrator(NAME, SageMakerConfig(), ctx))
