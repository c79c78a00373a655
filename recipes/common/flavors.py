"""Flavors with no infrastructure, on every cloud: their config models and catalog entries.

Their recipes create no resources; a deploy writes their settings into the stack config, and
the runtime does the work (see :mod:`provisioner.recipes.common.settings`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from provisioner.catalog.flavor import Flavor, FlavorConfig
from provisioner.catalog.types import Cloud, ComponentType
from provisioner.recipes.common.connections import (
    DriftShare,
    EvidentlyConnection,
    MaxFailureCases,
    PanderaConnection,
)


class PanderaConfig(FlavorConfig):
    """Schema validation with pandera, in the step's own process."""

    max_failure_cases: Annotated[MaxFailureCases, Field(default=100)]


class EvidentlyConfig(FlavorConfig):
    """Drift and quality reports with Evidently (and schema validation with pandera)."""

    max_failure_cases: Annotated[MaxFailureCases, Field(default=100)]
    drift_share: Annotated[DriftShare, Field(default=0.5)]


_R = "provisioner.recipes.common.settings"

FLAVORS: list[Flavor] = [
    flavor
    for cloud in Cloud
    for flavor in (
        Flavor(
            type=ComponentType.DATA_VALIDATOR,
            name="pandera",
            cloud=cloud,
            config_model=PanderaConfig,
            connection_model=PanderaConnection,
            recipe=f"{_R}:PanderaDataValidator",
            implementation="provisioner.tools.pandera.validator:PanderaDataValidator",
            description="Validates DataFrames against pandera schemas; reports as artifacts.",
            dynamic_only=True,
        ),
        Flavor(
            type=ComponentType.DATA_VALIDATOR,
            name="evidently",
            cloud=cloud,
            config_model=EvidentlyConfig,
            connection_model=EvidentlyConnection,
            recipe=f"{_R}:EvidentlyDataValidator",
            implementation="provisioner.tools.evidently.validator:EvidentlyDataValidator",
            description="Drift and data quality reports (HTML and JSON artifacts), and "
            "pandera schema checks.",
            dynamic_only=True,
        ),
    )
]
