"""``provisioner recipe list|show|schema``: the built-in stack definitions and their schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from provisioner.cli import completion, console, render
from provisioner.errors import NotFoundError

app = typer.Typer(no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command("list")
def list_(as_json: Json = False) -> None:
    """List the built-in stack definitions."""
    from provisioner.spec.loader import builtin_recipes, load_stack

    rows = []
    for name, path in builtin_recipes().items():
        stack = load_stack(name)
        rows.append(
            {
                "name": name,
                "stack": stack.name,
                "cloud": str(stack.cloud),
                "description": stack.spec.description,
                "path": str(path),
                "components": {str(t): c.flavor.name for t, c in stack.components.items()},
                "embedded": stack.dynamic_only,
            }
        )
    if as_json:
        render.dump_json(rows)
        return
    table = Table("recipe", "cloud", "components", "engine", "description")
    for r in rows:
        comps = ", ".join(f"{t}={f}" for t, f in r["components"].items())
        table.add_row(
            r["name"],
            r["cloud"],
            comps,
            "embedded" if r["embedded"] else "pulumi",
            r["description"],
        )
    console.out.print(table)


@app.command()
def show(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME",
            help="A built-in recipe name.",
            show_default=False,
            autocompletion=completion.recipe_names,
        ),
    ],
    as_json: Json = False,
) -> None:
    """Print a built-in stack definition (copy it to start your own)."""
    from provisioner.spec.loader import builtin_recipes, load_stack

    recipes = builtin_recipes()
    if name not in recipes:
        raise NotFoundError(f"no built-in recipe {name!r}; built-in recipes: {', '.join(recipes)}")
    text = recipes[name].read_text(encoding="utf-8")
    if as_json:
        stack = load_stack(name)
        render.dump_json(
            {
                "name": name,
                "path": str(recipes[name]),
                "definition": stack.spec.model_dump(mode="json", by_alias=True),
            }
        )
        return
    if not console.out.is_terminal:  # piped into a file: the exact bytes, never re-wrapped
        console.out.file.write(text)
        return
    from rich.syntax import Syntax

    console.out.print(Syntax(text, "yaml", theme="ansi_dark", background_color="default"))


@app.command()
def schema(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="File to write; default: stdout."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (the schema is JSON either way).")
    ] = False,
) -> None:
    """Print the JSON Schema of stack definitions (for editors), generated from the models."""
    from provisioner.spec.schema import stack_definition_schema

    text = json.dumps(stack_definition_schema(), indent=2) + "\n"
    if output is None:
        console.out.file.write(text)
        return
    output.write_text(text, encoding="utf-8")
    console.err.print(f"Wrote the stack definition schema to {output}")
