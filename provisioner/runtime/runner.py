"""Run a pipeline on a stack: check the stack, build the graph, orchestrate, record."""

from __future__ import annotations

import contextlib
import logging
import secrets
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner import home
from provisioner.catalog.types import ComponentType
from provisioner.errors import NotFoundError, UserInputError
from provisioner.integrations import require_for_stack
from provisioner.runtime.artifacts import ArtifactIO
from provisioner.runtime.errors import (
    ArtifactStoreMissingError,
    OperationError,
    PipelineRunFailedError,
    RunCancelled,
    RunIdTakenError,
    StackNotRunnableError,
)
from provisioner.runtime.execution import RunState, execute
from provisioner.runtime.heartbeat import Heartbeat, heartbeat_interval
from provisioner.runtime.hooks import run_hook
from provisioner.runtime.keys import check_run_id
from provisioner.runtime.liveness import interrupt_steps, this_owner
from provisioner.runtime.records import (
    ErrorInfo,
    RunRecord,
    Status,
    StepRecord,
    run_key,
    write_run,
    write_step,
)
from provisioner.runtime.stores import ArtifactStore, open_store
from provisioner.stackconfig import StackConfig, load_stack_config

if TYPE_CHECKING:
    from provisioner.runtime.components import Components
    from provisioner.runtime.pipeline import Invocation, Pipeline

log = logging.getLogger(__name__)

#: Orchestrator flavors this runtime can drive, by flavor name.
ORCHESTRATORS: dict[str, str] = {
    "local": "provisioner.runtime.orchestrators.local:LocalOrchestrator",
    "kubernetes": "provisioner.runtime.orchestrators.kubernetes:KubernetesOrchestrator",
}


def resolve_stack(stack: StackConfig | str | Path | None = None) -> StackConfig:
    """A stack config object from itself, a file path, or a deployed stack's name; None
    means the active stack (``$PROVISIONER_STACK``, else ``provisioner stack use``).

    Raises:
        UserInputError: None given and no stack is active.
        NotFoundError: no such file or deployed stack; a built-in recipe's name gets a
            hint naming the stack that recipe deploys.
        SpecError: the file is not a valid stack config.
    """
    if isinstance(stack, StackConfig):
        return stack
    if stack is None:
        from provisioner.handoff.active import require

        stack = require()
    try:
        return load_stack_config(stack)
    except NotFoundError as exc:
        hint = _recipe_hint(str(stack))
        if hint is None:
            raise
        raise NotFoundError(exc.message, hint=hint) from None


def _recipe_hint(ref: str) -> str | None:
    """For a recipe name given where a stack is expected: the stack it deploys."""
    from provisioner.spec.loader import builtin_recipes, load_stack

    if ref not in builtin_recipes():
        return None
    try:
        name = load_stack(ref).name
    except Exception:  # a hint only: never mask the real error
        return None
    return (
        f"{ref!r} is a recipe, not a stack: the recipe {ref} deploys the stack {name!r}; "
        f"use --stack {name} once `provisioner stack deploy {ref}` has run"
    )


def check_runnable(stack: StackConfig) -> None:
    """Refuse a stack without an orchestrator or an artifact store.

    Raises:
        StackNotRunnableError: naming what is missing.
    """
    missing = [
        t.value
        for t in (ComponentType.ORCHESTRATOR, ComponentType.ARTIFACT_STORE)
        if stack.component(t) is None
    ]
    if missing:
        raise StackNotRunnableError(
            f"stack {stack.name!r} cannot run pipelines: it has no {' and no '.join(missing)}",
            hint="a stack that runs pipelines needs an orchestrator and an artifact store",
        )


def download_dir(stack: StackConfig) -> Path:
    """Where local copies of artifacts go: the orchestrator's workspace, else the home."""
    orch = stack.component(ComponentType.ORCHESTRATOR)
    workspace = orch.config.get("workspace") if orch else None
    if workspace:
        return Path(workspace).expanduser() / "artifacts"
    return home.make_dirs(home.home() / "cache" / "artifacts")


def _orchestrator(stack: StackConfig, options: dict[str, Any] | None = None) -> Any:
    """The stack's orchestrator, with run options (``image``, ...) that its flavor takes.

    Raises:
        OperationError: a flavor this runtime cannot drive.
        UserInputError: an option the flavor does not take.
    """
    import inspect

    from provisioner.catalog.flavor import load_object

    orch = stack.component(ComponentType.ORCHESTRATOR)
    assert orch is not None
    ref = ORCHESTRATORS.get(orch.flavor)
    if ref is None:
        raise OperationError(
            f"orchestrator flavor {orch.flavor!r} is not supported by this runtime "
            f"(supported: {', '.join(ORCHESTRATORS)})"
        )
    factory = load_object(ref)
    options = {k: v for k, v in (options or {}).items() if v is not None}
    params = inspect.signature(factory).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    unknown = [k for k in options if k not in params and not takes_any]
    if unknown:
        raise UserInputError(
            f"the {orch.flavor} orchestrator of stack {stack.name!r} takes no "
            f"{', '.join(repr(k) for k in unknown)} option"
        )
    return factory(dict(orch.config), **options)


