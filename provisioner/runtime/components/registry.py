"""The model registry's interface: register, list, get, alias and load model versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from provisioner.catalog.types import ComponentType
from provisioner.runtime.components.base import StackComponent


@dataclass(frozen=True)
class ModelVersion:
    """One registered version of a model.

    Attributes:
        name: the registered model's name.
        version: its version, as the registry numbers it ("1", "2", ...).
        uri: where the model's files are: a provisioner artifact, content-hashed.
        artifact_hash: the artifact's content hash.
        aliases: the aliases that point at this version ("champion", ...).
        metadata: what ``register(..., metadata=...)`` attached (as strings).
        run_id: the tracker run that registered it, if any.
        created_at: when it was registered (ISO 8601, UTC).
    """

    name: str
    version: str
    uri: str
    artifact_hash: str = ""
    aliases: tuple[str, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)
    run_id: str | None = None
    created_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return {**self.__dict__, "aliases": list(self.aliases)}


class ModelRegistry(StackComponent):
    """Registers models stored in the artifact store, and finds and loads them again."""

    type: ClassVar[ComponentType] = ComponentType.MODEL_REGISTRY

    def register(
        self, name: str, model: Any, metadata: dict[str, Any] | None = None
    ) -> ModelVersion:
        """Store ``model`` as an artifact and register it as the next version of ``name``."""
        raise NotImplementedError

    def list_models(self) -> list[str]:
        """The registered models' names."""
        raise NotImplementedError

    def list_versions(self, name: str) -> list[ModelVersion]:
        """Every version of ``name``, newest first."""
        raise NotImplementedError

    def get(
        self, name: str, version: str | int | None = None, alias: str | None = None
    ) -> ModelVersion:
        """One version, by number or alias (neither: the latest)."""
        raise NotImplementedError

    def set_alias(self, name: str, version: str | int, alias: str) -> ModelVersion:
        """Point ``alias`` at ``version`` (moving it from another version)."""
        raise NotImplementedError

    def load(self, name: str, version: str | int | None = None, alias: str | None = None) -> Any:
        """The model object of one version."""
        raise NotImplementedError
