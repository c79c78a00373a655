"""Shared assertions of the two SageMaker flavors' mocks tests."""

from __future__ import annotations

from tests.recipes.aws import harness

ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/rolePolicy:RolePolicy"


def build(cls, name, config, *, registry=True):
    ctx = harness.make_ctx()

    def program():
        harness.build_storage(ctx, registry=registry)
        return cls(name, config, ctx)

    return harness.run(program)


def check_execution_role(r, name, token):
    harness.check_all(r)
    comp = r.one(token)
    assert r.types_under(comp) == {ROLE, POLICY}
    assert not r.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    role = r.one(ROLE, f"{name}-execution-role")
    assert role.parent == comp.urn
    assert not role.inputs.get("managedPolicyArns")
    (trust,) = role.policy("assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    policy = r.one(POLICY, f"{name}-execution-policy")
    assert policy.inputs["role"] == role.id
    bucket = r.one("aws:s3/bucket:Bucket")
    assert bucket.urn in policy.property_dependencies["policy"]
    sts = harness.statements(policy.policy())
    assert sts["ObjectsReadWrite"]["Resource"] == f"{bucket.outputs['arn']}/*"
    assert sts["BucketList"]["Resource"] == bucket.outputs["arn"]
    logs = sts["JobLogs"]["Resource"]
    prefix = f"arn:aws:logs:eu-west-1:{harness.ACCOUNT}:log-group:/aws/sagemaker/*"
    assert logs == [prefix, f"{prefix}:log-stream:*"]
    assert sts["JobMetrics"]["Condition"] == {
        "StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}
    }
    assert r.connections["main"]["aws"]["execution_role_arn"] == role.outputs["arn"]
    assert r.connections["main"]["region"] == "eu-west-1"
    return sts