def _step_runner(
    orchestrator: Any, state: RunState, invocations: list[Invocation]
) -> Callable[[Invocation], StepRecord]:
    """How one step runs: in this process, or as the orchestrator launches it elsewhere,
    or (``@step(step_operator=True)``) on the stack's step operator.

    An orchestrator that runs steps elsewhere (Kubernetes Jobs) has ``prepare(state)``: it
    checks what it needs before the run is recorded and returns its step launcher. The step
    operator is built and prepared here too, only when a step asks for it.

    Raises:
        MissingComponentError: a step asks for a step operator the stack does not have.
    """
    prepare = getattr(orchestrator, "prepare", None)
    on_orchestrator = prepare(state) if prepare is not None else (lambda inv: execute(state, inv))
    if not any(inv.step.options.step_operator for inv in invocations):
        return on_orchestrator
    assert state.components is not None
    operator = state.components.get(ComponentType.STEP_OPERATOR)
    operator.prepare(state)

    def run_step(inv: Invocation) -> StepRecord:
        if inv.step.options.step_operator:
            return operator.launch(state, inv)
        return on_orchestrator(inv)

    return run_step


def new_run_id(pipeline: str) -> str:
    """``<pipeline>-<UTC time>-<random>``: sortable and unique."""
    return f"{pipeline}-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def run_pipeline(
    pipeline: Pipeline,
    stack: StackConfig | str | Path | None = None,
    *,
    parameters: dict[str, Any] | None = None,
    cache: bool | None = None,
    run_id: str | None = None,
    raise_on_failure: bool = True,
    orchestrator_options: dict[str, Any] | None = None,
) -> RunRecord:
    """Run ``pipeline`` on ``stack`` and return its run record.

    Args:
        pipeline: a ``@pipeline``.
        stack: a StackConfig, a stack config file, or a deployed stack's name; None: the
            active stack (see :func:`resolve_stack`).
        parameters: the pipeline function's arguments.
        cache: False turns caching off for this run (None: the pipeline's setting).
        run_id: an explicit run id (default: generated).
        raise_on_failure: raise PipelineRunFailedError if a step fails (else return the
            failed record).
        orchestrator_options: run options for the stack's orchestrator, e.g.
            ``{"image": ...}`` for the kubernetes one (None values are left out).

    Raises:
        StackNotRunnableError: no orchestrator or artifact store in the stack.
        ArtifactStoreError: the store cannot be reached (raised before any step runs).
        PipelineDefinitionError: bad parameters or wiring.
        PipelineRunFailedError: a step failed (with ``raise_on_failure``).
        RunIdTakenError: ``run_id`` names an existing run.
        RunCancelled: Ctrl-C (a KeyboardInterrupt); the run is recorded ``cancelled``
            first, its running steps ``interrupted``.
    """
    config = resolve_stack(stack)
    check_runnable(config)
    require_for_stack(config)
    invocations = pipeline.build(parameters)
    params = pipeline.bind_parameters(parameters or {})
    interval = heartbeat_interval()
    store = open_store(config)
    orchestrator = _orchestrator(config, orchestrator_options)
    try:
        store.check()
    except ArtifactStoreMissingError as exc:
        exc.hint = _redeploy_hint(config)
        raise
    if run_id is not None and store.exists(run_key(run_id)):
        raise RunIdTakenError(
            f"run id {run_id!r} is already used in {store.uri}",
            hint="pick another run id, or leave it out to get a generated one",
        )
    started = datetime.now(UTC)
    run = RunRecord(
        run_id=check_run_id(new_run_id(pipeline.name) if run_id is None else run_id),
        pipeline=pipeline.name,
        stack=config.name,
        started_at=started,
        parameters=params,
        cache=pipeline.cache if cache is None else cache,
        store_uri=store.uri,
        module=pipeline.func.__module__,
        source_file=_source_file(pipeline),
        steps={inv.name: _pending(inv) for inv in invocations},
        owner=this_owner(),
        heartbeat_at=started,
        heartbeat_interval=interval,
    )
    state = RunState(run, pipeline, config, ArtifactIO(store, download_dir(config)), run.cache)
    run_step = _step_runner(orchestrator, state, invocations)
    t0 = time.perf_counter()

    def skip(inv: Invocation, upstream: str) -> None:
        rec = run.steps[inv.name]
        rec.status = Status.SKIPPED
        rec.error = ErrorInfo(type="Skipped", message=f"upstream step {upstream!r} did not finish")
        components.notify("on_step_end", run, rec)
        write_step(store, run.run_id, rec)

    components = state.components
    assert components is not None
    components.build_observers()
    components.notify("on_run_start", run)

    heartbeat = Heartbeat(store, run, interval)
    try:  # from the first write on, Ctrl-C anywhere is recorded as a cancelled run
        write_run(store, run)
        heartbeat.start()
        orchestrator.run(invocations, run_step, skip)
        heartbeat.stop()
        failed = [r for r in run.steps.values() if r.status is Status.FAILED]
        run.status = Status.FAILED if failed else Status.COMPLETED
        if failed:
            first = failed[0]
            run.error = (
                first.error.model_copy(
                    update={"message": f"step {first.name!r} failed: {first.error.message}"}
                )
                if first.error
                else None
            )
        _finish(run, t0)
        components.notify("on_run_end", run)
        write_run(store, run)
    except BaseException as exc:  # interrupted: record it, then let it through
        heartbeat.stop()
        state.stop()  # steps still running may finish, but record nothing (no cache entry)
        _cancel_step_operator(state)
        with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C: readers see abandoned
            _record_stop(store, run, exc, t0, components)
            if run.status is Status.FAILED:
                run_hook(pipeline.on_failure, run, components, "on_failure")
        components.close()
        if isinstance(exc, KeyboardInterrupt) and not isinstance(exc, RunCancelled):
            raise RunCancelled(run) from exc
        raise
    try:  # hooks run with the run's clients (its alerter), then the clients are closed
        if failed:
            run_hook(pipeline.on_failure, run, components, "on_failure")
        else:
            run_hook(pipeline.on_success, run, components, "on_success")
    finally:
        components.close()
    if failed and raise_on_failure:
        raise PipelineRunFailedError(f"run {run.run_id} failed: {run.error.message}", run)
    return run


