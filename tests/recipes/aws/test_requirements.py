"""The aws extra requires the pulumi-aws major the recipes are written for."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[3]


def _extra(name: str) -> dict[str, Requirement]:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    return {r.name: r for r in map(Requirement, extras[name])}


def test_pulumi_aws_is_pinned_to_7_whose_resources_take_region():
    spec = _extra("aws")["pulumi-aws"].specifier
    assert not spec.contains("6.83.0"), "the per-resource region= argument exists only from 7.0"
    assert spec.contains("7.0.0") and spec.contains("7.20.1")
    assert not spec.contains("8.0.0")


def test_installed_pulumi_aws_takes_region_per_resource():
    import inspect

    import pulumi_aws as aws

    assert "region" in inspect.signature(aws.s3.Bucket._internal_init).parameters


def test_pulumi_kubernetes_is_behind_the_kubernetes_extra_and_installed_for_tests():
    assert "pulumi-kubernetes" in _extra("kubernetes")
    assert "pulumi-kubernetes" in _extra("test")
