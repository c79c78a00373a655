"""``provisioner pipeline show TARGET``: a pipeline's DAG, built without running a step."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text
from rich.tree import Tree

from provisioner.cli import console, render
from provisioner.cli.run import JsonOption

if TYPE_CHECKING:
    from provisioner.runtime.pipeline import Invocation, Pipeline


def show(
    target: Annotated[
        str,
        typer.Argument(
            metavar="TARGET",
            help="The pipeline: path/to/file.py:name, or module.path:name.",
        ),
    ],
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            metavar="NAME=VALUE",
            help="A pipeline parameter NAME=VALUE (needed for parameters without a default; "
            "the graph may depend on them).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Show a pipeline's DAG (steps, inputs, outputs, parameters) without running it.

    The pipeline function is called to record its step calls, as `pipeline run` does
    first; no step runs and no stack is needed.
    """
    from provisioner.runtime.params import parse_cli_parameters
    from provisioner.runtime.targets import load_pipeline

    pipe = load_pipeline(target)
    given = parse_cli_parameters(pipe, param or [])
    invocations = pipe.build(given)
    data = describe(pipe, invocations, given)
    if as_json:
        render.dump_json(data, exact=True)
        return
    console.out.print(_tree(data))


def describe(
    pipe: Pipeline, invocations: list[Invocation], given: dict[str, Any]
) -> dict[str, Any]:
    """The DAG as plain data: the pipeline's parameters and each step call in order."""
    hints = pipe.type_hints
    parameters = []
    for name, p in pipe.signature.parameters.items():
        entry: dict[str, Any] = {"name": name, "type": _type_name(hints.get(name))}
        if p.default is not inspect.Parameter.empty:
            entry["default"] = p.default
        if name in given:
            entry["value"] = given[name]
        parameters.append(entry)
    steps = [
        {
            "name": inv.name,
            "step": inv.step.name,
            "function": inv.step.function_name,
            "upstream": inv.upstream,
            "inputs": {arg: f"{ref.invocation}.{ref.output}" for arg, ref in inv.inputs.items()},
            "parameters": inv.parameters,
            "outputs": list(inv.step.outputs),
            "cache": inv.step.options.cache and pipe.cache,
        }
        for inv in invocations
    ]
    return {"pipeline": pipe.name, "parameters": parameters, "steps": steps}


def _type_name(hint: Any) -> str | None:
    if hint is None:
        return None
    return hint.__name__ if isinstance(hint, type) else str(hint).replace("typing.", "")


def _tree(data: dict[str, Any]) -> Tree:
    tree = Tree(Text(f"pipeline {data['pipeline']}", style="bold"))
    if data["parameters"]:
        params = tree.add(Text("parameters", style="bold"))
        for p in data["parameters"]:
            line = Text(p["name"], style="cyan")
            if p["type"]:
                line.append(f": {p['type']}")
            if "default" in p:
                line.append(f" = {render.value_text(p['default'], exact=True)}")
            if "value" in p:
                line.append(f"  (given: {render.value_text(p['value'], exact=True)})", "bold")
            params.add(line)
    steps = tree.add(Text(f"steps ({len(data['steps'])}, in call order)", style="bold"))
    for s in data["steps"]:
        head = Text(s["name"], style="bold green")
        if s["step"] != s["name"]:
            head.append(f" (step {s['step']})")
        head.append(f"  {s['function']}", style="dim")
        node = steps.add(head)
        node.add(Text("after: " + (", ".join(s["upstream"]) or "(none; starts first)")))
        for arg, source in s["inputs"].items():
            node.add(Text(f"input {arg} ← {source}"))
        for arg, value in s["parameters"].items():
            node.add(Text(f"parameter {arg} = {render.value_text(value, exact=True)}"))
        node.add(
            Text("outputs: " + ", ".join(s["outputs"]) + ("" if s["cache"] else "  (no cache)"))
        )
    return tree
