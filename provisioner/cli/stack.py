"""``provisioner stack ...``: deploy, preview, destroy, refresh, list, describe, outputs, export,
validate, history, import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from provisioner.cli import completion, console, render
from provisioner.cli.progress import ProgressDisplay
from provisioner.engines.model import Op, Plan, Targeting
from provisioner.errors import OperationError, UserInputError

if TYPE_CHECKING:
    from provisioner import operations

app = typer.Typer(no_args_is_help=True)

Ref = Annotated[
    str,
    typer.Argument(
        metavar="REF",
        help="A built-in recipe (e.g. local-recipe), a definition file, or a deployed stack's name.",
        show_default=False,
        autocompletion=completion.stack_refs,
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
EngineOpt = Annotated[
    str | None,
    typer.Option(
        "--engine",
        metavar="ENGINE",
        help="auto | embedded | pulumi (default: the definition's, else auto).",
        show_default=False,
    ),
]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
Backend = Annotated[
    str | None,
    typer.Option(
        "--backend",
        metavar="URL",
        help="Pulumi state backend (file://, s3://, gs://, azblob://); default: the definition's, else file:// under the home.",
        show_default=False,
    ),
]
#: Exit code of preview/refresh --detailed-exitcode when there are changes (0/1/2 keep their meaning).
CHANGES_EXIT = 3
Detailed = Annotated[
    bool,
    typer.Option(
        "--detailed-exitcode",
        help=f"Exit {CHANGES_EXIT} when there are changes (drift), 0 when there are none: for CI.",
    ),
]
TRUE, FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")


def _truth(value: str) -> bool:
    word = value.strip().lower()
    if word not in TRUE + FALSE:
        raise UserInputError(f"--refresh takes true or false, got {value!r}")
    return word in TRUE


Refresh = Annotated[
    str,
    typer.Option(
        "--refresh",
        metavar="true|false",
        help="Read every resource back before planning, so the plan starts from what is "
        "real and shows drift; --refresh=false skips it.",
    ),
]
Forget = Annotated[
    list[str] | None,
    typer.Option(
        "--forget",
        metavar="NAME",
        help="A resource (name or URN) to drop from the state instead of deleting it: it "
        "stays in place, and provisioner no longer manages it. Repeatable.",
        show_default=False,
    ),
]
Target = Annotated[
    list[str] | None,
    typer.Option(
        "--target",
        metavar="URN_OR_NAME",
        help="Only this resource and what it depends on (destroy: and what depends on it). "
        "Repeatable. For exceptions, as Terraform's -target.",
        show_default=False,
    ),
]
Replace = Annotated[
    list[str] | None,
    typer.Option(
        "--replace",
        metavar="URN_OR_NAME",
        help="Force the replacement of this resource. Repeatable.",
        show_default=False,
    ),
]
LockTimeout = Annotated[
    float,
    typer.Option(
        "--lock-timeout",
        metavar="SECONDS",
        help="Seconds to wait for another deploy of the stack to finish.",
        min=0,
    ),
]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _warn_all(messages: list[str]) -> None:
    for message in messages:
        console.warn(message)


@app.command()
def preview(
    ref: Ref,
    engine: EngineOpt = None,
    backend: Backend = None,
    offline: Annotated[
        bool,
        typer.Option("--offline", help="Plan in-process: no Pulumi CLI, credentials or network."),
    ] = False,
    show_same: Annotated[
        bool, typer.Option("--all", help="Also list unchanged resources.")
    ] = False,
    detailed_exitcode: Detailed = False,
    refresh: Refresh = "true",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="FILE",
            help="Save the plan to FILE (JSON); `stack deploy FILE` applies exactly it.",
            show_default=False,
        ),
    ] = None,
    target: Target = None,
    replace: Replace = None,
    as_json: Json = False,
) -> None:
    """Show what a deploy would change (the plan)."""
    from provisioner import operations

    targeting = _targeting(target, replace)
    result = operations.preview(
        ref,
        engine=engine,
        offline=offline,
        backend=backend,
        refresh=_truth(refresh),
        targeting=targeting,
        out=out,
    )
    _render_preview(result, show_same, as_json)
    if out is not None and not as_json:
        console.err.print(
            f"Saved the plan to {out}. Apply exactly it: provisioner stack deploy {out}",
            soft_wrap=True,
        )
    if detailed_exitcode and result.plan.has_changes:
        raise typer.Exit(code=CHANGES_EXIT)


def _targeting(target: list[str] | None, replace: list[str] | None) -> Targeting:
    targeting = Targeting(tuple(target or ()), tuple(replace or ()))
    if targeting.targets:
        console.warn(
            "resource targeting is in effect: the plan may be incomplete, and the stack may "
            "be left out of date. As with Terraform's -target, use it for exceptions "
            "(recovering from a mistake), not for routine changes."
        )
    return targeting


def _render_preview(result: operations.PreviewResult, show_same: bool, as_json: bool) -> None:
    if as_json:
        render.dump_json(
            {
                **render.plan_json(result.plan),
                "notes": result.notes,
                "stack_config": result.stack_config,
            }
        )
        return
    _warn_all(result.stack.warnings)
    render.render_plan(console.out, result.plan, show_same=show_same)
    for note in result.notes:
        if note not in result.plan.notes and note not in result.stack.warnings:
            console.out.print(Text(f"note: {note}", style="cyan"))
    if result.plan.offline:
        console.out.print()
        console.out.print(Text("Stack config a deploy would write:", style="bold"))
        console.out.print(render.stack_config_view(result.stack_config))


@app.command()
def deploy(
    ref: Ref,
    engine: EngineOpt = None,
    backend: Backend = None,
    yes: Yes = False,
    lock_timeout: LockTimeout = 0.0,
    install_pulumi: Annotated[
        bool,
        typer.Option(
            "--install-pulumi",
            help="Download the Pulumi CLI into the provisioner home if it is missing.",
        ),
    ] = False,
    refresh: Refresh = "true",
    forget: Forget = None,
    target: Target = None,
    replace: Replace = None,
    as_json: Json = False,
) -> None:
    """Create or update a stack's infrastructure (plan, confirm, apply).

    Shows the full plan, asks for confirmation when stdin is a terminal, applies exactly
    that plan with live progress, and writes the stack config (the hand-off file).
    REF may be a plan saved by `stack preview --out`: then exactly that plan is applied,
    or nothing if the definition, the state or provisioner changed since.
    """
    from provisioner import operations

    if install_pulumi:
        from provisioner.engines.pulumi.cli import ensure_pulumi_cli

        ensure_pulumi_cli(on_message=lambda m: console.err.print(m))
    # As `terraform apply`: ask when a person can answer (stdin is a terminal, wherever the
    # output goes); with --yes or without one, print the plan for the log and go on.
    ask = not yes and console.interactive()

    def confirm(result: operations.PreviewResult) -> bool:
        _warn_all(result.notes)
        # With --json the plan goes to stderr, so stdout stays one JSON document.
        render.render_plan(console.err if as_json else console.out, result.plan)
        if not ask or not result.plan.has_changes:
            return True
        return console.confirm("Deploy these changes?")

    if not as_json:
        console.err.print(f"[bold]Deploying[/] {escape(ref)} …")
    with ProgressDisplay(console.err, "deploy") if not as_json else _Null() as progress:
        result = operations.deploy(
            ref,
            engine=engine,
            on_event=progress,
            confirm=confirm,
            lock_timeout=lock_timeout,
            backend=backend,
            refresh=_truth(refresh),
            forget=forget or (),
            targeting=_targeting(target, replace),
        )
    if result is None:
        if as_json:  # stdout still gets its one document
            console.error(OperationError("cancelled at the prompt; nothing changed"), as_json=True)
        else:
            console.err.print("Cancelled; nothing changed.")
        raise typer.Exit(code=1)
    if as_json:
        render.dump_json(
            {
                **render.plan_json(result.plan),
                "stack_config_path": str(result.config_path),
                "stack_config": result.stack_config,
            }
        )
        return
    console.out.print(_done_line(result))
    console.out.print(Text("Stack config: ").append(str(result.config_path), style="bold"))
    console.out.print(
        "Hand it to anyone who runs pipelines: "
        f"provisioner stack export {result.stack.name} -o stack.yaml",
        soft_wrap=True,
    )


def _done_line(result: operations.DeployResult) -> Text:
    counts = render.resource_counts(result.plan)
    parts = [
        f"{counts.get(op, 0)} {word}"
        for op, word in (
            (Op.CREATE, "created"),
            (Op.UPDATE, "updated"),
            (Op.REPLACE, "replaced"),
            (Op.DELETE, "deleted"),
            (Op.SAME, "unchanged"),
        )
    ]
    text = Text(
        f"Deployed stack {result.stack.name} with the {result.engine} engine: ", style="bold green"
    )
    text.append(", ".join(parts) + ".")
    return text


class _Null:
    def __enter__(self):
        return lambda event: None

    def __exit__(self, *exc: object) -> None:
        return None


@app.command()
def destroy(
    ref: Ref,
    engine: EngineOpt = None,
    backend: Backend = None,
    yes: Yes = False,
    lock_timeout: LockTimeout = 0.0,
    forget: Forget = None,
    target: Target = None,
    as_json: Json = False,
) -> None:
    """Delete a stack's resources and state.

    Shows what it deletes and asks on a terminal; without one, pass --yes. It deletes
    everything it may and names what it may not (a store holding data); a rerun deletes
    what is left. A second destroy is a no-op; an unknown stack name is an error.
    """
    from provisioner import operations

    name, _ = operations.target_name(ref)
    _targeting(target, None)
    if not yes:
        targets = operations.destroy_targets(ref, engine=engine, backend=backend)
        if targets is not None:
            _confirm_destroy(name, targets[1], as_json, target or [])
    with ProgressDisplay(console.err, "destroy") if not as_json else _Null() as progress:
        plan = operations.destroy(
            ref,
            engine=engine,
            on_event=progress,
            lock_timeout=lock_timeout,
            backend=backend,
            forget_resources=forget or (),
            targets=target or (),
        )
    if as_json:
        render.dump_json(
            {
                "stack": name,
                "destroyed": plan is not None,
                **({"plan": render.plan_json(plan)} if plan else {}),
            }
        )
        return
    if plan is None:
        console.out.print(f"Stack {name!r} has no resources and no state; nothing to destroy.")
        return
    deleted = sum(1 for s in plan.steps if s.op == Op.DELETE and s.type != "pulumi:pulumi:Stack")
    if target:
        console.out.print(
            Text(f"Destroyed {_plural(deleted, 'resource')} of stack {name}.", style="bold green")
        )
        return
    console.out.print(
        Text(
            f"Destroyed stack {name}: {deleted} resources deleted, state removed.",
            style="bold green",
        )
    )


def _confirm_destroy(name: str, resources: list, as_json: bool, targets: list[str]) -> None:
    """Show what a destroy deletes and ask; without a terminal, demand --yes."""
    what = "the targeted resources" if targets else "every resource"
    if as_json or not console.interactive():
        raise UserInputError(
            f"destroy deletes {what} of stack {name!r}; pass --yes to confirm "
            "(there is no terminal to ask on)"
        )
    if resources and not targets:
        render.render_plan(console.err, Plan(stack=name, engine="", steps=resources))
    if not console.confirm(f"Destroy {what} of stack {name!r}?"):
        console.err.print("Cancelled; nothing changed.")
        raise typer.Exit(code=1)


@app.command()
def refresh(
    ref: Ref,
    engine: EngineOpt = None,
    backend: Backend = None,
    detailed_exitcode: Detailed = False,
    as_json: Json = False,
) -> None:
    """Show drift: read every resource back through its provider."""
    from provisioner import operations

    result = operations.refresh(ref, engine=engine, backend=backend)
    if as_json:
        render.dump_json(result)
    else:
        render.render_drift(console.out, result)
    if detailed_exitcode and result.drift:
        raise typer.Exit(code=CHANGES_EXIT)


@app.command()
def history(
    ref: Ref,
    engine: EngineOpt = None,
    backend: Backend = None,
    as_json: Json = False,
) -> None:
    """Each deploy, destroy and refresh of a stack: time, user, host, version, changes, result."""
    from dataclasses import asdict

    from provisioner import operations

    entries = operations.history(ref, engine=engine, backend=backend)
    if as_json:
        render.dump_json([asdict(e) for e in entries])
        return
    if not entries:
        console.out.print("No history: the stack was never deployed from this home or backend.")
        return
    table = Table("started", "operation", "result", "changes", "user@host", "version")
    for e in entries:
        changes = ", ".join(f"{n} {op}" for op, n in e.changes.items()) or "-"
        style = "green" if e.result == "succeeded" else "red"
        table.add_row(
            e.started,
            e.kind,
            Text(e.result, style=style),
            changes + (f"\n{e.message}" if e.message else ""),
            f"{e.user}@{e.host}" if e.user or e.host else "-",
            e.version or "-",
        )
    console.out.print(table)


@app.command("import")
def import_(
    ref: Ref,
    type_: Annotated[
        str,
        typer.Argument(
            metavar="TYPE",
            help="The resource's type token (e.g. aws:s3/bucketV2:BucketV2), or its last part "
            "for a dynamic resource (LocalDirectory).",
        ),
    ],
    name: Annotated[str, typer.Argument(metavar="NAME", help="Its logical name in the program.")],
    id_: Annotated[str, typer.Argument(metavar="ID", help="The existing resource's ID.")],
    parent: Annotated[
        str | None,
        typer.Option(
            "--parent",
            metavar="URN_OR_NAME",
            help="Pulumi engine: the parent it has in the program.",
            show_default=False,
        ),
    ] = None,
    engine: EngineOpt = None,
    backend: Backend = None,
    lock_timeout: LockTimeout = 0.0,
    as_json: Json = False,
) -> None:
    """Adopt an existing resource into the stack; the next preview shows it as same, or as
    the updates that make it match the definition."""
    from dataclasses import asdict

    from provisioner import operations

    imported = operations.import_resource(
        ref,
        type_,
        name,
        id_,
        parent=parent,
        engine=engine,
        backend=backend,
        lock_timeout=lock_timeout,
    )
    if as_json:
        render.dump_json(render.to_jsonable(asdict(imported)))
        return
    console.out.print(
        Text(f"Imported {imported.name} ({imported.id}) as {imported.urn}", style="bold green")
    )
    console.out.print(f"Next: provisioner stack preview {ref}", soft_wrap=True)


@app.command("list")
def list_(as_json: Json = False) -> None:
    """List the stacks this home has deployed."""
    from provisioner import operations

    records = operations.list_stacks()
    if as_json:
        render.dump_json(
            [
                {
                    **r.__dict__,
                    "stack_config": str(r.config_path) if r.config_path.exists() else None,
                }
                for r in records
            ]
        )
        return
    if not records:
        console.out.print("No stacks yet. Deploy one: provisioner stack deploy local-recipe")
        return
    table = Table("name", "cloud", "engine", "status", "recipe / definition", "updated")
    for r in records:
        style = {"deployed": "green", "failed": "red"}.get(r.status, "yellow")
        table.add_row(
            r.name,
            r.cloud,
            r.engine,
            Text(r.status, style=style),
            r.recipe or r.definition,
            r.updated_at,
        )
    console.out.print(table)


@app.command()
def describe(ref: Ref, as_json: Json = False) -> None:
    """Show a stack config: components, connections, auth, provenance."""
    from provisioner import operations

    config = operations.stack_config(ref)
    data = config.model_dump(mode="json")
    if as_json:
        render.dump_json(data)
        return
    console.out.print(render.stack_config_view(data))


@app.command()
def outputs(
    ref: Ref,
    key: Annotated[
        str | None,
        typer.Argument(
            metavar="KEY",
            help="Print only this output; dots reach into maps (components.artifact_store.path).",
            show_default=False,
        ),
    ] = None,
    raw: Annotated[
        bool,
        typer.Option(
            "--raw", help="With KEY: print a string or number bare, for $(...) in scripts."
        ),
    ] = False,
    show_secrets: Annotated[
        bool,
        typer.Option(
            "--show-secrets",
            help="Print secret outputs in plaintext (a server's admin password, an API token).",
        ),
    ] = False,
    engine: EngineOpt = None,
    backend: Backend = None,
    as_json: Json = False,
) -> None:
    """Show the last deploy's raw outputs (secrets masked unless --show-secrets), or one."""
    from provisioner import operations

    if raw and key is None:
        raise UserInputError("--raw prints one output: give its KEY")
    values = operations.outputs(ref, engine=engine, backend=backend)
    if show_secrets:
        from provisioner.cli.output_value import reveal

        values = reveal(values)
    if key is not None:
        from provisioner.cli.output_value import print_output

        print_output(values, key, raw=raw and not as_json)
        return
    if as_json:
        render.dump_json(values)
        return
    table = Table("output", "value")
    for key, value in values.items():
        table.add_row(
            key,
            render.value_text(value)
            if not isinstance(value, dict)
            else json.dumps(render.to_jsonable(value), indent=2),
        )
    console.out.print(table)


