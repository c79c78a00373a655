"""Azure values checked offline: locations, AKS versions by date, tags, and the offline plan's
shape of Azure identities."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic_core import PydanticCustomError

from provisioner.engines.embedded.deployment import planned_outputs
from provisioner.recipes.azure import cloud_checks, cloud_data


@pytest.fixture(autouse=True)
def _listed_only(monkeypatch):
    monkeypatch.delenv(cloud_checks.ALLOW_UNLISTED_ENV, raising=False)


def test_locations():
    assert cloud_checks.check_location("westeurope") == "westeurope"
    with pytest.raises(PydanticCustomError, match="westeurope"):
        cloud_checks.check_location("westeuropa")


def test_aks_versions_end_with_their_standard_support():
    last = max(cloud_data.AKS_VERSIONS, key=lambda v: tuple(map(int, v.split("."))))
    end = date.fromisoformat(cloud_data.AKS_VERSIONS[last][1])
    assert cloud_checks.check_kubernetes_version(last, today=date(end.year - 1, 1, 1)) == last
    with pytest.raises(PydanticCustomError, match="left standard support"):
        cloud_checks.check_kubernetes_version(last, today=end)
    with pytest.raises(PydanticCustomError, match="AKS Kubernetes version"):
        cloud_checks.check_kubernetes_version("1.99", today=date(2026, 1, 1))


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("Microsoft.Owner", "x", "reserved"),
        ("team/ml", "x", "'/'"),
        ("a?b", "x", "'?'"),
        ("k", "v" * 257, "256"),
        ("k" * 513, "v", "1-512"),
        ("k", " padded", "spaces"),
    ],
)
def test_tags_azure_refuses(key, value, problem):
    assert problem in (cloud_checks.tag_problem(key, value) or "")


def test_tags_azure_accepts_and_the_count_limit():
    assert cloud_checks.check_tags({"team": "ml", "cost-center": "42 / a"}) is not None
    with pytest.raises(PydanticCustomError, match="at most 48"):
        cloud_checks.check_tags({f"k{i}": "v" for i in range(49)})


def test_offline_plan_shows_user_assigned_identities_as_azure_returns_them():
    inputs = {"identity": {"type": "UserAssigned", "userAssignedIdentities": ["/id/a"]}}
    assert planned_outputs(inputs)["identity"]["userAssignedIdentities"] == {"/id/a": {}}
    assert planned_outputs({"name": "x"}) == {"name": "x"}
