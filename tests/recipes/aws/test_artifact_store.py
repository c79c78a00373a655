"""Mocks test of the s3 artifact store recipe."""

from __future__ import annotations

import pytest

from provisioner.recipes.aws.artifact_store import AWSArtifactStore, bucket_not_empty_hint
from provisioner.recipes.aws.flavors import BUCKET_NOT_EMPTY_HINT, S3ArtifactStoreConfig
from tests.recipes.aws import harness

S3 = "aws:s3/"


def build(**config):
    ctx = harness.make_ctx()
    return harness.run(
        lambda: AWSArtifactStore("ml-artifact-store", S3ArtifactStoreConfig(**config), ctx)
    )


def test_bucket_is_private_versioned_and_encrypted():
    r = build()
    harness.check_all(r)
    comp = r.one("provisioner:aws:ArtifactStore")
    assert r.types_under(comp) == {
        f"{S3}bucket:Bucket",
        f"{S3}bucketPublicAccessBlock:BucketPublicAccessBlock",
        f"{S3}bucketOwnershipControls:BucketOwnershipControls",
        f"{S3}bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        f"{S3}bucketVersioning:BucketVersioning",
        f"{S3}bucketPolicy:BucketPolicy",
    }
    bucket = r.one(f"{S3}bucket:Bucket")
    assert bucket.inputs["forceDestroy"] is False
    assert bucket.inputs["tags"] == {"team": "ml", **harness.STACK_TAGS}
    pab = r.one(f"{S3}bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert [
        pab[k]
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    ] == [True] * 4
    sse = r.one(
        f"{S3}bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    assert sse.inputs["rules"] == [
        {
            "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"},
            "bucketKeyEnabled": True,
        }
    ]
    versioning = r.one(f"{S3}bucketVersioning:BucketVersioning").inputs
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}
    assert r.one(f"{S3}bucketOwnershipControls:BucketOwnershipControls").inputs["rule"] == {
        "objectOwnership": "BucketOwnerEnforced"
    }
    physical = r.connections["main"]["aws"]["bucket_arn"].removeprefix("arn:aws:s3:::")
    # An explicit name, unique per account and region (bucket names are global).
    assert physical == f"ml-artifact-store-{harness.ACCOUNT}-eu-west-1"
    assert bucket.inputs["bucket"] == physical
    # Every bucket setting targets this bucket, and so depends on it.
    for reg in r.under(comp):
        if reg is not bucket:
            assert reg.inputs["bucket"] == physical, reg.name
            assert bucket.urn in reg.dependencies, reg.name
    assert r.connections["main"] == {
        "uri": f"s3://{physical}/artifacts",
        "aws": {"bucket_arn": f"arn:aws:s3:::{physical}"},
    }
    assert r.component_outputs[comp.urn]["connection"] == r.connections["main"]


def test_bucket_policy_denies_plain_http_after_public_access_block():
    r = build()
    policy = r.one(f"{S3}bucketPolicy:BucketPolicy")
    (st,) = policy.policy()["Statement"]
    assert st["Effect"] == "Deny" and st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    bucket_arn = r.connections["main"]["aws"]["bucket_arn"]
    assert st["Resource"] == [bucket_arn, f"{bucket_arn}/*"]
    pab = r.one(f"{S3}bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert pab.urn in policy.dependencies


def test_named_bucket_aes256_lifecycle_and_no_versioning():
    r = build(
        bucket_name="ml-artifacts-bucket",
        prefix="runs/prod",
        encryption="AES256",
        versioning=False,
        force_destroy=True,
        lifecycle_rules=[
            {
                "id": "tmp",
                "prefix": "tmp/",
                "expire_after_days": 3,
                "abort_multipart_after_days": 1,
            },
            {"id": "old", "noncurrent_expire_after_days": 30},
        ],
    )
    harness.check_all(r)
    assert r.one(f"{S3}bucket:Bucket").inputs["bucket"] == "ml-artifacts-bucket"
    assert r.one(f"{S3}bucket:Bucket").inputs["forceDestroy"] is True
    assert not r.of_type(f"{S3}bucketVersioning:BucketVersioning")
    sse = r.one(
        f"{S3}bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    assert sse.inputs["rules"][0] == {
        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"},
        "bucketKeyEnabled": False,
    }
    rules = r.one(f"{S3}bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    assert rules == [
        {
            "id": "tmp",
            "status": "Enabled",
            "filter": {"prefix": "tmp/"},
            "expiration": {"days": 3},
            "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1},
        },
        {
            "id": "old",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "noncurrentVersionExpiration": {"noncurrentDays": 30},
        },
    ]
    assert r.connections["main"]["uri"] == "s3://ml-artifacts-bucket/runs/prod"


def test_customer_managed_key_is_used_and_exposed():
    key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    r = build(kms_key_arn=key)
    sse = r.one(
        f"{S3}bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": key,
    }
    assert r.result.kms_key_arn == key


@pytest.mark.parametrize(
    "config, message",
    [
        (
            {"encryption": "AES256", "kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/x"},
            "kms_key_arn",
        ),
        ({"lifecycle_rules": [{"id": "x"}]}, "at least one of"),
        ({"lifecycle_rules": [{"id": "a", "expire_after_days": 1}] * 2}, "unique"),
        ({"bucket_name": "Not_A_Bucket"}, "bucket_name"),
        ({"force_destroi": True}, "force_destroi"),
    ],
)
def test_bad_config_is_rejected(config, message):
    with pytest.raises(ValueError, match=message):
        S3ArtifactStoreConfig(**config)


def test_not_empty_hint_is_documented_and_matched():
    assert "force_destroy" in BUCKET_NOT_EMPTY_HINT
    assert BUCKET_NOT_EMPTY_HINT in S3ArtifactStoreConfig.model_fields["force_destroy"].description
    error = "deleting S3 Bucket (x): operation error S3: DeleteBucket, api error BucketNotEmpty"
    assert bucket_not_empty_hint(error) == BUCKET_NOT_EMPTY_HINT
    assert bucket_not_empty_hint("AccessDenied") is None
