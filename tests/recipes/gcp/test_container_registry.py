"""Mocks test of the Artifact Registry container registry recipe."""

from __future__ import annotations

import pytest

from provisioner.recipes.gcp.container_registry import (
    GCPContainerRegistry,
    repository_not_empty_hint,
)
from provisioner.recipes.gcp.flavors import REPOSITORY_NOT_EMPTY_HINT, ArtifactRegistryConfig
from tests.recipes.gcp import harness

REPO = "gcp:artifactregistry/repository:Repository"


def build(**config):
    ctx = harness.make_ctx()
    return harness.run(
        lambda: GCPContainerRegistry("ml-container-registry", ArtifactRegistryConfig(**config), ctx)
    )


def test_docker_repository_in_the_stack_region_with_cleanup():
    r = build()
    harness.check_all(r)
    repo = r.one(REPO).inputs
    assert repo["format"] == "DOCKER" and repo["location"] == harness.REGION
    assert repo["repositoryId"] == "ml-container-registry-images"
    assert repo["dockerConfig"] == {"immutableTags": False}
    assert repo["deletionPolicy"] == "PREVENT"
    assert repo["cleanupPolicyDryRun"] is False
    keep = [p for p in repo["cleanupPolicies"] if p["action"] == "KEEP"]
    assert keep == [
        {"id": "keep-50-newest", "action": "KEEP", "mostRecentVersions": {"keepCount": 50}}
    ]
    assert r.connections["main"] == {
        "uri": f"{harness.REGION}-docker.pkg.dev/{harness.PROJECT}/ml-container-registry-images",
        "gcp": {"project": harness.PROJECT, "location": harness.REGION},
    }
    api = r.one("gcp:projects/service:Service").inputs
    assert api["service"] == "artifactregistry.googleapis.com"


def test_force_delete_and_immutable_tags():
    r = build(force_delete=True, immutable_tags=True, keep_images=5, repository_id="imgs")
    repo = r.one(REPO).inputs
    assert repo["deletionPolicy"] == "DELETE" and repo["repositoryId"] == "imgs"
    assert repo["dockerConfig"] == {"immutableTags": True}


@pytest.mark.parametrize("config", [{"repository_id": "1abc"}, {"keep_images": 0}])
def test_bad_config_is_rejected(config):
    with pytest.raises(ValueError):
        ArtifactRegistryConfig(**config)


def test_destroy_hint_is_documented_and_matched():
    described = ArtifactRegistryConfig.model_fields["force_delete"].description
    assert REPOSITORY_NOT_EMPTY_HINT in described
    error = "cannot destroy resource without setting deletion_policy=DELETE"
    assert repository_not_empty_hint(error) == REPOSITORY_NOT_EMPTY_HINT
    assert repository_not_empty_hint("quota exceeded") is None
