"""``provisioner run list|show``: past pipeline runs, read from the stack's artifact store."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from provisioner.cli import completion, console, render

if TYPE_CHECKING:
    from provisioner.runtime import RunClient
    from provisioner.runtime.records import RunRecord
    from provisioner.stackconfig import StackConfig

app = typer.Typer(
    no_args_is_help=True,
    help="List and inspect pipeline runs and their outputs, on a stack's artifact store.",
)

StackOption = Annotated[
    str | None,
    typer.Option(
        "--stack",
        "-s",
        metavar="STACK",
        help="A deployed stack's name (see `provisioner stack list`) or a stack config file. "
        "Default: the active stack ($PROVISIONER_STACK, else `provisioner stack use`).",
        show_default=False,
        autocompletion=completion.stack_targets,
    ),
]


def stack_flag(stack: str | None) -> str:
    """`` --stack STACK`` for a hint, or nothing when the active stack was used."""
    return f" --stack {stack}" if stack else ""


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def announce_endpoint(config: StackConfig) -> None:
    """Say on stderr where store requests go when the stack config overrides the endpoint."""
    from provisioner.runtime.stores.endpoints import store_endpoint

    endpoint = store_endpoint(config)
    if endpoint is not None:
        console.err.print(Text(f"artifact store endpoint: {endpoint.describe()}", "dim"))


def open_client(stack: str, *, allow_pickle: bool | None = None) -> RunClient:
    """The run client of ``stack``, after saying which endpoint it talks to."""
    from provisioner.runtime import RunClient
    from provisioner.runtime.runner import resolve_stack

    config = resolve_stack(stack)
    announce_endpoint(config)
    return RunClient(config, allow_pickle=allow_pickle)


STATUS_STYLE = {
    "completed": "green",
    "cached": "cyan",
    "failed": "bold red",
    "skipped": "yellow",
    "running": "blue",
    "pending": "dim",
    "cancelled": "yellow",
    "abandoned": "bold magenta",
    "interrupted": "magenta",
}
#: Statuses whose record carries an error worth a line of its own.
_WHY = ("failed", "skipped", "interrupted", "cancelled", "abandoned")


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def status_text(status: str) -> Text:
    """A status word in its colour."""
    return Text(status, style=STATUS_STYLE.get(status, ""))


def steps_table(run: RunRecord) -> Table:
    """One row per step: status, duration, cached, attempts, outputs."""
    table = Table(title=f"run {run.run_id}", title_justify="left")
    table.add_column("step", style="bold")
    table.add_column("status")
    table.add_column("duration", justify="right")
    table.add_column("cached")
    table.add_column("attempts", justify="right")
    table.add_column("outputs")
    for rec in run.steps.values():
        outputs = ", ".join(
            [f"{n} ({rec.serializers.get(n, '?')})" for n in rec.outputs]
            + [f"{n} ({rec.serializers.get(n, '?')}, saved)" for n in rec.artifacts]
        )
        if rec.error is not None and rec.status.value in _WHY:
            outputs = rec.error.message.splitlines()[0][:80] if rec.error.message else ""
        table.add_row(
            rec.name,
            status_text(rec.status.value),
            _seconds(rec.duration),
            "yes" if rec.status.value == "cached" else "no",
            str(rec.attempts),
            outputs,
        )
    return table


def run_summary(run: RunRecord) -> Text:
    """The line under the table: status, duration, step counts."""
    done = sum(1 for s in run.steps.values() if s.status.done)
    text = Text()
    text.append(f"{run.pipeline} ")
    text.append_text(status_text(run.status.value))
    text.append(
        f" in {_seconds(run.duration)}: {done}/{len(run.steps)} steps done, "
        f"{len(run.cached_steps)} cached; stack {run.stack}, store {run.store_uri}"
    )
    if run.tracking.get("run_id"):
        where = run.tracking.get("url") or run.tracking.get("tracking_uri", "")
        text.append(f"\n{run.tracking.get('flavor', 'tracker')} run {run.tracking['run_id']}: ")
        text.append(where, style=f"link {where}" if where.startswith("http") else "")
    if run.image:
        text.append(f"\nimage: {run.image}")
        if run.image_digest and run.image_digest not in run.image:
            text.append(f" ({run.image_digest})")
    if run.error is not None and run.status.value in ("abandoned", "cancelled"):
        text.append(f"\n{run.status.value}: {run.error.message}")
    return text


def _resolve(client, ref: str) -> str:
    """The full run id behind ``latest`` or a unique prefix (see runtime.run_ids)."""
    from provisioner.runtime.run_ids import resolve_run_id

    return resolve_run_id(client.store, ref)


@app.command("list")
def list_(
    stack: StackOption = None,
    pipeline: Annotated[
        str | None,
        typer.Option("--pipeline", "-p", metavar="NAME", help="Only runs of this pipeline."),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, metavar="N", help="At most this many.")
    ] = 20,
    as_json: JsonOption = False,
) -> None:
    """List runs on a stack, newest first."""
    runs = open_client(stack).list_runs(pipeline, limit)
    if as_json:
        render.dump_json(
            [
                r.model_dump(mode="json", exclude={"steps"})
                | {"steps": {n: s.status.value for n, s in r.steps.items()}}
                for r in runs
            ],
            exact=True,
        )
        return
    if not runs:
        console.err.print(
            Text(f"no runs of pipeline {pipeline!r} on this stack" if pipeline else "no runs yet")
        )
        return
    table = Table(title="runs", title_justify="left")
    table.add_column("run", no_wrap=True, style="bold")
    for col in ("pipeline", "status", "started (UTC)", "duration", "steps", "cached"):
        table.add_column(col, justify="right" if col in ("duration", "steps", "cached") else "left")
    for r in runs:
        table.add_row(
            r.run_id,
            r.pipeline,
            status_text(r.status.value),
            r.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            _seconds(r.duration),
            str(len(r.steps)),
            str(len(r.cached_steps)),
        )
    console.out.print(table)


@app.command("show")
def show(
    run_id: Annotated[
        str,
        typer.Argument(
            metavar="RUN_ID",
            help="The run id (see `provisioner run list`), a unique prefix of it, or latest.",
            autocompletion=completion.run_ids,
        ),
    ],
    stack: StackOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one run: its parameters, steps, outputs (small JSON values inline) and errors."""
    from provisioner.runtime.outputs import INLINE_BYTES, small_json_values

    client = open_client(stack)
    run_id = _resolve(client, run_id)
    run = client.get_run(run_id)
    if as_json:
        render.dump_json(run.model_dump(mode="json"), exact=True)
        return
    console.out.print(steps_table(run))
    console.out.print(run_summary(run))
    if run.parameters:
        console.out.print(Text(f"parameters: {render.value_text(run.parameters, exact=True)}"))
    values = small_json_values(client, run, INLINE_BYTES)
    any_outputs = any(rec.outputs or rec.artifacts for rec in run.steps.values())
    if any_outputs:
        console.out.print("outputs:")
    for rec in run.steps.values():
        for name, uri in [*rec.outputs.items(), *rec.artifacts.items()]:
            line = Text(f"  {rec.name}.{name}")
            if name in rec.artifacts:
                line.append(" (saved by the step)", "dim")
            if (rec.name, name) in values:
                line.append(" = ")
                line.append(json.dumps(values[rec.name, name], ensure_ascii=False), "bold")
            line.append(f"  {uri}", "dim")
            console.out.print(line, soft_wrap=True)
        if rec.status.value == "failed" and rec.error is not None:
            console.err.print(Text(f"{rec.name} failed:", "red"), soft_wrap=True)
            console.err.print(Text(rec.error.traceback or rec.error.message), soft_wrap=True)
            for line in pod_lines(run, rec.name, stack):
                console.err.print(line, soft_wrap=True)
    if any_outputs:
        console.err.print(
            f"see a value: provisioner run output {run.run_id} STEP [OUTPUT]{stack_flag(stack)}",
            soft_wrap=True,
            markup=False,
        )


