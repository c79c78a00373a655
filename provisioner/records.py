"""The per-stack record: which definition and engine a stack was deployed with, and its status."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from provisioner import home
from provisioner.stackconfig import atomic_write_text

RECORD_FILE = "stack.json"
#: Names of the stacks this home destroyed, so destroying one again is a no-op, not a typo.
DESTROYED_FILE = "destroyed.json"


@dataclass
class StackRecord:
    """What the tool remembers of a deployed stack besides the engine's own state.

    Attributes:
        name: the stack's name.
        cloud: its cloud.
        engine: the engine holding its state (``embedded`` or ``pulumi``).
        definition: the definition file it was last deployed from.
        recipe: the built-in recipe name, or None.
        status: ``deploying``, ``deployed``, ``failed`` or ``destroying``.
        updated_at: ISO time of the last change.
        backend: the Pulumi backend URL, when the engine is pulumi.
        owner: the process deploying or destroying it (host, pid, start time, boot and pid
            namespace), to tell a live one from a killed one.
    """

    name: str
    cloud: str
    engine: str
    definition: str
    recipe: str | None
    status: str
    updated_at: str
    backend: str | None = None
    owner: dict | None = None

    @property
    def config_path(self) -> Path:
        return home.stack_config_path(self.name)


def record_path(name: str) -> Path:
    """Where the record of stack ``name`` lives."""
    return home.stack_dir(name) / RECORD_FILE


def read_record(name: str) -> StackRecord | None:
    """The record of ``name``, or None if the stack is unknown."""
    path = record_path(name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None
    fields = StackRecord.__dataclass_fields__
    return StackRecord(**{k: v for k, v in data.items() if k in fields})


def write_record(record: StackRecord) -> None:
    """Write the record atomically."""
    atomic_write_text(record_path(record.name), json.dumps(asdict(record), indent=2) + "\n")


def list_records() -> list[StackRecord]:
    """Every stack the home knows, sorted by name."""
    root = home.stacks_dir()
    if not root.is_dir():
        return []
    out = []
    for child in sorted(root.iterdir()):
        if child.is_dir():
            try:
                rec = read_record(child.name)
            except Exception:  # an invalid folder name is not a stack
                rec = None
            if rec is not None:
                out.append(rec)
    return out


def forget(name: str) -> None:
    """Remove the record and the stack config after a destroy; the engine removes its state.

    The name is remembered as destroyed (see :func:`was_destroyed`).
    """
    folder = home.stack_dir(name)
    for fname in (RECORD_FILE, home.stack_config_path(name).name):
        (folder / fname).unlink(missing_ok=True)
    if folder.is_dir() and not any(folder.iterdir()):
        shutil.rmtree(folder, ignore_errors=True)
    names = _destroyed()
    if name not in names:
        path = home.stacks_dir() / DESTROYED_FILE
        atomic_write_text(path, json.dumps(sorted(names | {name}), indent=2) + "\n")


def was_destroyed(name: str) -> bool:
    """True if this home destroyed a stack named ``name`` (its record is gone)."""
    return name in _destroyed()


def _destroyed() -> set[str]:
    try:
        data = json.loads((home.stacks_dir() / DESTROYED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {n for n in data if isinstance(n, str)} if isinstance(data, list) else set()
