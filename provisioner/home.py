"""Where provisioner keeps state: the provisioner home and its per-stack folders."""

from __future__ import annotations

import os
import re
from pathlib import Path

_override: Path | None = None

STACK_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$")


def set_home(path: str | os.PathLike[str] | None) -> None:
    """Override the home for this process (the CLI's global ``--home``)."""
    global _override
    _override = Path(path).expanduser().resolve() if path else None


def home() -> Path:
    """The provisioner home: ``--home``, else ``$PROVISIONER_HOME``, else ``~/.provisioner``."""
    if _override is not None:
        return _override
    env = os.environ.get("PROVISIONER_HOME")
    if env:
        return Path(env).expanduser().resolve()
    return Path.home() / ".provisioner"


def stacks_dir() -> Path:
    """Folder holding one subfolder per deployed stack."""
    return home() / "stacks"


def stack_dir(name: str) -> Path:
    """Folder for one stack's checkpoint, lock and stack config."""
    if not STACK_NAME_RE.match(name):
        from provisioner.errors import UserInputError

        raise UserInputError(f"invalid stack name {name!r}")
    return stacks_dir() / name


def services_dir() -> Path:
    """Folder for managed local services (for example the local OCI registry)."""
    return home() / "services"


def stack_config_path(name: str) -> Path:
    """Where a deploy writes the stack's hand-off file."""
    return stack_dir(name) / "stack-config.yaml"