def pod_lines(run: RunRecord, step: str, stack: str) -> list[Text]:
    """How each pod of a remote step ended, and where its copied log is."""
    rec = run.steps[step]
    lines = []
    for pod in rec.pods:
        code = f", exit code {pod.exit_code}" if pod.exit_code is not None else ""
        line = Text(f"  pod {pod.pod}: {pod.reason or pod.phase}{code}")
        if pod.message and pod.message.strip():
            line.append(f" ({pod.message.strip().splitlines()[-1][:200]})", "dim")
        lines.append(line)
    if any(pod.log for pod in rec.pods):
        lines.append(
            Text(f"  logs: provisioner run logs {run.run_id} {step} --stack {stack}", "dim")
        )
    return lines


@app.command("logs")
def logs(
    run_id: Annotated[
        str,
        typer.Argument(
            metavar="RUN_ID",
            help="The run id (see `provisioner run list`), a unique prefix of it, or latest.",
            autocompletion=completion.run_ids,
        ),
    ],
    stack: StackOption,
    step: Annotated[
        str | None,
        typer.Argument(metavar="STEP", help="One step (default: every step with logs)."),
    ] = None,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow", "-f", help="Keep printing new output until the run ends (like tail -f)."
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Print what a run's steps wrote (stdout, stderr, logging), kept in the artifact store,
    and the pod logs of remote steps that failed; from any machine holding the stack config."""
    from provisioner.errors import NotFoundError, UserInputError
    from provisioner.runtime import RunClient

    if follow and as_json:
        raise UserInputError("--follow prints text as it comes; it cannot be combined with --json")
    client = RunClient(stack)
    run_id = _resolve(client, run_id)
    run = client.get_run(run_id)
    if step is not None and step not in run.steps:
        raise NotFoundError(f"run {run_id} has no step {step!r} (steps: {', '.join(run.steps)})")
    names = [step] if step else list(run.steps)
    if follow:
        _follow(client, run_id, names)
        return
    found = _collect_logs(client, run, names)
    if as_json:
        render.dump_json(found)
        return
    if not found:
        console.err.print(f"no logs were kept for {step or 'any step'} of run {run_id}")
        return
    for name, parts in found.items():
        for part, text in parts.items():
            title = f"==> {name}" if part == "step" else f"==> {name} / pod {part}"
            console.err.print(Text(title, "bold"), soft_wrap=True)
            sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
    sys.stdout.flush()


def _step_log(client: RunClient, run_id: str, step: str) -> str | None:
    from provisioner.runtime.errors import ArtifactNotFoundError
    from provisioner.runtime.records import log_key
    from provisioner.runtime.steplogs import STEP_LOG

    try:
        return client.store.get_bytes(log_key(run_id, step, STEP_LOG)).decode(errors="replace")
    except ArtifactNotFoundError:
        return None


def _collect_logs(client: RunClient, run: RunRecord, names: list[str]) -> dict[str, dict[str, str]]:
    """Each step's own log (``step``) and its pods' copied logs, by step."""
    found: dict[str, dict[str, str]] = {}
    for name in names:
        text = _step_log(client, run.run_id, name)
        if text is not None:
            found.setdefault(name, {})["step"] = text
        for pod in run.steps[name].pods:
            if pod.log:
                text = client.store.get_bytes(pod.log).decode(errors="replace")
                found.setdefault(name, {})[pod.pod] = text
    return found


def _follow(client: RunClient, run_id: str, names: list[str]) -> None:
    """Print each step's new output as its log grows in the store, until the run ends."""
    import time

    shown: dict[str, int] = {}
    last = None
    while True:
        run = client.get_run(run_id)
        ended = run.status.ended
        for name in names:
            text = _step_log(client, run_id, name) or ""
            if len(text) > shown.get(name, 0):
                if last != name:
                    console.err.print(Text(f"==> {name}", "bold"), soft_wrap=True)
                    last = name
                sys.stdout.write(text[shown.get(name, 0) :])
                sys.stdout.flush()
                shown[name] = len(text)
        if ended:
            console.err.print(f"run {run_id} {run.status}")
            return
        time.sleep(0.5)


@app.command("delete")
def delete(
    run_ids: Annotated[
        list[str],
        typer.Argument(
            metavar="RUN_ID...",
            help="Runs to delete (ids, unique prefixes, or latest).",
            autocompletion=completion.run_ids,
        ),
    ],
    stack: StackOption,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show what would be deleted.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Delete runs, and every artifact and cache entry that no kept run still needs."""
    from provisioner.errors import UserInputError
    from provisioner.runtime import RunClient, gc

    client = RunClient(stack)
    ids = [_resolve(client, ref) for ref in run_ids]
    for run_id in ids:
        if not client.get_run(run_id).status.ended:
            raise UserInputError(f"run {run_id} is still running; cancel it or wait for it")
    _clean(client, gc.collect(client.store, ids), dry_run, as_json)


@app.command("gc")
def collect_garbage(
    stack: StackOption,
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than",
            metavar="AGE",
            help="Delete runs started more than AGE ago (30d, 12h, 2w).",
            show_default=False,
        ),
    ] = None,
    keep_last: Annotated[
        int | None,
        typer.Option(
            "--keep-last",
            metavar="N",
            min=0,
            help="Never delete the N newest runs.",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show what would be deleted.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Delete old runs, the artifacts and cache entries only they used, orphaned artifacts
    and the temp parts of killed writes; never anything a kept run or the cache uses."""
    from provisioner.errors import UserInputError
    from provisioner.runtime import RunClient, gc

    if older_than is None and keep_last is None:
        raise UserInputError("give --older-than AGE and/or --keep-last N (see --help)")
    try:
        age = gc.parse_age(older_than) if older_than is not None else None
    except ValueError as exc:
        raise UserInputError(f"--older-than: {exc}") from None
    client = RunClient(stack)
    doomed = gc.choose_runs(client.list_runs(), older_than=age, keep_last=keep_last)
    _clean(client, gc.collect(client.store, [r.run_id for r in doomed]), dry_run, as_json)


def _clean(client: RunClient, plan, dry_run: bool, as_json: bool) -> None:
    from provisioner.runtime import gc

    if not dry_run:
        gc.delete(client.store, plan)
    if as_json:
        render.dump_json({**plan.to_json(), "dry_run": dry_run})
        return
    verb = "would delete" if dry_run else "deleted"
    for note in plan.notes:
        console.warn(note)
    console.out.print(
        f"{verb.capitalize()} {len(plan.runs)} runs, {len(plan.artifacts)} artifacts, "
        f"{len(plan.cache_entries)} cache entries and {len(plan.temp_parts)} temp parts; "
        f"kept {plan.kept_runs} runs and {plan.kept_artifacts} artifacts."
    )
    for run_id in plan.runs:
        console.out.print(f"  {verb} run {run_id}")


@app.command("output")
def output(
    run_id: Annotated[
        str,
        typer.Argument(
            metavar="RUN_ID",
            help="The run id (see `provisioner run list`), a unique prefix of it, or latest.",
            autocompletion=completion.run_ids,
        ),
    ],
    step: Annotated[str, typer.Argument(metavar="STEP", help="The step's name in the run.")],
    stack: StackOption = None,
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="OUTPUT",
            help="The output's name, or the name of an artifact the step saved "
            "(ctx.save_artifact); default: the step's only output.",
            show_default=False,
        ),
    ] = None,
    out_file: Annotated[
        str | None,
        typer.Option(
            "--output-file",
            "-o",
            metavar="FILE",
            help="Write the stored file(s) as they are to this path (a folder for several "
            "files); '-' writes a one-file output's bytes to stdout. The value is not loaded.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="With -o: overwrite files that exist.")
    ] = False,
    allow_pickle: Annotated[
        bool,
        typer.Option(
            "--allow-pickle",
            help="Load a pickled value even if another home wrote it. Loading a pickle runs "
            "code chosen by its writer: use it only if you trust every writer of the store.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Show one step output: JSON values as JSON, other values summarised.

    Every byte read is verified against the artifact's address. A pickled value loads only
    if this home wrote it, or with --allow-pickle; -o FILE copies it without loading it.
    """
    from provisioner.runtime.outputs import export_files, output_info, read_raw, summarize

    client = open_client(stack, allow_pickle=allow_pickle or None)
    run_id = _resolve(client, run_id)
    run = client.get_run(run_id)
    info = output_info(client, run, step, name)
    if out_file == "-":
        sys.stdout.buffer.write(read_raw(client, info))
        sys.stdout.flush()
        return
    if out_file is not None:
        written = export_files(client, info, Path(out_file).expanduser(), force=force)
        if as_json:
            render.dump_json(info.as_dict() | {"written": [str(p) for p in written]})
            return
        for path in written:
            console.err.print(Text(f"wrote {path} ({path.stat().st_size} bytes)"), soft_wrap=True)
        return
    value = client.load_output(run_id, step, info.output)
    if as_json:
        data = info.as_dict()
        if info.serializer == "json":
            data["value"] = value
        else:
            data["summary"] = summarize(value)
        render.dump_json(data, exact=True)
        return
    if info.serializer == "json":
        console.out.print(Text(json.dumps(value, indent=2, ensure_ascii=False)), soft_wrap=True)
        return
    console.out.print(Text(summarize(value)), soft_wrap=True)
    console.err.print(
        Text(
            f"{info.type}, stored with {info.serializer} in {info.size} bytes at {info.uri}; "
            "-o FILE writes the stored file(s)",
            "dim",
        ),
        soft_wrap=True,
    )
