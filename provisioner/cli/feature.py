"""``provisioner feature list``: the feature views registered in a stack's feature store."""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text

from provisioner.cli import console, render
from provisioner.cli.run import JsonOption, StackOption

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_(stack: StackOption = None, as_json: JsonOption = False) -> None:
    """List the feature views of the stack's feature store (its registry is read)."""
    from provisioner.runtime.components import connect
    from provisioner.runtime.runner import resolve_stack

    with (
        console.err.status("reading the feature registry"),
        connect(resolve_stack(stack)) as connected,
    ):
        views = connected.feature_store.list_feature_views()
    if as_json:
        render.dump_json([v.to_dict() for v in views])
        return
    if not views:
        console.err.print("no feature views registered yet (apply some from a step or script)")
        return
    table = Table(title="feature views", title_justify="left")
    for column in ("name", "entities", "features", "ttl", "source"):
        table.add_column(column, style="bold" if column == "name" else None)
    for view in views:
        table.add_row(
            view.name,
            ", ".join(view.entities),
            ", ".join(f"{f.name} ({f.dtype})" for f in view.features),
            _ttl(view.ttl_seconds),
            Text(view.source, "dim"),
        )
    console.out.print(table)


def _ttl(seconds: float | None) -> str:
    if not seconds:
        return "-"
    if seconds % 86400 == 0:
        return f"{seconds / 86400:.0f} d"
    return f"{seconds / 3600:g} h" if seconds % 3600 == 0 else f"{seconds:g} s"
