"""``provisioner deployment list|predict|logs|stop``: models served by the stack's deployer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from provisioner.cli import console, render
from provisioner.cli.run import JsonOption, StackOption
from provisioner.errors import UserInputError

app = typer.Typer(no_args_is_help=True, help="Models served by a stack's model deployer.")

NameArg = Annotated[str, typer.Argument(metavar="NAME", help="The deployment's name.")]


def open_deployer(stack: str | None) -> Any:
    """The model deployer client of ``stack`` (a name, a stack config file, or the active)."""
    from provisioner.runtime.components import connect
    from provisioner.runtime.runner import resolve_stack

    return connect(resolve_stack(stack)).model_deployer


@app.command("list")
def list_(stack: StackOption = None, as_json: JsonOption = False) -> None:
    """List the deployments, with whether each server answers."""
    found = open_deployer(stack).list()
    if as_json:
        render.dump_json([d.to_dict() for d in found])
        return
    if not found:
        console.err.print("no deployments yet")
        return
    table = Table(title="deployments", title_justify="left")
    for col in ("deployment", "model", "version", "status", "url", "started (UTC)"):
        table.add_column(col)
    for d in found:
        table.add_row(
            Text(d.name, "bold"),
            d.model,
            d.version,
            Text(d.status, "green" if d.status == "running" else "red"),
            d.url,
            (d.started_at or "")[:19].replace("T", " "),
        )
    console.out.print(table)


@app.command("predict")
def predict(
    name: NameArg,
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            "-d",
            metavar="FILE.json",
            help="The input: a JSON list of rows, or a body in MLflow's format "
            '({"inputs": ...}, {"dataframe_split": ...}).',
        ),
    ],
    stack: StackOption = None,
    as_json: JsonOption = False,
) -> None:
    """Call a deployment with the JSON in FILE and print its predictions."""
    try:
        payload = json.loads(data.read_text())
    except OSError as exc:
        raise UserInputError(f"cannot read --data {data}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UserInputError(f"--data {data} is not JSON: {exc}") from None
    predictions = open_deployer(stack).predict(name, payload)
    if as_json:
        render.dump_json({"predictions": predictions})
        return
    console.out.print(render.value_text(predictions), soft_wrap=True)


@app.command("logs")
def logs(
    name: NameArg,
    tail: Annotated[int, typer.Option("--tail", "-n", min=1, help="Lines to show.")] = 100,
    stack: StackOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print the last lines of a deployment's model server log."""
    text = open_deployer(stack).logs(name, tail)
    if as_json:
        render.dump_json({"name": name, "log": text})
        return
    console.out.print(Text(text), soft_wrap=True)


@app.command("stop")
def stop(name: NameArg, stack: StackOption = None, as_json: JsonOption = False) -> None:
    """Stop a deployment's server and forget it."""
    open_deployer(stack).stop(name)
    if as_json:
        render.dump_json({"name": name, "stopped": True})
        return
    console.err.print(f"stopped deployment {name}")