@app.command()
def export(
    ref: Ref,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="File to write; default: stdout."),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            metavar="yaml|env",
            help="yaml: the stack config; env: `export` lines a shell or CI job needs "
            "(references, never secrets).",
        ),
    ] = "yaml",
    as_json: Json = False,
) -> None:
    """Write the stack config (the hand-off file), or the environment for using it."""
    from provisioner import operations

    if fmt not in ("yaml", "env"):
        raise UserInputError(f"--format {fmt!r}: expected yaml or env")
    config = operations.stack_config(ref)
    if fmt == "env":
        from provisioner.handoff import env

        text = env.render_env(config, ref)
        if as_json:
            text = json.dumps(env.env_json(config, ref), indent=2) + "\n"
    elif as_json:
        text = json.dumps(config.model_dump(mode="json"), indent=2) + "\n"
    else:
        text = config.to_yaml()
    if output is None:
        console.out.file.write(text)
        return
    from provisioner.stackconfig import atomic_write_text

    if output.is_dir():
        raise UserInputError(f"{output} is a directory; give a file path to -o")
    atomic_write_text(output, text)
    console.err.print(f"Wrote the stack config of {config.name!r} to {output}")


@app.command()
def validate(
    refs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Recipes, definition files or deployed stack names.", show_default=False
        ),
    ] = None,
    folder: Annotated[
        Path | None,
        typer.Option(
            "--all",
            metavar="DIR",
            help="Also every *.yaml and *.yml file directly in DIR (one line per file).",
            show_default=False,
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    """Check stack definitions; exit 2 if any is invalid."""
    from provisioner import operations
    from provisioner.errors import ProvisionerError, SpecError

    refs = [*(refs or []), *(_definition_files(folder) if folder is not None else [])]
    if not refs:
        raise UserInputError("give definitions to validate, or --all DIR")
    results, failed = [], None
    for ref in refs:
        try:
            stack = operations.load_definition(ref)
        except ProvisionerError as exc:
            failed = failed or exc
            problems = exc.problems if isinstance(exc, SpecError) else [("", None, exc.message)]
            results.append(
                {
                    "ref": ref,
                    "valid": False,
                    "errors": [{"field": f, "line": line, "message": m} for f, line, m in problems],
                }
            )
            if not as_json:
                console.error(exc)
                console.out.print(f"✗ {ref}: invalid ({_plural(len(problems), 'problem')})")
            continue
        results.append(
            {
                "ref": ref,
                "name": stack.name,
                "cloud": str(stack.cloud),
                "valid": True,
                "components": {str(t): c.flavor.name for t, c in stack.components.items()},
                "warnings": stack.warnings,
            }
        )
        if not as_json:
            _warn_all(stack.warnings)
            n = _plural(len(stack.components), "component")
            console.out.print(f"✓ {ref}: stack {stack.name!r} on {stack.cloud} with {n}, valid")
    if as_json:
        render.dump_json(results)
    if failed is not None:
        raise typer.Exit(code=failed.exit_code)


def _definition_files(folder: Path) -> list[str]:
    """The ``*.yaml`` and ``*.yml`` files directly in ``folder``, sorted."""
    if not folder.is_dir():
        raise UserInputError(f"--all {folder}: not a folder; expected a folder of definitions")
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    if not files:
        raise UserInputError(f"--all {folder}: the folder has no .yaml or .yml files")
    return [str(p) for p in files]
