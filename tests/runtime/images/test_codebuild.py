"""The CodeBuild image builder's runtime side against moto: the context goes to the bucket,
a build of the recipe's project starts with the image tag, its status is followed; a tag ECR
already holds is not built. (moto runs no build and pushes nothing: the push is not tested.)"""

from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest

from provisioner.catalog.types import ComponentType
from provisioner.errors import OperationError
from provisioner.runtime import connect
from provisioner.stackconfig import ComponentConnection
from tests.runtime.conftest import BUCKET, make_stack
from tests.runtime.images.helpers import project

REPO = "demo-steps"


@pytest.fixture
def aws_stack(tmp_path, moto_url):
    stack = make_stack("s3", root=tmp_path, endpoint=moto_url)
    stack.location["region"] = "us-east-1"
    stack.endpoints.update(ecr=moto_url, codebuild=moto_url)
    ecr = boto3.client("ecr", endpoint_url=moto_url, region_name="us-east-1")
    try:
        uri = ecr.create_repository(repositoryName=REPO)["repository"]["repositoryUri"]
    except ecr.exceptions.RepositoryAlreadyExistsException:
        uri = ecr.describe_repositories(repositoryNames=[REPO])["repositories"][0]["repositoryUri"]
    iam = boto3.client("iam", endpoint_url=moto_url, region_name="us-east-1")
    try:
        role = iam.create_role(RoleName="cb", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        role = iam.get_role(RoleName="cb")["Role"]["Arn"]
    cb = boto3.client("codebuild", endpoint_url=moto_url, region_name="us-east-1")
    if not cb.batch_get_projects(names=["steps"])["projects"]:
        cb.create_project(
            name="steps",
            source={"type": "S3", "location": f"{BUCKET}/contexts/"},
            artifacts={"type": "NO_ARTIFACTS"},
            environment={
                "type": "LINUX_CONTAINER",
                "image": "aws/codebuild/standard:7.0",
                "computeType": "BUILD_GENERAL1_SMALL",
            },
            serviceRole=role,
        )
    stack.components[ComponentType.CONTAINER_REGISTRY] = ComponentConnection(
        flavor="aws", config={"uri": uri}
    )
    stack.components[ComponentType.IMAGE_BUILDER] = ComponentConnection(
        flavor="aws",
        config={
            "source_uri": f"s3://{BUCKET}/contexts",
            "aws": {"project_name": "steps"},
            "poll_interval": 0.05,
        },
    )
    return stack


def test_codebuild_uploads_the_context_and_starts_the_build(tmp_path, aws_stack, moto_url):
    root = project(tmp_path / "proj")
    lines: list[str] = []
    with connect(aws_stack) as conn, pytest.raises(OperationError) as err:
        conn.image_builder.build(source_root=root, progress=lines.append)
    # moto's build "succeeds" without pushing anything: the builder notices
    assert "ECR has no" in str(err.value)
    assert any(line.startswith("CodeBuild build steps:") for line in lines)
    assert any(line.startswith("phase ") for line in lines)

    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="contexts/")["Contents"]]
    assert len(keys) == 1 and keys[0].endswith(".zip")
    body = s3.get_object(Bucket=BUCKET, Key=keys[0])["Body"].read()
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert {"Dockerfile", "requirements.txt", "app/greet_pipes.py"} <= set(names)
    assert "provisioner/provisioner/runtime/entrypoint.py" in names
    reqs = zipfile.ZipFile(io.BytesIO(body)).read("requirements.txt").decode()
    assert "boto3" in reqs and "pulumi-aws" not in reqs

    cb = boto3.client("codebuild", endpoint_url=moto_url, region_name="us-east-1")
    build = cb.batch_get_builds(ids=cb.list_builds_for_project(projectName="steps")["ids"])[
        "builds"
    ][0]
    assert build["projectName"] == "steps"


def test_a_tag_ecr_holds_is_not_built(tmp_path, aws_stack, moto_url):
    root = project(tmp_path / "proj")
    with connect(aws_stack) as conn:
        builder = conn.image_builder
        from provisioner.runtime.images import inputs
        from provisioner.runtime.images.append import running_python
        from provisioner.runtime.images.codebuild import DEFAULT_BASE

        python = running_python()
        tag = inputs.collect(None, aws_stack, source_root=root).tag(
            f"ref:{DEFAULT_BASE.format(python=python)}", python, (), "codebuild"
        )
        ecr = boto3.client("ecr", endpoint_url=moto_url, region_name="us-east-1")
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {},
                "layers": [],
            }
        )
        ecr.put_image(repositoryName=REPO, imageManifest=manifest, imageTag=tag)
        built = builder.build(source_root=root)
    assert built.skipped and built.tag == tag and built.digest.startswith("sha256:")
