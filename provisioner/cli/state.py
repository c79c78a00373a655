"""``provisioner state ...``: list, show, rm, mv, backups and restore a stack's state.

Every command that changes the state takes the stack's lock and first saves a backup of
the state it changes; ``state restore`` puts a backup back (and backs up what it replaces,
so a restore is undone by another).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from provisioner.cli import console, render
from provisioner.cli.stack import Backend, EngineOpt, Json, LockTimeout, Ref
from provisioner.errors import NotFoundError

app = typer.Typer(no_args_is_help=True)

Resource = Annotated[
    str, typer.Argument(metavar="URN_OR_NAME", help="A resource's URN or logical name.")
]


@app.command("list")
def list_(ref: Ref, engine: EngineOpt = None, backend: Backend = None, as_json: Json = False):
    """List the resources the state records: type, name, ID."""
    from provisioner import state_ops

    name, resources = state_ops.resources(ref, engine=engine, backend=backend)
    if as_json:
        render.dump_json(
            [
                {k: v for k, v in asdict(r).items() if k not in ("inputs", "outputs")}
                for r in resources
            ]
        )
        return
    table = Table("type", "name", "id", title=f"state of stack {name}")
    for r in resources:
        table.add_row(r.type, r.name, r.id or "-")
    console.out.print(table)


@app.command()
def show(
    ref: Ref,
    resource: Resource,
    engine: EngineOpt = None,
    backend: Backend = None,
    as_json: Json = False,
):
    """Show one recorded resource: URN, ID, parent, dependencies, inputs and outputs
    (secrets masked)."""
    from provisioner import state_ops

    name, resources = state_ops.resources(ref, engine=engine, backend=backend)
    hits = [r for r in resources if resource in (r.urn, r.name)]
    if not hits:
        raise NotFoundError(f"stack {name!r} has no resource {resource!r} in its state")
    data = [render.to_jsonable(asdict(r)) for r in hits]
    if as_json:
        render.dump_json(data if len(data) > 1 else data[0])
        return
    for r in hits:
        table = Table("field", "value", title=r.urn, show_header=False)
        for key in ("type", "name", "id", "parent"):
            table.add_row(key, str(getattr(r, key) or "-"))
        table.add_row("dependencies", "\n".join(r.dependencies) or "-")
        for group in ("inputs", "outputs"):
            for key, value in getattr(r, group).items():
                table.add_row(f"{group}.{key}", render.value_text(value))
        console.out.print(table)


@app.command()
def rm(
    ref: Ref,
    resources: Annotated[
        list[str], typer.Argument(metavar="URN_OR_NAME...", help="Resources to forget.")
    ],
    engine: EngineOpt = None,
    backend: Backend = None,
    lock_timeout: LockTimeout = 0.0,
    as_json: Json = False,
):
    """Forget resources: drop them from the state and leave them where they are."""
    from provisioner import state_ops

    change = state_ops.remove(
        ref, resources, engine=engine, backend=backend, lock_timeout=lock_timeout
    )
    _report(change, as_json, "removed from the state (left in place)")


@app.command()
def mv(
    ref: Ref,
    resource: Resource,
    new_name: Annotated[
        str | None,
        typer.Argument(metavar="[NEW_NAME]", help="Its new logical name.", show_default=False),
    ] = None,
    parent: Annotated[
        str | None,
        typer.Option("--parent", metavar="URN_OR_NAME", help="Its new parent.", show_default=False),
    ] = None,
    engine: EngineOpt = None,
    backend: Backend = None,
    lock_timeout: LockTimeout = 0.0,
    as_json: Json = False,
):
    """Rename a resource in the state and/or re-parent it, after a refactor of the program,
    so the next deploy sees it as the same resource instead of a delete and a create."""
    from provisioner import state_ops

    change = state_ops.move(
        ref, resource, new_name, parent, engine=engine, backend=backend, lock_timeout=lock_timeout
    )
    _report(change, as_json, "moved")


@app.command()
def backups(ref: Ref, engine: EngineOpt = None, backend: Backend = None, as_json: Json = False):
    """List the state backups that state commands made (oldest first)."""
    from provisioner import state_ops

    name, found = state_ops.backups(ref, engine=engine, backend=backend)
    if as_json:
        render.dump_json([asdict(b) for b in found])
        return
    if not found:
        console.out.print(f"Stack {name!r} has no state backups.")
        return
    table = Table("backup", "created", "bytes")
    for b in found:
        table.add_row(b.name, b.created, str(b.size))
    console.out.print(table)


@app.command()
def restore(
    ref: Ref,
    backup: Annotated[
        str | None,
        typer.Argument(
            metavar="[BACKUP]",
            help="A backup's name (see `state backups`); default: the latest.",
            show_default=False,
        ),
    ] = None,
    engine: EngineOpt = None,
    backend: Backend = None,
    lock_timeout: LockTimeout = 0.0,
    as_json: Json = False,
):
    """Put a state backup back; the state it replaces is backed up first."""
    from provisioner import state_ops

    change = state_ops.restore(
        ref, backup, engine=engine, backend=backend, lock_timeout=lock_timeout
    )
    if as_json:
        render.dump_json(asdict(change))
        return
    [restored] = change.changed
    console.out.print(
        Text(f"Restored the state of stack {change.stack} from {restored}.", style="bold green")
    )
    if change.backup:
        console.out.print(f"The state it replaced was backed up to {change.backup}.")


def _report(change, as_json: bool, done: str) -> None:
    if as_json:
        render.dump_json(asdict(change))
        return
    for old, new in change.changed.items():
        console.out.print(f"{old}" + (f"\n  → {new}" if new else f": {done}"))
    console.out.print(
        f"Backup of the previous state: {change.backup}\n"
        f"Undo with: provisioner state restore {change.stack}",
        soft_wrap=True,
    )
