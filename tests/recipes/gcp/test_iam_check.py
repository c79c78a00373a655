"""The least-privilege check itself: it refuses what the recipes must never grant."""

from __future__ import annotations

import pytest

from provisioner.recipes.gcp import iam
from tests.recipes.gcp import harness


def grant(type_: str, role: str, member: str, **scope) -> harness.Registration:
    return harness.Registration(
        type=type_,
        name=f"g-{role}",
        urn=f"urn:{role}:{member}",
        parent="",
        custom=True,
        inputs={"role": role, "member": member, **scope},
        dependencies=set(),
        property_dependencies={},
    )


def run_of(*regs) -> harness.Run:
    return harness.Run(result=None, registrations=list(regs), component_outputs={}, calls=[])


PROJECT = "gcp:projects/iAMMember:IAMMember"
BUCKET = "gcp:storage/bucketIAMMember:BucketIAMMember"
SA = "serviceAccount:x@p.iam.gserviceaccount.com"


@pytest.mark.parametrize(
    ("reg", "why"),
    [
        (grant(PROJECT, "roles/editor", SA, project="p"), "never granted"),
        (grant(BUCKET, "roles/owner", SA, bucket="b"), "never granted"),
        (grant(BUCKET, "roles/storage.admin", SA, bucket="b"), "never granted"),
        (grant(PROJECT, "roles/storage.objectUser", SA, project="p"), "whole project"),
        (grant(BUCKET, "roles/storage.objectViewer", "allUsers", bucket="b"), "member"),
        (
            grant("gcp:projects/iAMBinding:IAMBinding", "roles/x", SA, project="p"),
            "does not know",
        ),
    ],
)
def test_the_check_refuses(reg, why):
    problems = harness.iam_problems(run_of(reg))
    assert problems and why in " ".join(problems), problems


def test_the_check_passes_a_scoped_grant_and_a_documented_project_role():
    ok = [
        grant(BUCKET, "roles/storage.objectUser", SA, bucket="b"),
        grant(PROJECT, "roles/container.clusterViewer", SA, project="p"),
    ]
    assert harness.iam_problems(run_of(*ok)) == []


def test_the_recipes_cannot_grant_an_undocumented_project_role():
    with pytest.raises(ValueError, match="grant it on one resource"):
        iam.on_project(None, "x", "p", "roles/storage.objectUser", SA)  # type: ignore[arg-type]
    assert all(reason for reason in iam.PROJECT_ROLES.values())
