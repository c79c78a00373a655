"""Render plans, drift, stack configs and catalogs for people (rich) and machines (JSON)."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from provisioner.engines.model import (
    Drift,
    Op,
    Plan,
    PropertyDiff,
    RefreshResult,
    Secret,
    Step,
    Unknown,
)

SYMBOLS: dict[Op, tuple[str, str]] = {
    Op.CREATE: ("+", "green"),
    Op.UPDATE: ("~", "yellow"),
    Op.REPLACE: ("-/+", "magenta"),
    Op.DELETE: ("-", "red"),
    Op.SAME: (" ", "dim"),
    Op.READ: ("<=", "cyan"),
    Op.REFRESH: ("~", "cyan"),
}
SUMMARY_ORDER = (Op.CREATE, Op.UPDATE, Op.REPLACE, Op.DELETE, Op.SAME)
SUMMARY_WORDS = {
    Op.CREATE: "to create",
    Op.UPDATE: "to update",
    Op.REPLACE: "to replace",
    Op.DELETE: "to delete",
    Op.SAME: "unchanged",
}
MAX_VALUE = 80
UNKNOWN_TEXT = "(known after apply)"
#: Stands in for an unknown inside a structure while it is rendered as JSON text.
_UNKNOWN_MARK = "\x00unknown\x00"


def value_text(value: Any, *, exact: bool = False) -> str:
    """A short, secret-safe rendering of one property value; unknowns, nested ones too,
    read ``(known after apply)`` (``exact``: see to_jsonable)."""
    if isinstance(value, Secret):
        return "[secret]"
    if isinstance(value, Unknown):
        return UNKNOWN_TEXT
    if isinstance(value, str):
        text = json.dumps(value)
    else:
        text = json.dumps(to_jsonable(_mark_unknowns(value), exact=exact), sort_keys=True)
        text = text.replace(json.dumps(_UNKNOWN_MARK), UNKNOWN_TEXT)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 3] + "..."


def _mark_unknowns(value: Any) -> Any:
    if isinstance(value, Unknown):
        return _UNKNOWN_MARK
    if isinstance(value, dict):
        return {k: _mark_unknowns(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mark_unknowns(v) for v in value]
    return value


def visible_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """Inputs worth showing: internal ``__`` keys (the pickled provider) are left out."""
    return {k: v for k, v in sorted(inputs.items()) if not k.startswith("__")}


def _diff_line(diff: PropertyDiff) -> Text:
    sym = {"add": "+", "update": "~", "delete": "-"}[str(diff.kind)]
    line = Text(f"{sym} {diff.path}: ", style=None)
    if str(diff.kind) == "add":
        line.append(value_text(diff.new), style="green")
    elif str(diff.kind) == "delete":
        line.append(value_text(diff.old), style="red")
    else:
        line.append(value_text(diff.old), style="red")
        line.append(" → ")
        line.append(value_text(diff.new), style="green")
    if diff.replaces:
        line.append("  (forces replacement)", style="bold magenta")
    return line


def _step_label(step: Step) -> Text:
    sym, style = SYMBOLS.get(step.op, ("?", "white"))
    label = Text()
    label.append(f"{sym:>3} ", style=f"bold {style}")
    label.append(step.name, style="bold" if step.op != Op.SAME else "dim")
    label.append(f"  {step.type}", style="dim")
    if step.op == Op.REPLACE and step.replace_reasons:
        label.append(f"  replace because of: {', '.join(step.replace_reasons)}", style="magenta")
    if step.note and "known after apply" not in step.note:
        label.append(f"  ({step.note})", style="cyan")
    return label


def ordered_steps(plan: Plan, *, tree: bool = False) -> list[Step]:
    """Steps parents-first (deletes children-first), siblings by name, the same on every run.

    The engines see resources in the order the program's threads register them, which
    varies; a plan that CI diffs must not.
    """
    urns = {s.urn for s in plan.steps}
    children: dict[str | None, list[Step]] = {}
    for step in plan.steps:
        children.setdefault(step.parent if step.parent in urns else None, []).append(step)
    out: list[Step] = []

    def walk(parent: str | None) -> None:
        for step in sorted(children.get(parent, []), key=lambda s: (s.name, s.type, str(s.op))):
            if step.op == Op.DELETE and not tree:  # deletes run children first: list them so
                walk(step.urn)
                out.append(step)
            else:
                out.append(step)
                walk(step.urn)

    walk(None)
    return out


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def plan_tree(plan: Plan, *, show_same: bool = False) -> Tree:
    """The plan as a tree: components with their child resources and property changes."""
    title = Text(f"Stack {plan.stack}", style="bold")
    title.append(f"  engine: {plan.engine}{' (offline plan)' if plan.offline else ''}", style="dim")
    root = Tree(title)
    nodes: dict[str, Tree] = {}
    changed_urns = _urns_to_show(plan, show_same)
    for step in ordered_steps(plan, tree=True):
        if step.urn not in changed_urns or step.type == "pulumi:pulumi:Stack":
            continue
        parent = nodes.get(step.parent or "", root)
        node = parent.add(_step_label(step))
        nodes[step.urn] = node
        if step.op == Op.CREATE:  # a component's own inputs too (max_workers)
            for key, value in visible_inputs(step.inputs).items():
                node.add(Text(f"+ {key}: ", style="green").append(value_text(value)))
        elif step.op in (Op.UPDATE, Op.REPLACE):
            for diff in step.diffs:
                if not diff.path.startswith("__"):
                    node.add(_diff_line(diff))
    return root


def _urns_to_show(plan: Plan, show_same: bool) -> set[str]:
    """Changed steps plus their ancestors, so the tree keeps its shape."""
    by_urn = {s.urn: s for s in plan.steps}
    keep: set[str] = set()
    for step in plan.steps:
        if show_same or step.op not in (Op.SAME, Op.READ):
            urn: str | None = step.urn
            while urn and urn not in keep:
                keep.add(urn)
                urn = by_urn[urn].parent if urn in by_urn else None
    return keep


def summary_line(plan: Plan) -> Text:
    """``Plan: 3 to create, 1 to update, 0 to replace, 0 to delete, 2 unchanged.``"""
    counts = resource_counts(plan)
    parts = [f"{counts.get(op, 0)} {SUMMARY_WORDS[op]}" for op in SUMMARY_ORDER]
    text = Text("Plan: ", style="bold")
    text.append(", ".join(parts) + ".")
    if not plan.has_changes:
        text = Text("No changes. ", style="bold green")
        text.append(
            f"The infrastructure matches the definition ({counts.get(Op.SAME, 0)} resources)."
        )
    return text


def resource_counts(plan: Plan) -> dict[Op, int]:
    counts: dict[Op, int] = {}
    for step in plan.steps:
        if step.type == "pulumi:pulumi:Stack":
            continue
        counts[step.op] = counts.get(step.op, 0) + 1
    return counts


def render_plan(console: Console, plan: Plan, *, show_same: bool = False) -> None:
    """Print a plan like ``terraform plan``: what drifted, a tree of changes and a summary
    line."""
    if plan.drift:
        console.print(drift_tree(plan.stack, plan.drift, "changed outside provisioner"))
        console.print()
    if plan.has_changes or show_same:
        console.print(plan_tree(plan, show_same=show_same))
        console.print()
    console.print(summary_line(plan))
    for note in plan.notes:
        console.print(Text(f"note: {note}", style="cyan"))


def render_drift(console: Console, result: RefreshResult) -> None:
    """Print what refresh found."""
    if not result.drift:
        console.print(
            Text(f"No drift: {result.checked} resources match the recorded state.", style="green")
        )
        return
    console.print(drift_tree(result.stack, result.drift))
    console.print(
        Text(
            f"{len(result.drift)} of {result.checked} resources changed outside provisioner; "
            "the state now records what is real. Run deploy to converge back to the definition."
        )
    )


def drift_tree(stack: str, drift: list[Drift], why: str = "") -> Tree:
    """Drift as a tree: each resource that changed or is gone, with its changed values."""
    title = Text(f"Drift in stack {stack}", style="bold yellow")
    if why:
        title.append(f" ({why})", style="yellow")
    tree = Tree(title)
    for item in drift:
        node = tree.add(_drift_label(item))
        for diff in item.diffs:
            node.add(_diff_line(diff))
    return tree


def _drift_label(item: Drift) -> Text:
    label = Text(f"{'-' if item.gone else '~'} {item.name}", style="red" if item.gone else "yellow")
    label.append(f"  {item.type}", style="dim")
    if item.gone:
        label.append("  (no longer exists)", style="red")
    return label


def to_jsonable(value: Any, *, exact: bool = False) -> Any:
    """Plain JSON data: secrets masked, unknowns as {"$unknown": true}.

    Engine data carries every number as a float (Pulumi's wire format), so 4.0 is shown as
    4; ``exact`` keeps numbers as they are, for the runtime's own data (3.0 stays 3.0).
    """
    if isinstance(value, Secret):
        return "[secret]"
    if isinstance(value, Unknown):
        return {"$unknown": True}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v, exact=exact) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v, exact=exact) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and value.is_integer() and not exact:
        return int(value)  # Pulumi carries every number as a float
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump(mode="json"), exact=exact)
    if hasattr(value, "__dataclass_fields__"):
        return {k: to_jsonable(getattr(value, k), exact=exact) for k in value.__dataclass_fields__}
    return value


def plan_json(plan: Plan) -> dict[str, Any]:
    """A plan as JSON data."""
    steps = []
    for s in ordered_steps(plan):
        if s.type == "pulumi:pulumi:Stack":
            continue
        steps.append(
            {
                "op": str(s.op),
                "urn": s.urn,
                "type": s.type,
                "name": s.name,
                "custom": s.custom,
                "parent": s.parent,
                "inputs": _sorted(to_jsonable(visible_inputs(s.inputs))) if s.op != Op.SAME else {},
                "diffs": [
                    _sorted(to_jsonable(d))
                    for d in sorted(s.diffs, key=lambda d: d.path)
                    if not d.path.startswith("__")
                ],
                "replace_reasons": s.replace_reasons,
                "note": s.note,
            }
        )
    counts = resource_counts(plan)
    return {
        "stack": plan.stack,
        "engine": plan.engine,
        "offline": plan.offline,
        "changes": plan.has_changes,
        "summary": {str(op): counts.get(op, 0) for op in SUMMARY_ORDER},
        "steps": steps,
        "outputs": _sorted(to_jsonable(plan.outputs)),
        "notes": plan.notes,
        "drift": [to_jsonable(d) for d in plan.drift],
    }


def dump_json(data: Any, *, exact: bool = False) -> None:
    """Print one JSON document to stdout, unstyled, so it pipes into jq (strict JSON: NaN
    and Infinity become strings; ``exact``: see to_jsonable)."""
    from provisioner.cli import console

    console.write_json(to_jsonable(data, exact=exact))


def stack_config_view(config: dict[str, Any]) -> Group:
    """A stack config for a person: header, components table, auth and provenance."""
    head = Text()
    head.append(f"{config['name']}", style="bold")
    head.append(f"  cloud: {config['cloud']}")
    for k, v in (config.get("location") or {}).items():
        head.append(f"  {k}: {v}")
    table = Table(title="components", title_justify="left", show_lines=False)
    table.add_column("type", style="bold")
    table.add_column("flavor")
    table.add_column("connection")
    for type_, comp in (config.get("components") or {}).items():
        conn = comp.get("config")
        if isinstance(conn, dict):
            text = "\n".join(
                f"{k}: {value_text(v) if not isinstance(v, str) else v}" for k, v in conn.items()
            )
        else:
            text = str(conn)
        table.add_row(str(type_), comp.get("flavor", ""), text)
    meta = Table.grid(padding=(0, 2))
    meta.add_column(style="dim")
    meta.add_column()
    auth = config.get("auth") or {}
    meta.add_row("auth", ", ".join(f"{k}={v}" for k, v in auth.items() if v) or "none")
    for k, v in (config.get("endpoints") or {}).items():
        meta.add_row(f"endpoint {k}", str(v))
    for k, v in (config.get("provenance") or {}).items():
        meta.add_row(k, str(v))
    return Group(head, table, meta)
