"""Run one step of a pipeline run inside a container: ``python -m provisioner.runtime.entrypoint``.

A remote orchestrator (the ``kubernetes`` one) starts a container per step with::

    python -m provisioner.runtime.entrypoint --run-id RUN --step STEP --target module:pipeline

and the stack config (secret-free) as JSON in the ``PROVISIONER_STACK_CONFIG`` environment
variable. The step reads the run record and its upstream steps' records from the artifact
store, runs exactly like a local step (:func:`provisioner.runtime.execution.execute`: cache,
inputs, outputs, step record) and exits 0 when the step produced its outputs, 1 when it
failed (its record says why), 2 when it could not even start (bad arguments, config,
credentials, or code that differs from the run's): the Job's podFailurePolicy does not
retry those.

Retries are the orchestrator's (a Job's ``backoffLimit``): every container runs one attempt,
and counts the attempts that the step's earlier record of this run shows.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from provisioner.runtime.artifacts import ArtifactRef
    from provisioner.runtime.records import RunRecord, StepRecord
    from provisioner.runtime.stores.base import ArtifactStore
    from provisioner.stackconfig import StackConfig

#: The environment variable that carries the stack config as JSON.
ENV_STACK_CONFIG = "PROVISIONER_STACK_CONFIG"
#: The environment variable that carries a step's CPU time limit in seconds (the process
#: step operator's ``cpu_seconds``), counted from when the step starts.
ENV_CPU_SECONDS = "PROVISIONER_STEP_CPU_SECONDS"
EXIT_OK = 0
EXIT_STEP_FAILED = 1
EXIT_SETUP = 2
_MAX_RETRY_DELAY = 600.0


class StepSetupError(Exception):
    """The step cannot start in this container (its code or its inputs are not as recorded)."""


def command(run_id: str, step: str, target: str) -> list[str]:
    """The container command that runs one step (what :func:`main` parses)."""
    return [
        "python",
        "-m",
        "provisioner.runtime.entrypoint",
        "--run-id",
        run_id,
        "--step",
        step,
        "--target",
        target,
    ]


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m provisioner.runtime.entrypoint",
        description=f"Run one step of a pipeline run (stack config JSON in ${ENV_STACK_CONFIG}).",
    )
    parser.add_argument("--run-id", required=True, help="the run, recorded in the artifact store")
    parser.add_argument("--step", required=True, help="the step invocation's name")
    parser.add_argument("--target", required=True, help="module:pipeline (importable here)")
    return parser.parse_args(argv)


def load_stack_from_env() -> StackConfig:
    """The stack config in ``$PROVISIONER_STACK_CONFIG``.

    Raises:
        UserInputError: unset or not a valid stack config.
    """
    from pydantic import ValidationError

    from provisioner.errors import UserInputError
    from provisioner.stackconfig import StackConfig

    text = os.environ.get(ENV_STACK_CONFIG)
    if not text:
        raise UserInputError(f"${ENV_STACK_CONFIG} is not set: it must hold the stack config")
    try:
        return StackConfig.model_validate_json(text)
    except ValidationError as exc:
        raise UserInputError(f"${ENV_STACK_CONFIG} is not a valid stack config: {exc}") from None


def _stored_step(store: ArtifactStore, run_id: str, step: str) -> StepRecord | None:
    from provisioner.runtime.errors import ArtifactNotFoundError
    from provisioner.runtime.records import StepRecord, step_key

    try:
        return StepRecord.model_validate_json(store.get_bytes(step_key(run_id, step)))
    except ArtifactNotFoundError:
        return None


def _upstream_refs(store: ArtifactStore, run_id: str, name: str) -> dict[str, ArtifactRef]:
    """The outputs of an upstream step, from its record (written by its own container)."""
    from provisioner.runtime.artifacts import ArtifactRef, hash_from_uri

    rec = _stored_step(store, run_id, name)
    if rec is None or not rec.status.done:
        state = rec.status.value if rec else "no record"
        raise StepSetupError(f"upstream step {name!r} has not produced its outputs ({state})")
    return {
        out: ArtifactRef(hash_from_uri(uri), uri, rec.serializers.get(out, ""), "", 0)
        for out, uri in rec.outputs.items()
    }


def limit_cpu(seconds: int) -> None:
    """Let this process use ``seconds`` more CPU time, and less than one more (``RLIMIT_CPU``
    counts whole seconds): SIGXCPU then, SIGKILL a second later. What its start used
    (interpreter, imports, the pipeline's module) does not count."""
    import math
    import resource

    used = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(used.ru_utime + used.ru_stime) + seconds
    resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))


