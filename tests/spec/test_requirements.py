"""Validation refuses what the program refuses: each flavor's declared siblings match its recipe.

For every flavor, a stack of that flavor plus its declared requirements loads and plans
offline; without any one requirement the loader refuses it, and so does the recipe itself
when the loader's check is skipped (so no declaration is stricter than the recipe).
"""

from __future__ import annotations

import pytest
import yaml

from provisioner.catalog.flavor import Flavor
from provisioner.catalog.registry import registry
from provisioner.catalog.types import Cloud
from provisioner.engines.embedded.engine import EmbeddedEngine
from provisioner.errors import ProvisionerError, SpecError
from provisioner.spec import loader

LOCATION = {Cloud.LOCAL: {}, Cloud.AWS: {"region": "eu-west-1"}}
FLAVORS = [f for f in registry().all() if f.cloud in LOCATION]
#: The least config a flavor needs to be valid on its own (a private EKS endpoint needs no CIDRs).
_HOOK = {"url": {"source": "env", "name": "HOOK_URL"}}
MINIMAL_CONFIG = {
    (Cloud.AWS, "orchestrator", "kubernetes"): {"endpoint_public_access": False},
    (Cloud.LOCAL, "alerter", "slack"): {"channel": "#alerts"},
    (Cloud.LOCAL, "alerter", "webhook"): _HOOK,
    (Cloud.AWS, "alerter", "webhook"): _HOOK,
}


def _definition(flavor: Flavor, without: str | None = None) -> str:
    config = MINIMAL_CONFIG.get((flavor.cloud, str(flavor.type), flavor.name), {})
    components = {str(flavor.type): {"flavor": flavor.name, "config": config}}
    needs = list(flavor.requires)
    while needs:  # with what the siblings need in turn (the cluster annotator's EKS needs S3)
        need = needs.pop(0)
        if str(need.type) == without or str(need.type) in components:
            continue
        sibling = MINIMAL_CONFIG.get((flavor.cloud, str(need.type), need.flavors[0]))
        components[str(need.type)] = {"flavor": need.flavors[0], "config": sibling or {}}
        needs += registry().get(need.type, need.flavors[0], flavor.cloud).requires
    data = {"name": "req", "cloud": str(flavor.cloud), **LOCATION[flavor.cloud]}
    return yaml.safe_dump({**data, "components": components})


def _plan(text: str):
    return EmbeddedEngine().preview(loader.load_text(text, "req.yaml"))


def _id(flavor: Flavor) -> str:
    return f"{flavor.cloud}-{flavor.type}-{flavor.name}"


def test_aws_flavors_declare_what_their_recipes_read():
    needs = {
        (str(f.type), f.name): {str(n.type) for n in f.requires}
        for f in FLAVORS
        if f.cloud is Cloud.AWS
    }
    assert needs[("image_builder", "aws")] == {"artifact_store", "container_registry"}
    assert needs[("model_registry", "mlflow")] == {"artifact_store"}
    assert needs[("orchestrator", "kubernetes")] == {"artifact_store"}


@pytest.mark.parametrize("flavor", FLAVORS, ids=_id)
def test_flavor_with_its_requirements_validates_and_plans(flavor):
    plan = _plan(_definition(flavor))
    assert any(step.type.startswith("provisioner:") for step in plan.steps)


@pytest.mark.parametrize(
    ("flavor", "need"),
    [(f, str(n.type)) for f in FLAVORS for n in f.requires],
    ids=lambda v: _id(v) if isinstance(v, Flavor) else v,
)
def test_a_missing_requirement_is_refused_by_the_loader_and_by_the_recipe(
    flavor, need, monkeypatch
):
    text = _definition(flavor, without=need)
    with pytest.raises(SpecError) as refused:
        loader.load_text(text, "req.yaml")
    assert f"needs an {need}" in str(refused.value) or f"needs a {need}" in str(refused.value)

    monkeypatch.setattr(loader, "missing_siblings", lambda *_: [])
    with pytest.raises(ProvisionerError, match="needs"):
        _plan(text)
