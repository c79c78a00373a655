"""What each ``provisioner state`` command does: find the engine holding the stack's state,
and run one state edit there (it takes the lock and backs the state up first)."""

from __future__ import annotations

from provisioner import operations
from provisioner.engines import select
from provisioner.engines.base import Engine
from provisioner.engines.model import StateBackup, StateChange, StateResource
from provisioner.errors import NotFoundError
from provisioner.records import read_record


def _engine(
    ref: str, engine: str | None, backend: str | None, lock_timeout: float, *, restoring=False
) -> tuple[str, Engine]:
    name, stack = operations.target_name(ref)
    eng = operations.engine_for(name, stack, engine, lock_timeout, backend)
    if eng is not None:
        return name, eng
    if restoring:  # a state emptied by `state rm` still has its backups
        record = read_record(name)
        choice = engine or (record.engine if record else "embedded")
        if choice == "pulumi" and not select.pulumi_cli_available():
            raise operations.no_cli_error()
        return name, select.make_engine(choice, backend=backend, lock_timeout=lock_timeout)
    raise NotFoundError(f"stack {name!r} has no state in this home; deploy it first")


def resources(
    ref: str, *, engine: str | None = None, backend: str | None = None
) -> tuple[str, list[StateResource]]:
    """The stack's name and the resources its state records."""
    name, eng = _engine(ref, engine, backend, 0.0)
    return name, eng.state_list(name)


def remove(
    ref: str,
    names: list[str],
    *,
    engine: str | None = None,
    backend: str | None = None,
    lock_timeout: float = 0.0,
) -> StateChange:
    """Drop resources from the state; they stay where they are."""
    name, eng = _engine(ref, engine, backend, lock_timeout)
    return eng.state_remove(name, names)


def move(
    ref: str,
    resource: str,
    new_name: str | None,
    new_parent: str | None,
    *,
    engine: str | None = None,
    backend: str | None = None,
    lock_timeout: float = 0.0,
) -> StateChange:
    """Rename a resource in the state and/or give it another parent."""
    name, eng = _engine(ref, engine, backend, lock_timeout)
    return eng.state_move(name, resource, new_name, new_parent)


def backups(
    ref: str, *, engine: str | None = None, backend: str | None = None
) -> tuple[str, list[StateBackup]]:
    name, eng = _engine(ref, engine, backend, 0.0, restoring=True)
    return name, eng.state_backups(name)


def restore(
    ref: str,
    backup: str | None,
    *,
    engine: str | None = None,
    backend: str | None = None,
    lock_timeout: float = 0.0,
) -> StateChange:
    """Put a backup back (the latest when ``backup`` is None)."""
    name, eng = _engine(ref, engine, backend, lock_timeout, restoring=True)
    return eng.state_restore(name, backup)
