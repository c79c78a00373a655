"""IAM policy documents for the AWS recipes: small, least-privilege statement builders."""

from __future__ import annotations

import json
from typing import Any

import pulumi

Statement = dict[str, Any]
#: A string or a pulumi Output of one (an ARN not known until deploy).
Arn = Any

VERSION = "2012-10-17"

#: The only action the recipes grant on Resource "*": ECR issues tokens per account, not per repo.
ECR_AUTH_TOKEN = "ecr:GetAuthorizationToken"

ECR_PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)

ECR_PUSH_ACTIONS = (
    *ECR_PULL_ACTIONS,
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)


def document(statements: list[Statement]) -> pulumi.Output[str]:
    """A policy document as JSON; statements may hold Outputs (ARNs resolved at deploy)."""
    return pulumi.Output.json_dumps({"Version": VERSION, "Statement": statements})


def service_trust(service: str) -> str:
    """A trust policy letting one AWS service (e.g. ``sagemaker.amazonaws.com``) assume a role."""
    return json.dumps(
        {
            "Version": VERSION,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def bucket_objects(bucket_arn: Arn, prefix: str = "") -> pulumi.Output[str]:
    """ARN pattern of the objects of a bucket, optionally under one prefix."""
    suffix = f"/{prefix.strip('/')}/*" if prefix.strip("/") else "/*"
    return pulumi.Output.concat(bucket_arn, suffix)


def bucket_read_write(
    bucket_arn: Arn, prefix: str = "", kms_key_arn: str | None = None
) -> list[Statement]:
    """Read, write and delete objects (under ``prefix``) and list the bucket."""
    statements: list[Statement] = [
        {
            "Sid": "ObjectsReadWrite",
            "Effect": "Allow",
            "Action": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
            "Resource": bucket_objects(bucket_arn, prefix),
        },
        {
            "Sid": "BucketList",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
            "Resource": bucket_arn,
        },
    ]
    return statements + kms_use(kms_key_arn)


def bucket_read(
    bucket_arn: Arn, prefix: str = "", kms_key_arn: str | None = None
) -> list[Statement]:
    """Read objects under ``prefix`` (what a build needs to fetch its context)."""
    statements: list[Statement] = [
        {
            "Sid": "ObjectsRead",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": bucket_objects(bucket_arn, prefix),
        },
        {
            "Sid": "BucketLocation",
            "Effect": "Allow",
            "Action": ["s3:GetBucketAcl", "s3:GetBucketLocation"],
            "Resource": bucket_arn,
        },
    ]
    return statements + kms_use(kms_key_arn, write=False)


def kms_use(kms_key_arn: str | None, *, write: bool = True) -> list[Statement]:
    """Use of a customer-managed bucket key; nothing for S3- or AWS-managed keys."""
    if kms_key_arn is None:
        return []
    actions = ["kms:Decrypt", "kms:GenerateDataKey"] if write else ["kms:Decrypt"]
    return [{"Sid": "BucketKey", "Effect": "Allow", "Action": actions, "Resource": kms_key_arn}]


def ecr_pull(repository_arn: Arn) -> list[Statement]:
    """Pull images from one repository."""
    return [
        _ecr_token(),
        {
            "Sid": "EcrPull",
            "Effect": "Allow",
            "Action": list(ECR_PULL_ACTIONS),
            "Resource": repository_arn,
        },
    ]


def ecr_push(repository_arn: Arn) -> list[Statement]:
    """Push (and pull) images of one repository."""
    return [
        _ecr_token(),
        {
            "Sid": "EcrPush",
            "Effect": "Allow",
            "Action": list(ECR_PUSH_ACTIONS),
            "Resource": repository_arn,
        },
    ]


def _ecr_token() -> Statement:
    return {"Sid": "EcrToken", "Effect": "Allow", "Action": [ECR_AUTH_TOKEN], "Resource": "*"}


def merge(*groups: list[Statement]) -> list[Statement]:
    """Concatenate statement lists, keeping one copy of identical ones, with unique Sids."""
    out: list[Statement] = []
    seen_sids: dict[str, int] = {}
    for group in groups:
        for statement in group:
            if statement.get("Sid") == "EcrToken" and any(s.get("Sid") == "EcrToken" for s in out):
                continue
            sid = statement.get("Sid")
            if sid is not None:
                seen_sids[sid] = seen_sids.get(sid, 0) + 1
                if seen_sids[sid] > 1:
                    statement = {**statement, "Sid": f"{sid}{seen_sids[sid]}"}
            out.append(statement)
    return out
