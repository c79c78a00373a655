"""AWS values are checked offline against the lists shipped with the package."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from provisioner.errors import SpecError
from provisioner.recipes.aws import cloud_checks, cloud_data
from provisioner.recipes.aws.flavors import (
    EKSOrchestratorConfig,
    S3ArtifactStoreConfig,
    SageMakerConfig,
)
from provisioner.spec.loader import load_text

OFFICE = ["203.0.113.0/24"]
ALLOW = cloud_checks.ALLOW_UNLISTED_ENV


def definition(region: str = "eu-west-1", tags: str = "{}") -> str:
    return f"name: ml\ncloud: aws\nregion: {region}\ntags: {tags}\ncomponents: {{}}\n"


@pytest.fixture(autouse=True)
def _no_override(monkeypatch):
    monkeypatch.delenv(ALLOW, raising=False)


def test_a_mistyped_region_is_refused_with_close_matches():
    with pytest.raises(SpecError) as info:
        load_text(definition("eu-westt-1"), "x.yaml")
    ((path, line, msg),) = info.value.problems
    assert path == "region" and line == 3
    assert "eu-west-1" in msg and "eu-westt-1" in msg
    assert cloud_data.AS_OF in msg and ALLOW in msg


@pytest.mark.parametrize("region", ["eu-west-1", "us-gov-west-1", "cn-north-1", "ap-southeast-7"])
def test_known_regions_of_every_partition_pass(region):
    assert load_text(definition(region), "x.yaml").spec.region == region


def test_the_override_accepts_a_region_newer_than_the_list(monkeypatch):
    monkeypatch.setenv(ALLOW, "1")
    assert load_text(definition("eu-west-9"), "x.yaml").spec.region == "eu-west-9"


def test_instance_type_shapes():
    with pytest.raises(ValidationError) as info:
        EKSOrchestratorConfig(public_access_cidrs=OFFICE, instance_type="m5.gigantic")
    msg = str(info.value)
    assert "m5 comes in" in msg and "large, xlarge" in msg
    with pytest.raises(ValidationError, match=r"m5\.large"):
        EKSOrchestratorConfig(public_access_cidrs=OFFICE, instance_type="m55.large")
    assert EKSOrchestratorConfig(public_access_cidrs=OFFICE, instance_type="g5.12xlarge")
    with pytest.raises(ValidationError, match=r"ml\.m5 comes in"):
        SageMakerConfig(instance_type="ml.m5.gigantic")
    assert SageMakerConfig(instance_type="ml.g5.xlarge")


def test_kubernetes_versions_eks_still_creates():
    check = cloud_checks.check_kubernetes_version
    assert check("1.33", today=date(2026, 11, 30)) == "1.33"
    with pytest.raises(Exception, match=r"1\.33, 1\.34, 1\.35"):
        check("1.12", today=date(2026, 11, 30))
    with pytest.raises(Exception, match="end of extended support on 2026-11-26"):
        check("1.31", today=date(2026, 11, 30))
    assert check("1.31", today=date(2026, 11, 1)) == "1.31"


def test_kubernetes_version_error_reaches_the_config():
    with pytest.raises(ValidationError, match="EKS"):
        EKSOrchestratorConfig(public_access_cidrs=OFFICE, kubernetes_version="1.12")


def test_the_override_accepts_unlisted_types_and_versions(monkeypatch):
    monkeypatch.setenv(ALLOW, "1")
    config = EKSOrchestratorConfig(
        public_access_cidrs=OFFICE, instance_type="m9.huge", kubernetes_version="1.40"
    )
    assert config.instance_type == "m9.huge" and config.kubernetes_version == "1.40"


@pytest.mark.parametrize(
    ("tags", "named"),
    [
        ("{'aws:team': ml}", "'aws:team'"),
        ("{'AWS:team': ml}", "'AWS:team'"),
        ("{team: 'a|b'}", "'|'"),
        ("{team: 'a,b'}", "','"),
        ("{'team#1': ml}", "'team#1'"),
    ],
)
def test_tags_aws_would_reject_are_refused_naming_the_tag(tags, named):
    with pytest.raises(SpecError) as info:
        load_text(definition(tags=tags), "x.yaml")
    ((path, _, msg),) = info.value.problems
    assert path.startswith("tags") and named in msg


def test_tag_values_in_any_script_with_allowed_punctuation_pass():
    spec = load_text(definition(tags="{team: 'données ML', cost/center: 'a+b=c@d:e_f.g-h'}"), "x")
    assert spec.spec.tags["team"] == "données ML"


def test_kms_alias_arns_are_refused_key_arns_pass():
    key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert S3ArtifactStoreConfig(kms_key_arn=key).kms_key_arn == key
    mrk = "arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"
    assert S3ArtifactStoreConfig(kms_key_arn=mrk)
    with pytest.raises(ValidationError, match="alias ARN is refused"):
        S3ArtifactStoreConfig(kms_key_arn="arn:aws:kms:eu-west-1:123456789012:alias/artifacts")
    with pytest.raises(ValidationError, match="key ARN"):
        S3ArtifactStoreConfig(kms_key_arn="arn:aws:kms:eu-west-1:123456789012:key/nope")


def test_too_many_tags_are_refused():
    tags = "{" + ", ".join(f"t{i}: v" for i in range(46)) + "}"
    with pytest.raises(SpecError, match="at most 45 tags"):
        load_text(definition(tags=tags), "x.yaml")
    assert load_text(definition(tags=tags.replace("t45: v, ", "").replace(", t45: v", "")), "x")
