"""A real ``mlflow server`` on 127.0.0.1, started once per test session by the recipe's own
provider, from the pinned environment cached outside the clone."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from provisioner.recipes.local.providers import venvs
from provisioner.recipes.local.providers.mlflow_server import (
    SERVER_REQUIREMENTS,
    LocalMLflowServerProvider,
)

#: Where the tests keep server environments (built once per machine, ~95 s).
CACHE = Path.home() / ".cache" / "provisioner-test" / "venvs"


@dataclass(frozen=True)
class MLflowService:
    """The session's server: its URI, environment and provider outputs."""

    tracking_uri: str
    venv: str
    root: Path
    outs: dict[str, Any]


def use_venv_cache() -> None:
    """Point service environments at the cache outside the clone (unless set already)."""
    os.environ.setdefault(venvs.VENVS_ENV, str(CACHE))
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def server_props(root: Path) -> dict[str, Any]:
    """The provider inputs of a server whose files live under ``root``."""
    return {
        "service_dir": str(root / "service"),
        "artifacts_destination": str(root / "artifacts" / "mlflow"),
        "listen_port": 0,
        "requirements": list(SERVER_REQUIREMENTS),
    }


@pytest.fixture(scope="session")
def mlflow_service(tmp_path_factory: pytest.TempPathFactory):
    """One real MLflow server for the whole session; stopped and removed at its end."""
    use_venv_cache()
    root = tmp_path_factory.mktemp("mlflow-service")
    provider = LocalMLflowServerProvider()
    checked = provider.check({}, server_props(root))
    assert not checked.failures
    created = provider.create(checked.inputs)
    try:
        yield MLflowService(
            tracking_uri=created.outs["tracking_uri"],
            venv=created.outs["venv"],
            root=root,
            outs=created.outs,
        )
    finally:
        provider.delete(created.id, created.outs)
