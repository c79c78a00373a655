"""The model deployer's interface: serve a registered version, list, predict, stop."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from provisioner.catalog.types import ComponentType
from provisioner.runtime.components.base import StackComponent


@dataclass(frozen=True)
class Deployment:
    """A model version served over HTTP.

    Attributes:
        name: the deployment's name (the registered model's name).
        model: the registered model it serves.
        version: the version it serves.
        url: the endpoint's base URL (``POST {url}/invocations`` predicts).
        status: ``running``, ``stopped`` or ``failed``, as last checked.
        started_at: when the serving version started (ISO 8601, UTC).
        details: flavor-specific facts (pid and log file, or namespace and Deployment).
    """

    name: str
    model: str
    version: str
    url: str
    status: str = "running"
    started_at: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return dict(self.__dict__)


class ModelDeployer(StackComponent):
    """Serves model versions from the stack's model registry."""

    type: ClassVar[ComponentType] = ComponentType.MODEL_DEPLOYER

    def deploy(
        self, name: str, version: str | int | None = None, alias: str | None = None
    ) -> Deployment:
        """Serve that version of registered model ``name`` (again: a no-op)."""
        raise NotImplementedError

    def list(self) -> list[Deployment]:
        """Every deployment recorded for this stack."""
        raise NotImplementedError

    def get(self, name: str) -> Deployment:
        """One deployment."""
        raise NotImplementedError

    def predict(self, name: str, data: Any) -> Any:
        """Call the deployment's endpoint with ``data`` and return its predictions."""
        raise NotImplementedError

    def logs(self, name: str, tail: int = 100) -> str:
        """The last lines of the model server's log."""
        raise NotImplementedError

    def stop(self, name: str) -> None:
        """Stop serving and forget the deployment."""
        raise NotImplementedError
