"""Offline plans of programs that need provider plugins, and refusing to deploy them."""

from __future__ import annotations

import pulumi
import pytest

from provisioner.engines.model import UNKNOWN, Op
from provisioner.errors import EngineUnavailableError
from tests.engines.embedded.fileprovider import File

IDENTITY = "aws:index/getCallerIdentity:getCallerIdentity"


def cloud_program(ws):
    def program() -> None:
        local = File("local", f"{ws.root}/local.txt", "x", str(ws.journal))
        me = pulumi.runtime.invoke(IDENTITY, {}).value
        bucket = pulumi.CustomResource(
            "aws:s3/bucketV2:BucketV2",
            "bucket",
            {"bucket": f"data-{me['accountId']}", "tags": {"owner": "ml"}, "arn": None},
            pulumi.ResourceOptions(depends_on=[local]),
        )
        pulumi.export("account", me["accountId"])
        pulumi.export("bucket_arn", bucket.arn)  # type: ignore[attr-defined]
        pulumi.export("name", bucket.bucket)  # type: ignore[attr-defined]

    return program


def test_offline_preview_plans_plugin_resources_and_answers_data_sources(engine, ws):
    plan = engine.preview_program("dev", cloud_program(ws))

    assert plan.offline
    step = next(s for s in plan.steps if s.name == "bucket")
    assert step.op == Op.CREATE and step.type == "aws:s3/bucketV2:BucketV2"
    assert step.inputs == {"bucket": "data-123456789012", "tags": {"owner": "ml"}}
    assert plan.outputs["account"] == "123456789012"
    assert plan.outputs["bucket_arn"] is UNKNOWN
    assert plan.outputs["name"] == "data-123456789012"
    assert any(IDENTITY in n and "placeholder" in n and "123456789012" in n for n in plan.notes)
    assert any("aws:s3/bucketV2:BucketV2" in n for n in plan.notes)
    assert ws.calls() == []


def test_unknown_data_source_is_answered_empty_and_noted(engine):
    def program() -> None:
        result = pulumi.runtime.invoke("aws:ec2/getVpc:getVpc", {"default": True}).value
        pulumi.export("vpc", result.get("id"))

    plan = engine.preview_program("dev", program)
    assert any("aws:ec2/getVpc:getVpc" in n and "no values" in n for n in plan.notes)


def test_up_refuses_plugin_resources_before_creating_anything(
    engine, ws, checkpoint_of, provisioner_home
):
    with pytest.raises(EngineUnavailableError) as err:
        engine.up_program("dev", cloud_program(ws))
    message = str(err.value)
    assert "aws:s3/bucketV2:BucketV2" in message and IDENTITY in message
    assert "Pulumi CLI" in message
    assert ws.calls() == [] and ws.files() == {}
    assert checkpoint_of() is None
    assert not (provisioner_home / "stacks" / "dev").exists()


def test_real_pulumi_aws_program_previews_offline(engine):
    try:
        import pulumi_aws as aws
    except ImportError:
        pytest.fail("pulumi_aws is missing: pip install -e '.[test,aws]'")

    def program() -> None:
        zones = aws.get_availability_zones()
        bucket = aws.s3.BucketV2("artifacts", bucket="ml-artifacts")
        repo = aws.ecr.Repository("images", name="ml-images")
        pulumi.export("zones", zones.names)
        pulumi.export("bucket", bucket.bucket)
        pulumi.export("repo_url", repo.repository_url)

    plan = engine.preview_program("dev", program)
    creates = {s.name: s.type for s in plan.steps if s.op == Op.CREATE and s.custom}
    assert creates == {
        "artifacts": "aws:s3/bucketV2:BucketV2",
        "images": "aws:ecr/repository:Repository",
    }
    assert plan.outputs["zones"] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert plan.outputs["bucket"] == "ml-artifacts"
    assert plan.outputs["repo_url"] is UNKNOWN
    assert plan.offline
