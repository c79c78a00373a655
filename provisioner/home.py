"""Where provisioner keeps state: the provisioner home and its per-stack folders."""

from __future__ import annotations

import contextlib
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


def ensure_home() -> Path:
    """The home, created private (mode 0700) if it does not exist yet.

    Other local users must not list its stacks or read their configs, keys and locks.
    """
    root = home()
    if not root.is_dir():
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(root, 0o700)
    return root


def make_dirs(path: Path) -> Path:
    """Create ``path`` and its missing parents; inside the home, each new folder is 0700."""
    path = Path(path)
    root = home()
    try:
        rel = path.relative_to(root)
    except ValueError:
        path.mkdir(parents=True, exist_ok=True)
        return path
    current = ensure_home()
    for part in rel.parts:
        current = current / part
        with contextlib.suppress(FileExistsError):
            current.mkdir(mode=0o700)
    return path


def inside(path: Path) -> bool:
    """Whether ``path`` lies in the home."""
    return Path(path).absolute().is_relative_to(home())


def current_umask() -> int:
    """The process umask, read without changing it (other threads may be creating files)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode(path: Path) -> int:
    """The mode of a new file: 0600 in the home, else what the umask gives (as ``open``)."""
    return 0o600 if inside(path) else 0o666 & ~current_umask()


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
