"""Mocks test of the GCS artifact store recipe."""

from __future__ import annotations

import pytest

from provisioner.recipes.gcp.artifact_store import GCPArtifactStore, bucket_not_empty_hint
from provisioner.recipes.gcp.flavors import BUCKET_NOT_EMPTY_HINT, GCSArtifactStoreConfig
from tests.recipes.gcp import harness

BUCKET = "gcp:storage/bucket:Bucket"


def build(**config):
    ctx = harness.make_ctx()
    return harness.run(
        lambda: GCPArtifactStore("ml-artifact-store", GCSArtifactStoreConfig(**config), ctx)
    )


@pytest.fixture(scope="module")
def r():
    return build()


def test_invariants(r):
    harness.check_all(r)
    comp = r.one("provisioner:gcp:ArtifactStore")
    assert r.types_under(comp) == {BUCKET, "gcp:projects/service:Service"}


def test_bucket_is_private_uniform_versioned_and_in_the_stack_region(r):
    bucket = r.one(BUCKET)
    b = bucket.inputs
    assert b["uniformBucketLevelAccess"] is True
    assert b["publicAccessPrevention"] == "enforced"
    assert b["versioning"] == {"enabled": True}
    assert b["location"] == harness.REGION and b["project"] == harness.PROJECT
    assert b["forceDestroy"] is False
    assert b["softDeletePolicy"] == {"retentionDurationSeconds": 7 * 86400}
    assert b["labels"] == {"team": "ml", "stack": "ml", "managed-by": "provisioner"}
    assert b["name"].startswith("ml-artifact-store-") and len(b["name"]) <= 63
    api = r.one("gcp:projects/service:Service")
    assert api.inputs["service"] == "storage.googleapis.com" and api.urn in bucket.dependencies


def test_connection(r):
    name = r.one(BUCKET).inputs["name"]
    assert r.connections["main"] == {
        "uri": f"gs://{name}/artifacts",
        "gcp": {"project": harness.PROJECT, "bucket": name},
    }


def test_lifecycle_rules_become_one_action_each():
    r = build(
        lifecycle_rules=[
            {"prefix": "tmp/", "expire_after_days": 3},
            {"noncurrent_expire_after_days": 30, "keep_noncurrent_versions": 2},
            {"abort_multipart_after_days": 7},
        ],
        soft_delete_days=0,
        versioning=False,
        bucket_name="my-own-bucket",
    )
    b = r.one(BUCKET).inputs
    assert b["name"] == "my-own-bucket" and b["versioning"] == {"enabled": False}
    assert b["softDeletePolicy"] == {"retentionDurationSeconds": 0}
    rules = [(x["action"]["type"], x["condition"]) for x in b["lifecycleRules"]]
    assert rules == [
        ("Delete", {"age": 3, "withState": "LIVE", "matchesPrefixes": ["tmp/"]}),
        ("Delete", {"daysSinceNoncurrentTime": 30}),
        ("Delete", {"numNewerVersions": 2, "withState": "ARCHIVED"}),
        ("AbortIncompleteMultipartUpload", {"age": 7}),
    ]


@pytest.mark.parametrize(
    "config",
    [
        {"bucket_name": "Has_Caps"},
        {"bucket_name": "my-google-bucket"},
        {"soft_delete_days": 3},
        {"lifecycle_rules": [{"prefix": "x/"}]},
        {"storage_class": "standard"},
        {"prefix": "/abs"},
    ],
)
def test_bad_config_is_rejected(config):
    with pytest.raises(ValueError):
        GCSArtifactStoreConfig(**config)


def test_not_empty_hint_is_documented_and_matched():
    assert BUCKET_NOT_EMPTY_HINT in GCSArtifactStoreConfig.model_fields["force_destroy"].description
    error = (
        "deleting urn:pulumi:...::gcp:storage/bucket:Bucket::ml-artifact-store-bucket: Error "
        "trying to delete bucket ml-artifact-store-1 containing objects without `force_destroy` "
        "set to true"
    )
    assert bucket_not_empty_hint(error) == BUCKET_NOT_EMPTY_HINT
    assert bucket_not_empty_hint("googleapi: Error 403: forbidden") is None
