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
    assert set(r.connections["main"]) == {"region", "instance_type", "aws"}


@pytest.mark.parametrize("instance_type", ["m5.large", "ml.", "ML.M5.LARGE"])
def test_bad_instance_type_is_rejected(instance_type):
    with pytest.raises(ValueError):
        SageMakerConfig(instance_type=instance_type)


def test_runtime_roles_may_start_training_jobs_and_pass_only_the_execution_role():
    from provisioner.catalog.types import ComponentType
    from provisioner.recipes.aws.flavors import EKSOrchestratorConfig
    from provisioner.recipes.aws.kubernetes import AWSKubernetesOrchestrator
    from tests.recipes.aws import harness

    ctx = harness.make_ctx()

    def program():
        harness.build_storage(ctx)
        ctx.components[ComponentType.ORCHESTRATOR] = AWSKubernetesOrchestrator(
            "ml-orchestrator", EKSOrchestratorConfig(public_access_cidrs=["203.0.113.0/24"]), ctx
        )
        return AWSSageMakerStepOperator(NAME, SageMakerConfig(), ctx)

    r = harness.run(program)
    harness.check_all(r)
    execution = r.one("aws:iam/role:Role", f"{NAME}-execution-role")
    policies = {p.name: p for p in r.of_type("aws:iam/rolePolicy:RolePolicy")}
    for label, role in (("orchestrator", "step-role"), ("stack-user", "user-role")):
        grant = policies[f"{NAME}-start-{label}"]
        assert grant.inputs["role"] == r.one("aws:iam/role:Role", f"ml-orchestrator-{role}").id
        sts = harness.statements(grant.policy())
        assert sts["StartTrainingJobs"] == {
            "Sid": "StartTrainingJobs",
            "Effect": "Allow",
            "Action": ["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob"],
            "Resource": f"arn:aws:sagemaker:eu-west-1:{harness.ACCOUNT}:training-job/*",
        }
        assert sts["PassExecutionRole"] == {
            "Sid": "PassExecutionRole",
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": execution.outputs["arn"],
            "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        }
    # The execution role itself is not among the starters.
    assert f"{NAME}-start-step-operator" not in policies
