"""Every IAM policy document of the aws-recipe is one IAM accepts (moto's IAM validation)."""

from __future__ import annotations

import json

import boto3
import pytest

from provisioner.program import build_program
from provisioner.spec.loader import load_stack
from tests.recipes.aws import harness
from tests.runtime import emulators


@pytest.fixture(scope="module")
def iam():
    with emulators.moto_s3("policy-check") as url:
        yield boto3.client(
            "iam",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


def test_every_policy_document_passes_iam_validation(iam):
    r = harness.run(build_program(load_stack("aws-recipe")), connections=lambda _: {})
    checked = 0
    for res in r.custom:
        for key, doc in harness.policy_documents(res):
            text = json.dumps(doc)
            if key == "assumeRolePolicy":
                iam.create_role(RoleName=f"t{checked}", AssumeRolePolicyDocument=text)
            elif res.type == "aws:s3/bucketPolicy:BucketPolicy":
                continue  # a resource policy (it names a Principal): not an IAM policy
            else:
                iam.create_policy(PolicyName=f"p{checked}", PolicyDocument=text)
            checked += 1
    assert checked >= 20


def test_a_malformed_document_is_refused(iam):
    """The check can fail: moto refuses what IAM would."""
    bad = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3 GetObject"}]}
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException):
        iam.create_policy(PolicyName="bad", PolicyDocument=json.dumps(bad))
