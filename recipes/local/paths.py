"""Where local recipes put things by default, resolved to absolute paths at program time."""

from __future__ import annotations

from pathlib import Path

from provisioner import home


def resolve_dir(configured: str | None, default: Path) -> str:
    """An absolute directory path: ``configured`` (``~`` expanded) or ``default``."""
    return str(Path(configured).expanduser().resolve() if configured else default.resolve())


def artifacts_dir(stack: str) -> Path:
    """Default artifact store directory: ``<home>/artifacts/<stack>``."""
    return home.home() / "artifacts" / stack


def mlruns_dir(stack: str) -> Path:
    """Default MLflow file store: ``<home>/mlruns/<stack>``."""
    return home.home() / "mlruns" / stack


def workspace_dir(stack: str) -> Path:
    """Default orchestrator workspace (scratch space for runs): ``<home>/workspaces/<stack>``."""
    return home.home() / "workspaces" / stack


def service_dir(stack: str, name: str) -> Path:
    """Folder of one managed local service: ``<home>/services/<stack>/<name>``."""
    return home.services_dir() / stack / name
