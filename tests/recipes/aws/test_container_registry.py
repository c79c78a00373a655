"""Mocks test of the ecr container registry recipe."""

from __future__ import annotations

import json

import pytest

from provisioner.recipes.aws.container_registry import AWSContainerRegistry
from provisioner.recipes.aws.flavors import ECRContainerRegistryConfig
from tests.recipes.aws import harness

REPO = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"


def build(**config):
    ctx = harness.make_ctx()
    return harness.run(
        lambda: AWSContainerRegistry(
            "ml-container-registry", ECRContainerRegistryConfig(**config), ctx
        )
    )


def test_repository_is_scanned_encrypted_and_expires_old_images():
    r = build()
    harness.check_all(r)
    comp = r.one("provisioner:aws:ContainerRegistry")
    assert r.types_under(comp) == {REPO, LIFECYCLE}
    repo = r.one(REPO)
    assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo.inputs["imageTagMutability"] == "MUTABLE"
    assert repo.inputs["encryptionConfigurations"] == [{"encryptionType": "AES256"}]
    assert repo.inputs["forceDelete"] is False
    lifecycle = r.one(LIFECYCLE)
    assert lifecycle.inputs["repository"] == repo.outputs["name"]
    assert repo.urn in lifecycle.dependencies
    (rule,) = json.loads(lifecycle.inputs["policy"])["rules"]
    assert rule["selection"] == {
        "tagStatus": "any",
        "countType": "imageCountMoreThan",
        "countNumber": 50,
    }
    assert rule["action"] == {"type": "expire"}
    assert r.connections["main"] == {"uri": repo.outputs["repositoryUrl"]}
    assert r.connections["main"]["uri"].startswith(
        f"{harness.ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/"
    )
    assert r.result.repository_arn is not None


def test_named_immutable_repository_keeps_n_images():
    r = build(repository_name="ml/steps", immutable_tags=True, keep_images=7)
    harness.check_all(r)
    repo = r.one(REPO)
    assert repo.inputs["name"] == "ml/steps"
    assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
    (rule,) = json.loads(r.one(LIFECYCLE).inputs["policy"])["rules"]
    assert rule["selection"]["countNumber"] == 7


@pytest.mark.parametrize(
    "config", [{"keep_images": 0}, {"repository_name": "Bad Name"}, {"scan": False}]
)
def test_bad_config_is_rejected(config):
    with pytest.raises(ValueError):
        ECRContainerRegistryConfig(**config)
