"""``provisioner component list``: the component types and their flavors per cloud."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from provisioner.catalog.types import Cloud, ComponentType
from provisioner.cli import console, render

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_(
    cloud: Annotated[
        Cloud | None,
        typer.Option(
            "--cloud", metavar="CLOUD", help="Only this cloud's flavors (local, aws, gcp, azure)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the twelve component types, each with its flavors per cloud."""
    from provisioner.catalog.registry import registry

    clouds = [cloud] if cloud else list(Cloud)
    reg = registry()
    rows = []
    for type_ in ComponentType:
        flavors = {c.value: [f.name for f in reg.flavors_for(type_, c)] for c in clouds}
        rows.append(
            {
                "type": type_.value,
                "description": type_.description,
                "flavors": flavors,
                "details": [
                    {
                        "name": f.name,
                        "cloud": f.cloud.value,
                        "description": f.description,
                        "source": f.source,
                        "embedded": f.dynamic_only,
                    }
                    for c in clouds
                    for f in reg.flavors_for(type_, c)
                ],
            }
        )
    if as_json:
        render.dump_json(rows)
        return
    table = Table(title="Component types and flavors", title_justify="left")
    table.add_column("type", style="bold")
    table.add_column("what it does")
    for c in clouds:
        table.add_column(c.value)
    for row in rows:
        table.add_row(
            row["type"],
            row["description"],
            *(", ".join(row["flavors"][c.value]) or Text("-", style="dim") for c in clouds),
        )
    console.out.print(table)
