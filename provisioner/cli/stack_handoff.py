"""``provisioner stack check|use|current``: the receiving side of the hand-off."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from provisioner.cli import console, render
from provisioner.cli.stack import Json, app

ConfigRef = Annotated[
    str,
    typer.Argument(
        metavar="FILE|NAME",
        help="A stack config file (from `provisioner stack export`) or a deployed stack's name.",
        show_default=False,
    ),
]
_STYLE = {"pass": "green", "fail": "bold red", "skip": "yellow"}


@app.command()
def check(
    ref: Annotated[
        str | None,
        typer.Argument(
            metavar="[FILE|NAME]",
            help="A stack config file or a deployed stack's name; default: the active stack.",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option("--timeout", metavar="SECONDS", min=0.1, help="Time bound of each check."),
    ] = 20.0,
    as_json: Json = False,
) -> None:
    """Check that you can use a received stack with your own credentials.

    Each component is checked at once, within --timeout: the artifact store takes a probe
    object (write, read, list, delete), the container registry's /v2/ answers and accepts
    your login, the Kubernetes API lets you create Jobs, MLflow's health endpoint answers.
    Exits 1 if any check fails.
    """
    from provisioner.handoff.check import check_stack
    from provisioner.runtime.runner import resolve_stack

    config = resolve_stack(ref)
    results = check_stack(config, timeout)
    failed = [r for r in results if r.status == "fail"]
    if as_json:
        render.dump_json(
            {"stack": config.name, "ok": not failed, "checks": [r.to_json() for r in results]}
        )
    else:
        table = Table("component", "flavor", "result", "detail", "time")
        for r in results:
            detail = Text(r.detail)
            if r.hint:
                detail.append(f"\nhint: {r.hint}", style="cyan")
            table.add_row(
                r.component, r.flavor, Text(r.status, _STYLE[r.status]), detail, f"{r.seconds:.2f}s"
            )
        console.out.print(table)
        summary = (
            f"{len(failed)} of {len(results)} checks failed" if failed else "all checks passed"
        )
        console.out.print(
            Text(f"stack {config.name}: {summary}", _STYLE["fail" if failed else "pass"])
        )
    if failed:
        raise typer.Exit(code=1)


@app.command()
def use(ref: ConfigRef, as_json: Json = False) -> None:
    """Make a stack the active one: `--stack` becomes optional for runs and pipelines."""
    from provisioner.handoff import active

    recorded, config = active.use(ref)
    shadow = active.current()
    if as_json:
        render.dump_json({"stack": config.name, "ref": recorded, "source": "home"})
    else:
        console.out.print(f"Active stack: {config.name} ({recorded})")
    if shadow is not None and shadow.source == "env" and not as_json:
        console.warn(f"${active.ENV_STACK} is set to {shadow.ref!r} and wins in this shell")


@app.command()
def current(as_json: Json = False) -> None:
    """Show the active stack and where that choice comes from; exit 1 if none."""
    from provisioner.handoff import active
    from provisioner.runtime.runner import resolve_stack

    found = active.current()
    if found is None:
        if as_json:
            render.dump_json({"active": None})
        else:
            console.err.print("No active stack. Pick one: provisioner stack use FILE|NAME")
        raise typer.Exit(code=1)
    config = resolve_stack(found.ref)
    origin = f"${active.ENV_STACK}" if found.source == "env" else "provisioner stack use"
    if as_json:
        render.dump_json(
            {"active": {"stack": config.name, "ref": found.ref, "source": found.source}}
        )
        return
    console.out.print(f"{config.name} ({found.ref}), set by {origin}")
