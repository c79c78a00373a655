"""Mocks test of the aws (CodeBuild) image builder recipe."""

from __future__ import annotations

import pytest

from provisioner.errors import UserInputError
from provisioner.recipes.aws.flavors import CodeBuildImageBuilderConfig
from provisioner.recipes.aws.image_builder import AWSImageBuilder
from tests.recipes.aws import harness

NAME = "ml-image-builder"
PROJECT = "aws:codebuild/project:Project"


def build(registry=True, **config):
    ctx = harness.make_ctx()

    def program():
        harness.build_storage(ctx, registry=registry)
        return AWSImageBuilder(NAME, CodeBuildImageBuilderConfig(**config), ctx)

    return harness.run(program)


@pytest.fixture(scope="module")
def r():
    return build()


def test_invariants_and_types(r):
    harness.check_all(r)
    comp = r.one("provisioner:aws:ImageBuilder")
    assert r.types_under(comp) == {
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        PROJECT,
    }


def test_project_builds_from_the_bucket_and_logs_to_its_group(r):
    bucket = r.one("aws:s3/bucket:Bucket").outputs["bucket"]
    repo = r.one("aws:ecr/repository:Repository")
    logs = r.one("aws:cloudwatch/logGroup:LogGroup")
    assert logs.inputs["name"] == f"/aws/codebuild/{NAME}"
    assert logs.inputs["retentionInDays"] == 30
    project = r.one(PROJECT)
    inputs = project.inputs
    assert inputs["name"] == NAME
    assert inputs["source"]["type"] == "S3"
    assert inputs["source"]["location"] == f"{bucket}/image-builds/"
    assert "docker push" in inputs["source"]["buildspec"]
    assert inputs["artifacts"] == {"type": "NO_ARTIFACTS"}
    env = inputs["environment"]
    assert env["privilegedMode"] is True and env["computeType"] == "BUILD_GENERAL1_SMALL"
    assert {"name": "REPOSITORY_URI", "value": repo.outputs["repositoryUrl"]} in env[
        "environmentVariables"
    ]
    assert inputs["logsConfig"]["cloudwatchLogs"] == {
        "status": "ENABLED",
        "groupName": logs.inputs["name"],
    }
    role = r.one("aws:iam/role:Role", f"{NAME}-role")
    assert inputs["serviceRole"] == role.outputs["arn"]
    assert role.policy("assumeRolePolicy")["Statement"][0]["Principal"] == {
        "Service": "codebuild.amazonaws.com"
    }
    policy = r.one("aws:iam/rolePolicy:RolePolicy", f"{NAME}-policy")
    assert policy.urn in project.dependencies


def test_role_reads_only_the_source_prefix_and_pushes_only_the_repository(r):
    bucket_arn = r.one("aws:s3/bucket:Bucket").outputs["arn"]
    repo_arn = r.one("aws:ecr/repository:Repository").outputs["arn"]
    log_arn = r.one("aws:cloudwatch/logGroup:LogGroup").outputs["arn"]
    sts = harness.statements(r.one("aws:iam/rolePolicy:RolePolicy").policy())
    assert set(sts) == {"BuildLogs", "ObjectsRead", "BucketLocation", "EcrToken", "EcrPush"}
    assert sts["BuildLogs"]["Resource"] == [log_arn, f"{log_arn}:*"]
    assert sts["ObjectsRead"]["Resource"] == f"{bucket_arn}/image-builds/*"
    assert sts["ObjectsRead"]["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert sts["BucketLocation"]["Resource"] == bucket_arn
    assert sts["EcrPush"]["Resource"] == repo_arn
    assert {"ecr:PutImage", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"} <= set(
        sts["EcrPush"]["Action"]
    )


def test_connection(r):
    bucket = r.one("aws:s3/bucket:Bucket").outputs["bucket"]
    assert r.connections["main"] == {
        "source_uri": f"s3://{bucket}/image-builds",
        "aws": {"project_name": NAME},
    }


def test_needs_a_container_registry():
    with pytest.raises(UserInputError, match="container_registry of flavor 'ecr'"):
        build(registry=False)


@pytest.mark.parametrize(
    "config", [{"log_retention_days": 2}, {"compute_type": "HUGE"}, {"source_prefix": "/abs/"}]
)
def test_bad_config_is_rejected(config):
    with pytest.raises(ValueError):
        CodeBuildImageBuilderConfig(**config)
