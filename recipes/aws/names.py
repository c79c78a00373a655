"""Physical names for AWS resources: explicit, within AWS's length limits, stable per stack."""

from __future__ import annotations

import hashlib

#: AWS's length limits of the names the recipes set.
IAM_ROLE = 64
IAM_INLINE_POLICY = 128
S3_BUCKET = 63
EKS_CLUSTER = 100
ECR_REPOSITORY = 256
EKS_NODE_GROUP = 63
CODEBUILD_PROJECT = 150
MLFLOW_TRACKING_SERVER = 256
K8S_NAME = 63


def fit(name: str, limit: int) -> str:
    """``name`` if it fits in ``limit`` characters, else its head plus a 7-character hash.

    The hash is of the whole name, so two long names that share a head still differ.
    """
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:7]
    head = name[: limit - len(digest) - 1].rstrip("-._/")
    return f"{head}-{digest}"
