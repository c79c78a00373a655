"""Where local recipes put things by default, resolved to absolute paths at program time."""

from __future__ import annotations

from pathlib import Path

from provisioner import home


def resolve_dir(configured: str | None, default: Path, base: Path | None = None) -> str:
    """An absolute directory path: ``configured`` or ``default``.

    ``~`` is expanded, and a relative ``configured`` path is taken relative to ``base`` (the
    definition file's folder), so a plan does not depend on where the command runs.
    """
    if not configured:
        return str(default.resolve())
    path = Path(configured).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    return str(path.resolve())


def artifacts_dir(stack: str) -> Path:
    """Default artifact store directory: ``<home>/artifacts/<stack>``."""
    return home.home() / "artifacts" / stack


def mlruns_dir(stack: str) -> Path:
    """Default MLflow file store: ``<home>/mlruns/<stack>``."""
    return home.home() / "mlruns" / stack


def feature_store_dir(stack: str) -> Path:
    """Default home of a Feast repository (registry, online store): ``<home>/feature_store/<stack>``."""
    return home.home() / "feature_store" / stack


def workspace_dir(stack: str) -> Path:
    """Default orchestrator workspace (scratch space for runs): ``<home>/workspaces/<stack>``."""
    return home.home() / "workspaces" / stack


def service_dir(stack: str, name: str) -> Path:
    """Folder of one managed local service: ``<home>/services/<stack>/<name>``."""
    return home.services_dir() / stack / name
