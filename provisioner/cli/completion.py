"""Shell completion (``provisioner --install-completion``): stack names, recipes, run ids.

Each function takes what a shell has typed so far and returns the words that fit. They run
on every Tab, so they import lazily, read only local files (run ids: the stack's store), and
never fail: a completion that cannot be computed offers nothing.
"""

from __future__ import annotations

from pathlib import Path

import typer


def recipe_names(incomplete: str) -> list[str]:
    """Built-in recipe names (``local-recipe``, ``aws-recipe``, ...) starting with ``incomplete``."""
    from provisioner.spec.loader import builtin_recipes

    return [name for name in builtin_recipes() if name.startswith(incomplete)]


def stack_names(ctx: typer.Context, incomplete: str) -> list[str]:
    """Deployed stacks of the home (``--home`` if given) starting with ``incomplete``."""
    try:
        _use_home(ctx)
        from provisioner.records import list_records

        return [r.name for r in list_records() if r.name.startswith(incomplete)]
    except Exception:  # a completion never fails the shell
        return []


def stack_refs(ctx: typer.Context, incomplete: str) -> list[str]:
    """What a stack REF may be: a built-in recipe, a deployed stack, or a YAML file."""
    names = {*recipe_names(incomplete), *stack_names(ctx, incomplete)}
    return sorted(names) + _yaml_files(incomplete)


def stack_targets(ctx: typer.Context, incomplete: str) -> list[str]:
    """What ``--stack`` may be: a deployed stack, or a stack config (YAML) file."""
    return stack_names(ctx, incomplete) + _yaml_files(incomplete)


def run_ids(ctx: typer.Context, incomplete: str) -> list[str]:
    """``latest`` and the run ids of the stack given with ``--stack`` before the Tab."""
    words = ["latest"] if "latest".startswith(incomplete) else []
    stack = ctx.params.get("stack")
    if not stack:
        return words
    try:
        _use_home(ctx)
        from provisioner.runtime.client import RunClient
        from provisioner.runtime.run_ids import run_ids as ids

        found = ids(RunClient(stack).store)
    except Exception:  # a completion never fails the shell (no store, no network)
        return words
    return words + [run_id for run_id in found if run_id.startswith(incomplete)]


def _use_home(ctx: typer.Context) -> None:
    home_dir = ctx.find_root().params.get("home_dir")
    if home_dir:
        from provisioner import home

        home.set_home(home_dir)


def _yaml_files(incomplete: str) -> list[str]:
    folder, _, stem = incomplete.rpartition("/")
    root = Path(folder or ".").expanduser()
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return []
    out = []
    for entry in entries:
        if not entry.name.startswith(stem) or entry.name.startswith("."):
            continue
        text = f"{folder}/{entry.name}" if folder else entry.name
        if entry.is_dir():
            out.append(text + "/")
        elif entry.suffix in (".yaml", ".yml"):
            out.append(text)
    return out
