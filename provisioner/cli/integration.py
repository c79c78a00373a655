"""``provisioner integration list|install``: optional packages per cloud and tool, on demand."""

from __future__ import annotations

import shlex
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from provisioner.cli import console, render

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the integrations and whether each is installed."""
    from provisioner.integrations import INTEGRATIONS

    rows = [
        {
            "name": i.name,
            "installed": i.installed,
            "description": i.description,
            "requirements": list(i.requirements),
            "missing": i.missing_modules,
        }
        for i in INTEGRATIONS.values()
    ]
    if as_json:
        render.dump_json(rows)
        return
    table = Table("integration", "installed", "enables", "packages")
    for r in rows:
        mark = Text("yes", style="green") if r["installed"] else Text("no", style="yellow")
        table.add_row(r["name"], mark, r["description"], ", ".join(r["requirements"]))
    console.out.print(table)


@app.command()
def install(
    names: Annotated[
        list[str],
        typer.Argument(
            metavar="NAME...", help="Integrations to install, e.g. aws.", show_default=False
        ),
    ],
    installer: Annotated[
        str,
        typer.Option(
            "--installer", metavar="auto|pip|uv", help="auto (uv if on PATH, else pip), pip or uv."
        ),
    ] = "auto",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the command, install nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Install integrations into this environment with pip or uv."""
    from provisioner import integrations

    for name in names:
        integrations.get(name)  # unknown names fail before anything runs
    if dry_run:
        reqs = [r for n in names for r in integrations.get(n).requirements]
        cmd = integrations.installer_command(reqs, installer)
    else:
        console.err.print(f"Installing {', '.join(names)} …")
        cmd = integrations.install(names, installer)
    if as_json:
        render.dump_json(
            {"installed": [] if dry_run else names, "command": cmd, "dry_run": dry_run}
        )
        return
    console.out.print(("Would run: " if dry_run else "Ran: ") + shlex.join(cmd), soft_wrap=True)
