"""The catalog entry: config model and where the recipe and the runtime implementation live.

Nothing here imports Pulumi: provisioner reads this module to list and validate flavors.
"""

from __future__ import annotations

import os
from typing import Annotated

from pydantic import Field, field_validator

from provisioner.catalog.flavor import Flavor, FlavorConfig
from provisioner.catalog.types import Cloud, ComponentType


class AdoptedDirectoryConfig(FlavorConfig):
    """An existing directory on this machine, used as the artifact store as it is."""

    path: Annotated[
        str,
        Field(min_length=1, max_length=4096, description="Absolute path of an existing directory."),
    ]

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not os.path.isabs(os.path.expanduser(value)):
            raise ValueError(f"must be an absolute path, got {value!r}")
        return os.path.expanduser(value)


FLAVORS = [
    Flavor(
        type=ComponentType.ARTIFACT_STORE,
        name="adopted-dir",
        cloud=Cloud.LOCAL,
        config_model=AdoptedDirectoryConfig,
        recipe="adopted_store.recipe:AdoptedArtifactStore",
        # The runtime reads the connection's uri: a local path uses the built-in store.
        implementation="provisioner.runtime.stores.local:LocalArtifactStore",
        description="Adopts an existing directory; a destroy leaves it and its data alone.",
        dynamic_only=True,
    )
]
