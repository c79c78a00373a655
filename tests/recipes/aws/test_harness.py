"""The mocks harness itself: its checks must catch what they claim to."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from tests.recipes.aws import harness


class Sloppy(pulumi.ComponentResource):
    """A recipe doing everything the checks forbid."""

    def __init__(
        self,
        name: str,
        *,
        typo: bool = False,
        tags: bool = True,
        secret: bool = False,
        policy: dict | None = None,
        region: bool = True,
        attach: str | None = None,
    ):
        super().__init__("provisioner:aws:Sloppy", name, None, None)
        child = pulumi.ResourceOptions(parent=self)
        default = {"sse_algoritm": "aws:kms"} if typo else {"sse_algorithm": "aws:kms"}
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            tags=harness.STACK_TAGS if tags else {"stack": harness.STACK},
            region=harness.REGION if region else None,
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-sse",
            bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": default}],
            region=harness.REGION,
            opts=child,
        )
        if policy is not None:
            role = aws.iam.Role(
                f"{name}-role", assume_role_policy="{}", tags=harness.STACK_TAGS, opts=child
            )
            aws.iam.RolePolicy(
                f"{name}-policy", role=role.id, policy=json.dumps(policy), opts=child
            )
        if attach is not None:
            role = aws.iam.Role(
                f"{name}-managed", assume_role_policy="{}", tags=harness.STACK_TAGS, opts=child
            )
            aws.iam.RolePolicyAttachment(
                f"{name}-attach", role=role.name, policy_arn=attach, opts=child
            )
        value = pulumi.Output.secret("hunter2") if secret else "plain"
        self.connection = {"uri": bucket.bucket, "token": value}
        self.register_outputs({"connection": self.connection})


def _run(**kwargs):
    return harness.run(lambda: Sloppy("ml-sloppy", **kwargs))


def test_a_clean_component_passes():
    harness.check_all(_run())


def test_snake_case_typo_in_a_nested_dict_is_flagged():
    r = _run(typo=True)
    sse = r.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    assert harness.snake_case_keys(sse.inputs) == [
        "rules[0].applyServerSideEncryptionByDefault.sse_algoritm"
    ]
    with pytest.raises(AssertionError, match="sse_algoritm"):
        harness.check_all(r)


def test_snake_case_keys_ignores_tag_keys():
    assert harness.snake_case_keys(
        {"tags": {"cost_center": "x"}, "vpcConfig": {"subnet_ids": []}}
    ) == ["vpcConfig.subnet_ids"]


def test_missing_stack_tags_are_flagged():
    with pytest.raises(AssertionError, match="tags"):
        harness.check_all(_run(tags=False))


def test_missing_region_is_flagged():
    with pytest.raises(AssertionError, match="region"):
        harness.check_all(_run(region=False))


def test_secret_in_a_connection_is_flagged():
    r = _run(secret=True)
    assert r.connection_is_secret == {"main": True}
    with pytest.raises(AssertionError, match="secret"):
        harness.check_all(r)


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b"},
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["cloudwatch:PutMetricData"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "my-bucket/*"},
        {"Effect": "Allow", "Action": ["sagemaker-mlflow:*"], "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": ["sagemaker-mlflow:*"],
            "Resource": "arn:aws:sagemaker:eu-west-1:123456789012:mlflow-tracking-server/*",
        },
    ],
)
def test_broad_policies_are_flagged(statement):
    r = _run(policy={"Version": "2012-10-17", "Statement": [statement]})
    with pytest.raises(AssertionError):
        harness.check_all(r)


def test_unanswered_data_source_fails_loudly():
    with pytest.raises(Exception, match="do not answer"):
        harness.run(lambda: aws.get_region())


def test_full_access_managed_policy_is_flagged():
    harness.check_all(_run(attach="arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"))
    with pytest.raises(AssertionError, match="FullAccess"):
        harness.check_all(_run(attach="arn:aws:iam::aws:policy/AmazonS3FullAccess"))
