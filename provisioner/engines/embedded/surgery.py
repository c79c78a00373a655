"""State surgery on the embedded checkpoint: remove, move and restore, each under the stack's
lock and after a backup of the previous checkpoint (``<stack dir>/backups/``)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from provisioner.engines.embedded import checkpoint
from provisioner.engines.embedded.checkpoint import Checkpoint, ResourceState
from provisioner.engines.embedded.deployment import STACK_TYPE
from provisioner.engines.embedded.lock import StackLock
from provisioner.errors import NotFoundError, UserInputError

BACKUPS = "backups"


@dataclass
class Backup:
    """A checkpoint saved before a state command changed it."""

    name: str
    path: Path
    created: str
    size: int


def backups(stack_dir: Path) -> list[Backup]:
    """The backups of a stack's checkpoint, oldest first."""
    folder = stack_dir / BACKUPS
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.json")):
        stat = path.stat()
        created = datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(timespec="seconds")
        found.append(Backup(path.stem, path, created, stat.st_size))
    return found


def backup(path: Path, why: str) -> Path | None:
    """Copy the checkpoint at ``path`` (as stored: secrets stay encrypted) into the backups;
    None when there is no checkpoint."""
    if not path.exists():
        return None
    folder = path.parent / BACKUPS
    folder.mkdir(mode=0o700, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{stamp}-{why}.json"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, path.open("rb") as src:
        shutil.copyfileobj(src, out)
    return target


def find(cp: Checkpoint, name: str) -> ResourceState:
    """The live resource named ``name`` (logical name or URN).

    Raises:
        NotFoundError: none, or (by name) more than one.
    """
    hits = [r for r in cp.resources if not r.delete and name in (r.urn, r.name)]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        known = ", ".join(r.name for r in cp.resources if r.type != STACK_TYPE) or "none"
        raise NotFoundError(
            f"stack {cp.stack!r} has no resource {name!r} in its state (resources: {known})"
        )
    urns = ", ".join(r.urn for r in hits)
    raise UserInputError(f"{name!r} names {len(hits)} resources; pass one URN: {urns}")


def remove(path: Path, stack: str, names: list[str], timeout: float = 0.0) -> tuple[list, Path]:
    """Forget ``names`` (and nothing else): the real resources stay where they are.

    Returns:
        The removed resources, and the backup of the checkpoint before.

    Raises:
        UserInputError: a resource still in the state depends on one or is its child.
    """
    with StackLock(path.parent, "state rm", timeout):
        cp = checkpoint.load(path, stack)
        doomed = [find(cp, n) for n in names]
        urns = {r.urn for r in doomed}
        users = [
            f"{r.name} (needs {', '.join(sorted(urns & ({r.parent} | set(r.dependencies))))})"
            for r in cp.resources
            if r.urn not in urns and (r.parent in urns or urns.intersection(r.dependencies))
        ]
        if users:
            raise UserInputError(
                f"cannot remove {', '.join(names)} from the state: "
                f"{', '.join(users)} still depend on it",
                hint="Remove those too, in the same command.",
            )
        saved = backup(path, "rm")
        assert saved is not None
        cp.resources = [r for r in cp.resources if r.urn not in urns]
        cp.pending = [p for p in cp.pending if p.resource.urn not in urns]
        checkpoint.save(path, cp)
    return doomed, saved


def move(
    path: Path,
    stack: str,
    name: str,
    *,
    new_name: str | None = None,
    new_parent: str | None = None,
    timeout: float = 0.0,
) -> tuple[dict[str, str], Path]:
    """Rename a resource and/or give it a new parent (its children move with it), so its
    record matches a refactored program.

    Returns:
        old URN -> new URN for every resource that moved, and the backup made before.

    Raises:
        UserInputError: the new URN is taken, or the parent would be the resource itself
            or one of its children.
    """
    from provisioner.engines.embedded.monitor import PROJECT, make_urn

    if not new_name and not new_parent:
        raise UserInputError("state mv needs a NEW_NAME, --parent, or both")
    with StackLock(path.parent, "state mv", timeout):
        cp = checkpoint.load(path, stack)
        res = find(cp, name)
        parent = res.parent
        if new_parent:
            parent = find(cp, new_parent).urn
        renames: dict[str, str] = {}

        def relocate(item: ResourceState, parent_urn: str | None, leaf: str) -> None:
            urn = make_urn(stack, PROJECT, parent_urn or "", item.type, leaf)
            renames[item.urn] = urn
            for child in cp.resources:
                if child.parent == item.urn and child is not item:
                    if child.urn in renames:
                        raise UserInputError(f"cannot make {name} a child of itself")
                    relocate(child, urn, child.name)

        relocate(res, parent, new_name or res.name)
        if parent in renames:
            raise UserInputError(f"cannot make {name} a child of itself or of its children")
        taken = {r.urn for r in cp.resources} - set(renames)
        clash = sorted(set(renames.values()) & taken)
        if clash:
            raise UserInputError(f"cannot move {name}: {clash[0]} is already in the state")
        saved = backup(path, "mv")
        assert saved is not None
        for item in [*cp.resources, *(p.resource for p in cp.pending)]:
            if item.urn in renames:
                if item.urn == res.urn:
                    item.name = new_name or item.name
                    item.parent = parent
                item.urn = renames[item.urn]
            if item.parent in renames:
                item.parent = renames[item.parent]
            item.dependencies = [renames.get(d, d) for d in item.dependencies]
        checkpoint.save(path, cp)
    return renames, saved


def restore(
    path: Path, stack: str, name: str | None, timeout: float = 0.0
) -> tuple[Path, Path | None]:
    """Put a backup back as the checkpoint (the latest when ``name`` is None); the checkpoint
    it replaces is backed up first, so a restore is undone by restoring that.

    Returns:
        The backup restored, and the backup of the checkpoint it replaced.
    """
    with StackLock(path.parent, "state restore", timeout):
        found = backups(path.parent)
        if not found:
            raise NotFoundError(f"stack {stack!r} has no state backups")
        chosen = (
            found[-1]
            if name is None
            else next((b for b in found if name in (b.name, str(b.path))), None)
        )
        if chosen is None:
            names = ", ".join(b.name for b in found[-5:])
            raise NotFoundError(f"stack {stack!r} has no state backup {name!r} (latest: {names})")
        checkpoint.load(chosen.path, stack, decrypt=False)  # refuses a damaged file
        previous = backup(path, "restore")
        tmp = path.with_name(f".checkpoint-restore-{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out, chosen.path.open("rb") as src:
            shutil.copyfileobj(src, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    return chosen.path, previous
