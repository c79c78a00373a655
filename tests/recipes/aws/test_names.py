"""Every physical name of the aws-recipe fits AWS's limits, even for a 40-character stack."""

from __future__ import annotations

import re

import yaml

from provisioner.program import build_program
from provisioner.recipes.aws.names import fit
from provisioner.spec.loader import builtin_recipes, load_text
from tests.recipes.aws import harness

#: The longest stack name the spec allows (40 characters).
LONG = "research-platform-experiments-team-euw1x"

#: Resource type -> (input holding its physical name, AWS's length limit).
LIMITS = {
    "aws:iam/role:Role": ("name", 64),
    "aws:iam/rolePolicy:RolePolicy": ("name", 128),
    "aws:s3/bucket:Bucket": ("bucket", 63),
    "aws:ecr/repository:Repository": ("name", 256),
    "aws:eks/cluster:Cluster": ("name", 100),
    "aws:eks/nodeGroup:NodeGroup": ("nodeGroupName", 63),
    "aws:cloudwatch/logGroup:LogGroup": ("name", 512),
    "aws:codebuild/project:Project": ("name", 150),
    "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer": ("trackingServerName", 256),
    # Secrets Manager appends a 26-character unique suffix to a prefix; names are 512 at most.
    "aws:secretsmanager/secret:Secret": ("namePrefix", 512 - 26),
}
#: Arguments through which a pulumi_aws resource takes (or auto-generates) its own name; a
#: ``bucket`` argument elsewhere names the bucket a setting applies to.
NAME_ARGS = ("name", "node_group_name", "tracking_server_name", "name_prefix")


def _whole_recipe(name: str) -> harness.Run:
    data = yaml.safe_load(builtin_recipes()["aws-recipe"].read_text())
    data["name"] = name
    stack = load_text(yaml.safe_dump(data), "long.yaml")
    return harness.run(build_program(stack), connections=lambda _: {})


def test_every_physical_name_fits_for_a_40_character_stack_name():
    assert len(LONG) == 40
    r = _whole_recipe(LONG)
    harness.check_all(r, stack=LONG)
    checked = 0
    for res in r.custom:
        if res.type.startswith("kubernetes:"):
            name = res.inputs["metadata"]["name"]
            assert re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", name), (res.name, name)
            checked += 1
            continue
        takes_name = res.type == "aws:s3/bucket:Bucket" or any(
            harness.accepts(res.type, a) for a in NAME_ARGS
        )
        if not takes_name:
            continue
        assert res.type in LIMITS, f"{res.type} takes a name: add it to LIMITS"
        key, limit = LIMITS[res.type]
        physical = res.inputs.get(key)
        assert physical, f"{res.type} {res.name} has no explicit {key}: it would be auto-named"
        assert len(physical) <= limit, (res.type, physical, len(physical), limit)
        checked += 1
    assert checked >= 25
    bucket = r.one("aws:s3/bucket:Bucket").inputs["bucket"]
    assert re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket), bucket
    assert harness.ACCOUNT in bucket or len(bucket) == 63


def test_names_are_distinct_and_stable():
    first = _whole_recipe(LONG)
    second = _whole_recipe(LONG)

    def physical(r):
        return sorted(
            (res.type, res.inputs[LIMITS[res.type][0]]) for res in r.custom if res.type in LIMITS
        )

    assert physical(first) == physical(second)
    roles = [n for t, n in physical(first) if t == "aws:iam/role:Role"]
    assert len(roles) == len(set(roles))


def test_fit_keeps_short_names_and_hashes_long_ones_apart():
    assert fit("short", 10) == "short"
    a, b = fit("x" * 70 + "-cluster-role", 64), fit("x" * 70 + "-node-role", 64)
    assert len(a) == len(b) == 64 and a != b
    assert "--" not in fit("a" * 56 + "-" + "b" * 20, 64)
