"""The feature store's interface: register features, read them for training and serving.

Inside a step, ``get_step_context().feature_store``; outside one,
``connect(stack).feature_store``. Objects (entities, sources, feature views) are the
feature store's own (Feast's); features are named ``"view:feature"``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from provisioner.catalog.types import ComponentType
from provisioner.runtime.components.base import StackComponent


@dataclass(frozen=True)
class FeatureInfo:
    """One feature of a feature view.

    Attributes:
        name: the feature's name.
        dtype: its type as the feature store names it (``Float32``, ``Int64``, ...).
    """

    name: str
    dtype: str


@dataclass(frozen=True)
class FeatureViewInfo:
    """One registered feature view, as ``provisioner feature list`` shows it.

    Attributes:
        name: the view's name.
        entities: the entities it is keyed by.
        features: its features.
        ttl_seconds: how far back a historical or online read looks (None: forever).
        source: where its data comes from (a file path, a table).
        online: whether it is served online.
        tags: its tags.
    """

    name: str
    entities: list[str]
    features: list[FeatureInfo]
    ttl_seconds: float | None = None
    source: str = ""
    online: bool = True
    tags: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able data."""
        return asdict(self)


class FeatureStore(StackComponent):
    """Base of every feature store client."""

    type = ComponentType.FEATURE_STORE

    def apply(self, objects: list[Any]) -> None:
        """Register (or update) entities, data sources and feature views in the registry."""
        raise NotImplementedError

    def get_historical_features(self, entity_df: Any, features: list[str]) -> Any:
        """Point-in-time correct features for each row of ``entity_df`` (entity keys and an
        ``event_timestamp`` column), as a pandas DataFrame."""
        raise NotImplementedError

    def materialize(
        self, start: datetime, end: datetime, feature_views: list[str] | None = None
    ) -> None:
        """Load the feature values of ``[start, end)`` into the online store."""
        raise NotImplementedError

    def get_online_features(
        self, features: list[str], entity_rows: list[dict[str, Any]]
    ) -> dict[str, list[Any]]:
        """The latest online values for each entity row, as ``{column: [values]}``."""
        raise NotImplementedError

    def list_feature_views(self) -> list[FeatureViewInfo]:
        """Every registered feature view of the stack's project."""
        raise NotImplementedError

    def offline_path(self, name: str) -> str:
        """Where a source file named ``name`` belongs in the offline store (a path or URI)."""
        raise NotImplementedError

    def write_source(self, name: str, df: Any) -> str:
        """Write a DataFrame as a Parquet source file of the offline store; returns its path."""
        raise NotImplementedError
