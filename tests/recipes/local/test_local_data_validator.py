"""Mocks test of the data validator recipes: no resources, the settings are the connection."""

from __future__ import annotations

import pytest

from provisioner.catalog.registry import registry
from provisioner.catalog.types import Cloud, ComponentType
from provisioner.recipes.common.data_validator import EvidentlyDataValidator, PanderaDataValidator
from provisioner.recipes.common.flavors import EvidentlyConfig, PanderaConfig


def test_pandera_creates_nothing_and_exports_its_settings(ctx, monitor, deploy):
    out = deploy(lambda: PanderaDataValidator("demo-data-validator", PanderaConfig(), ctx))
    (comp,) = monitor.registrations
    assert comp.type == "provisioner:local:PanderaDataValidator" and not comp.custom
    assert out["connection"] == {"max_failure_cases": 100}


def test_evidently_exports_its_drift_share(ctx, monitor, deploy):
    config = EvidentlyConfig(drift_share=0.25, max_failure_cases=7)
    out = deploy(lambda: EvidentlyDataValidator("demo-data-validator", config, ctx))
    assert [r.type for r in monitor.registrations] == ["provisioner:local:EvidentlyDataValidator"]
    assert out["connection"] == {"drift_share": 0.25, "max_failure_cases": 7}


@pytest.mark.parametrize(
    "config", [{"drift_share": 0}, {"drift_share": 1.5}, {"max_failure_cases": 0}, {"x": 1}]
)
def test_bad_settings_are_refused(config):
    with pytest.raises(ValueError):
        EvidentlyConfig(**config)


def test_offered_on_every_cloud_and_embeddable():
    for name in ("pandera", "evidently"):
        for cloud in Cloud:
            flavor = registry().get(ComponentType.DATA_VALIDATOR, name, cloud)
            assert flavor.dynamic_only and flavor.implementation