def _state(stack: StackConfig, store: ArtifactStore, run: RunRecord, step: str, target: str):
    """The run state and the invocation of ``step``, as the run's own process had them."""
    from provisioner.runtime.artifacts import ArtifactIO
    from provisioner.runtime.execution import RunState
    from provisioner.runtime.targets import load_pipeline

    pipeline = load_pipeline(target)
    invocations = {inv.name: inv for inv in pipeline.build(run.parameters)}
    inv = invocations.get(step)
    if inv is None:
        raise StepSetupError(f"pipeline {pipeline.name!r} in this image has no step {step!r}")
    recorded = run.steps[step].code_hash
    if recorded and inv.step.code_hash != recorded:
        raise StepSetupError(
            f"the code of step {step!r} in this image differs from the code the run was "
            f"started with (hash {inv.step.code_hash[:12]} here, {recorded[:12]} recorded): "
            "rebuild and push the image, then run again"
        )
    inv = replace(inv, step=inv.step.configure(retries=0))  # the Job's backoffLimit retries
    workdir = Path(tempfile.mkdtemp(prefix="provisioner-step-"))
    io = ArtifactIO(store, workdir)
    state = RunState(run, pipeline, stack, io, run.cache)
    for name in inv.upstream:
        state.outputs[name] = _upstream_refs(store, run.run_id, name)
        # A step container is part of the run that launched it: it loads the pickles its
        # upstream steps wrote for this run (each verified against its address), as the run's
        # own process would. Cache entries get no such trust.
        io.trust(ref.hash for ref in state.outputs[name].values())
    return state, inv


def run_step(stack: StackConfig, run_id: str, step: str, target: str) -> StepRecord:
    """Run one step of a recorded run and store its outputs and record.

    Never raises for the step's own errors nor for code or inputs that do not match the
    run: those are recorded in the step record (``failed``), for the orchestrator to read.

    Raises:
        ArtifactStoreError: the store or the run record cannot be read.
        RunNotFoundError: no such run or step.
    """
    from provisioner.runtime.errors import ArtifactNotFoundError, RunNotFoundError
    from provisioner.runtime.execution import execute
    from provisioner.runtime.records import ErrorInfo, RunRecord, Status, run_key, write_step
    from provisioner.runtime.stores import open_store

    store = open_store(stack)
    try:
        run = RunRecord.model_validate_json(store.get_bytes(run_key(run_id)))
    except ArtifactNotFoundError:
        raise RunNotFoundError(f"no run {run_id!r} in {store.uri}") from None
    if step not in run.steps:
        raise RunNotFoundError(f"run {run_id} has no step {step!r}")
    earlier = _stored_step(store, run_id, step)
    before = earlier.attempts if earlier is not None else 0
    try:
        state, inv = _state(stack, store, run, step, target)
        if before:  # a retry (the Job's next pod): wait as a local retry would
            delay = inv.step.options.retry_delay * 2 ** (before - 1)
            time.sleep(min(delay, _MAX_RETRY_DELAY))
    except Exception as exc:  # recorded for the orchestrator; the container fails
        rec = run.steps[step]
        rec.status = Status.FAILED
        rec.attempts = before + 1
        rec.started_at = rec.ended_at = datetime.now(UTC)
        rec.error = ErrorInfo(
            type=f"{type(exc).__module__}.{type(exc).__qualname__}",
            message=getattr(exc, "message", None) or str(exc),
            traceback=traceback.format_exc(),
        )
        write_step(store, run_id, rec)
        raise StepSetupError(rec.error.message) from exc
    assert state.components is not None
    state.components.build_observers()  # a tracker records this step under the run's own
    if os.environ.get(ENV_CPU_SECONDS):  # the step starts now
        limit_cpu(int(os.environ[ENV_CPU_SECONDS]))
    try:
        rec = execute(state, inv)
    finally:
        state.components.close()
    if before:
        rec.attempts += before
        write_step(store, run_id, rec)
    return rec


def main(argv: list[str] | None = None) -> int:
    """Run the step the arguments name; the exit code says how it went."""
    from provisioner.errors import ProvisionerError

    args = _parse(argv)
    try:
        rec = run_step(load_stack_from_env(), args.run_id, args.step, args.target)
    except StepSetupError as exc:  # recorded in the step record
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_SETUP
    except ProvisionerError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return EXIT_SETUP
    except Exception as exc:  # credentials, SDKs: no record can be written; the log says why
        print(f"error: {type(exc).__module__}.{type(exc).__qualname__}: {exc}", file=sys.stderr)
        traceback.print_exc()
        return EXIT_SETUP
    print(f"step {rec.name}: {rec.status.value} (attempt {rec.attempts})", file=sys.stderr)
    if rec.status.done:
        return EXIT_OK
    if rec.error is not None:
        print(rec.error.traceback or f"{rec.error.type}: {rec.error.message}", file=sys.stderr)
    return EXIT_STEP_FAILED


if __name__ == "__main__":
    sys.exit(main())
