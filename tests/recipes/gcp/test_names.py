"""Every physical name of the gcp-recipe fits GCP's rules, even for a 40-character stack."""

from __future__ import annotations

import re

import yaml

from provisioner.program import build_program
from provisioner.recipes.gcp import names
from provisioner.spec.loader import builtin_recipes, load_text
from tests.recipes.gcp import harness

#: The longest stack name the spec allows (40 characters).
LONG = "research-platform-experiments-team-euw4x"

_RFC1035 = r"[a-z]([-a-z0-9]*[a-z0-9])?"
#: Resource type -> (input holding its physical name, GCP's rule for it).
RULES = {
    "gcp:storage/bucket:Bucket": ("name", r"[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]"),
    "gcp:artifactregistry/repository:Repository": (
        "repositoryId",
        r"[a-z]([a-z0-9-]{0,61}[a-z0-9])?",
    ),
    "gcp:container/cluster:Cluster": ("name", r"[a-z]([-a-z0-9]{0,38}[a-z0-9])?"),
    "gcp:container/nodePool:NodePool": ("name", r"[a-z]([-a-z0-9]{0,38}[a-z0-9])?"),
    "gcp:serviceaccount/account:Account": ("accountId", r"[a-z]([-a-z0-9]{4,28}[a-z0-9])"),
    "gcp:secretmanager/secret:Secret": ("secretId", r"[A-Za-z0-9_-]{1,255}"),
    "gcp:compute/network:Network": ("name", _RFC1035),
    "gcp:compute/subnetwork:Subnetwork": ("name", _RFC1035),
    "gcp:compute/router:Router": ("name", _RFC1035),
    "gcp:compute/routerNat:RouterNat": ("name", _RFC1035),
}
#: Resources that take no name of their own (grants, API enablement).
UNNAMED = ("IAMMember", "IamMember", "projects/service:Service")


def _whole_recipe(name: str) -> harness.Run:
    data = yaml.safe_load(builtin_recipes()["gcp-recipe"].read_text())
    data["name"] = name
    data["project"] = harness.PROJECT
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
        if res.type.startswith("pulumi:providers:") or res.type.endswith(UNNAMED):
            continue
        assert res.type in RULES, f"{res.type} takes a name: add it to RULES"
        key, rule = RULES[res.type]
        physical = res.inputs.get(key)
        assert physical, f"{res.type} {res.name} has no explicit {key}: it would be auto-named"
        assert re.fullmatch(rule, physical), (res.type, physical, len(physical))
        checked += 1
    assert checked >= 20
    ids = [x.inputs["accountId"] for x in r.of_type("gcp:serviceaccount/account:Account")]
    assert len(ids) == len(set(ids)) == 5


def test_bucket_names_are_global_so_they_carry_a_hash_of_project_and_stack():
    a = names.bucket("ml-artifact-store", "project-one")
    b = names.bucket("ml-artifact-store", "project-two")
    assert a != b and a.startswith("ml-artifact-store-") and len(a) <= 63
    assert names.bucket("ml-artifact-store", "project-one") == a
    assert len(names.bucket("x" * 80, "p")) == 63


def test_fit_keeps_short_names_and_hashes_long_ones_apart():
    assert names.fit("short", 10) == "short"
    a = names.fit("x" * 40 + "-steps", 30)
    b = names.fit("x" * 40 + "-user", 30)
    assert len(a) == len(b) == 30 and a != b
    assert not names.fit("a" * 22 + "-" + "b" * 20, 30).endswith("-")
