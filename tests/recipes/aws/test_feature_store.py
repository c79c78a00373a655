"""Mocks test of the feast feature store on AWS: exactly Feast's actions, on its tables and
its bucket prefix only."""

from __future__ import annotations

import pytest

from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.recipes.aws.feature_store import AWSFeast
from provisioner.recipes.aws.flavors import AWSFeastConfig, EKSOrchestratorConfig
from provisioner.recipes.aws.kubernetes import AWSKubernetesOrchestrator
from tests.recipes.aws import harness

NAME = "ml-feature-store"
POLICY = "aws:iam/rolePolicy:RolePolicy"
TABLES = f"arn:aws:dynamodb:{harness.REGION}:{harness.ACCOUNT}:table/ml.*"


def build(**config):
    ctx = harness.make_ctx()

    def program():
        harness.build_storage(ctx, registry=False)
        ctx.components[ComponentType.ORCHESTRATOR] = AWSKubernetesOrchestrator(
            "ml-orchestrator", EKSOrchestratorConfig(public_access_cidrs=["203.0.113.0/24"]), ctx
        )
        return AWSFeast(NAME, AWSFeastConfig(**config), ctx)

    return harness.run(program)


@pytest.fixture(scope="module")
def r():
    return build()


def test_grants_each_runtime_role_exactly_what_feast_needs(r):
    harness.check_all(r)
    comp = r.one("provisioner:aws:Feast")
    assert r.types_under(comp) == {POLICY}  # Feast makes its own tables; nothing else here
    bucket = r.one("aws:s3/bucket:Bucket")
    grants = {g.name: g for g in r.under(comp)}
    assert set(grants) == {f"{NAME}-orchestrator", f"{NAME}-stack-user"}
    roles = {"orchestrator": "step-role", "stack-user": "user-role"}
    for label, role in roles.items():
        grant = grants[f"{NAME}-{label}"]
        assert grant.inputs["role"] == r.one("aws:iam/role:Role", f"ml-orchestrator-{role}").id
        statements = {s["Sid"]: s for s in grant.policy()["Statement"]}
        assert set(statements) == {"FeastOnlineTables", "FeastObjects", "FeastBucket"}
        tables = statements["FeastOnlineTables"]
        assert sorted(tables["Action"]) == [
            "dynamodb:BatchGetItem",
            "dynamodb:BatchWriteItem",
            "dynamodb:CreateTable",
            "dynamodb:DeleteTable",
            "dynamodb:DescribeTable",
        ]
        assert tables["Resource"] == TABLES
        objects = statements["FeastObjects"]
        assert sorted(objects["Action"]) == ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
        assert objects["Resource"] == f"{bucket.outputs['arn']}/feature_store/*"
        assert statements["FeastBucket"] == {
            "Sid": "FeastBucket",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": bucket.outputs["arn"],
        }
        for st in statements.values():
            assert "*" not in "".join(st["Action"]) and st["Resource"] != "*"


def test_connection_points_at_the_bucket_prefix_and_the_tables(r):
    bucket = r.one("aws:s3/bucket:Bucket").outputs["bucket"]
    assert r.connections["main"] == {
        "project": "ml",
        "registry": f"s3://{bucket}/feature_store/registry.pb",
        "online_store": {"type": "dynamodb", "region": harness.REGION, "table_prefix": "ml"},
        "offline_store": {"type": "file", "root": f"s3://{bucket}/feature_store/offline"},
    }


def test_project_and_prefix_narrow_the_grant():
    r = build(project="churn", prefix="features/churn")
    grant = next(g for g in r.of_type(POLICY) if g.name == f"{NAME}-orchestrator")
    statements = {s["Sid"]: s for s in grant.policy()["Statement"]}
    assert statements["FeastOnlineTables"]["Resource"].endswith(":table/churn.*")
    assert statements["FeastObjects"]["Resource"].endswith("/features/churn/*")


def test_needs_the_artifact_bucket():
    ctx = harness.make_ctx()
    with pytest.raises(UserInputError, match="needs an artifact_store of flavor 's3'"):
        harness.run(lambda: AWSFeast(NAME, AWSFeastConfig(), ctx))