def _cancel_step_operator(state: RunState) -> None:
    """Stop the steps still running on the step operator, if the run used one."""
    assert state.components is not None
    operator = state.components.built().get(ComponentType.STEP_OPERATOR)
    if operator is not None:
        try:
            operator.cancel()
        except Exception as exc:  # the run is stopping anyway; say what is left behind
            log.warning("could not stop the step operator's steps: %s", exc)


def _record_stop(
    store: ArtifactStore,
    run: RunRecord,
    exc: BaseException,
    t0: float,
    components: Components | None = None,
) -> None:
    """Record a run stopped by Ctrl-C (``cancelled``) or by a runtime error (``failed``).

    Steps still running in their threads are recorded ``interrupted``: the record is a
    copy, so whatever those threads do later cannot change it.
    """
    cancelled = isinstance(exc, KeyboardInterrupt | SystemExit)
    run.steps = {name: rec.model_copy(deep=True) for name, rec in run.steps.items()}
    run.status = Status.CANCELLED if cancelled else Status.FAILED
    why = "the run was cancelled" if cancelled else f"the run failed ({type(exc).__name__})"
    interrupt_steps(run, why, ready_ran=False)
    if cancelled:
        run.error = ErrorInfo(type="Cancelled", message=str(exc) or "Ctrl-C (KeyboardInterrupt)")
    else:
        run.error = ErrorInfo(type=type(exc).__name__, message=str(exc) or "interrupted")
    _finish(run, t0)
    if components is not None:
        components.notify("on_run_end", run)
    try:
        write_run(store, run)
    except Exception as write_exc:  # the store is gone too: readers will see it abandoned
        log.warning("could not record the end of run %s: %s", run.run_id, write_exc)


def _redeploy_hint(config: StackConfig) -> str:
    """How to bring back the store of a destroyed stack: the deploy that made it."""
    prov = config.provenance
    ref = prov.recipe if prov.recipe not in ("", "custom") else prov.definition
    return (
        f"the stack {config.name!r} was deployed from {ref}: `provisioner stack deploy {ref}` "
        "creates its artifact store again"
    )


def _source_file(pipeline: Pipeline) -> str | None:
    """The file the pipeline's module came from, so readers can import it to load pickles."""
    file = getattr(sys.modules.get(pipeline.func.__module__), "__file__", None)
    return str(Path(file).resolve()) if file else None


def _pending(inv: Invocation) -> StepRecord:
    return StepRecord(
        name=inv.name,
        function=inv.step.function_name,
        parameters=inv.parameters,
        upstream=inv.upstream,
        code_hash=inv.step.code_hash,
    )


def _finish(run: RunRecord, t0: float) -> None:
    run.ended_at = datetime.now(UTC)
    run.duration = time.perf_counter() - t0
