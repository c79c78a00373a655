"""Mocks test of a data validator on AWS: the same recipe, no AWS resources, an aws token."""

from __future__ import annotations

from provisioner.recipes.common.data_validator import PanderaDataValidator
from provisioner.recipes.common.flavors import PanderaConfig
from tests.recipes.aws import harness


def test_no_resources_on_aws_only_the_settings():
    ctx = harness.make_ctx()
    r = harness.run(lambda: PanderaDataValidator("ml-data-validator", PanderaConfig(), ctx))
    comp = r.one("provisioner:aws:PanderaDataValidator")
    assert r.types_under(comp) == set() and not r.custom
    assert r.connections["main"] == {"max_failure_cases": 100}
