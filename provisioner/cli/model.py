"""``provisioner model list|versions|show``: the stack's model registry."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from provisioner.cli import console, render
from provisioner.cli.run import JsonOption, StackOption

app = typer.Typer(no_args_is_help=True, help="Registered models in a stack's model registry.")

NameArg = Annotated[str, typer.Argument(metavar="NAME", help="The registered model's name.")]


def open_registry(stack: str | None) -> Any:
    """The model registry client of ``stack`` (a name, a stack config file, or the active)."""
    from provisioner.runtime.components import connect
    from provisioner.runtime.runner import resolve_stack

    return connect(resolve_stack(stack)).model_registry


def _versions_table(title: str, versions: list[Any]) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("version", "aliases", "created (UTC)", "metadata", "uri"):
        table.add_column(col)
    for v in versions:
        table.add_row(
            Text(v.version, "bold"),
            ", ".join(v.aliases),
            (v.created_at or "")[:19].replace("T", " "),
            ", ".join(f"{k}={val}" for k, val in v.metadata.items()),
            Text(v.uri, "dim"),
        )
    return table


@app.command("list")
def list_(stack: StackOption = None, as_json: JsonOption = False) -> None:
    """List the registered models."""
    registry = open_registry(stack)
    rows = []
    for name in registry.list_models():
        versions = registry.list_versions(name)
        rows.append(
            {
                "name": name,
                "versions": len(versions),
                "latest": versions[0].version if versions else None,
                "aliases": {a: v.version for v in versions for a in v.aliases},
            }
        )
    if as_json:
        render.dump_json(rows)
        return
    if not rows:
        console.err.print("no registered models yet")
        return
    table = Table(title="models", title_justify="left")
    for col in ("model", "versions", "latest", "aliases"):
        table.add_column(col)
    for row in rows:
        aliases = ", ".join(f"{a} -> {v}" for a, v in row["aliases"].items())
        table.add_row(Text(row["name"], "bold"), str(row["versions"]), row["latest"] or "", aliases)
    console.out.print(table)


@app.command("versions")
def versions(name: NameArg, stack: StackOption = None, as_json: JsonOption = False) -> None:
    """List the versions of one model, newest first."""
    found = open_registry(stack).list_versions(name)
    if as_json:
        render.dump_json([v.to_dict() for v in found])
        return
    if not found:
        console.err.print(f"model {name!r} has no versions")
        return
    console.out.print(_versions_table(f"model {name}", found))


@app.command("show")
def show(
    name: NameArg,
    version: Annotated[
        str | None, typer.Option("--version", "-v", metavar="N", help="Version (default: latest).")
    ] = None,
    alias: Annotated[
        str | None, typer.Option("--alias", "-a", metavar="ALIAS", help="Version by alias.")
    ] = None,
    stack: StackOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one version of a model: its artifact, aliases, metadata and run."""
    mv = open_registry(stack).get(name, version=version, alias=alias)
    if as_json:
        render.dump_json(mv.to_dict())
        return
    for key, value in mv.to_dict().items():
        if value in (None, "", [], {}):
            continue
        shown = render.value_text(value) if isinstance(value, dict | list) else str(value)
        console.out.print(Text(f"{key}: ", "bold").append(shown, ""), soft_wrap=True)
