"""A stack config naming a role (``auth.method: aws-role``): the S3 store acts as that role."""

from __future__ import annotations

import json

import boto3

from provisioner.runtime.stores.factory import open_store
from provisioner.stackconfig import AuthReference
from tests.runtime.conftest import make_stack

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def _role(moto_url: str, name: str) -> str:
    iam = boto3.client("iam", endpoint_url=moto_url, region_name="us-east-1")
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]


def test_the_store_assumes_the_stack_user_role(moto_url, tmp_path):
    role_arn = _role(moto_url, "stack-user-assumed")
    base = make_stack("s3", root=tmp_path, endpoint=moto_url)
    stack = base.model_copy(
        update={
            "auth": AuthReference(method="aws-role", aws_role_arn=role_arn),
            "endpoints": {**base.endpoints, "sts": moto_url},
        }
    )
    store = open_store(stack)
    store.put_bytes("hello.txt", b"hi")
    assert store.get_bytes("hello.txt") == b"hi"
    credentials = store.client._request_signer._credentials.get_frozen_credentials()
    assert credentials.access_key != "testing" and credentials.token, "not the caller's own keys"
    sts = boto3.client(
        "sts",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        aws_session_token=credentials.token,
    )
    assert sts.get_caller_identity()["Arn"].startswith(
        "arn:aws:sts::123456789012:assumed-role/stack-user-assumed/provisioner-runtime"
    )


def test_without_a_role_the_callers_own_credentials_are_used(moto_url, tmp_path):
    store = open_store(make_stack("s3", root=tmp_path, endpoint=moto_url))
    credentials = store.client._request_signer._credentials.get_frozen_credentials()
    assert credentials.access_key == "testing"
