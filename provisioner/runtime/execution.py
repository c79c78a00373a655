"""Execute one step invocation: inputs, cache, retries, outputs and its record."""

from __future__ import annotations

import threading
import time
import traceback
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from provisioner.runtime import cache as step_cache
from provisioner.runtime.artifacts import ArtifactIO, ArtifactRef
from provisioner.runtime.components import Components
from provisioner.runtime.context import StepContext, reset_step_context, set_step_context
from provisioner.runtime.errors import (
    ArtifactStoreError,
    PipelineDefinitionError,
    SerializationError,
)
from provisioner.runtime.records import ErrorInfo, RunRecord, Status, StepRecord, write_step
from provisioner.runtime.serializers import find_serializer
from provisioner.runtime.serializers.registry import PICKLE
from provisioner.runtime.step_artifacts import StepArtifacts
from provisioner.runtime.steplogs import StepLog

if TYPE_CHECKING:
    from provisioner.runtime.pipeline import Invocation, Pipeline
    from provisioner.stackconfig import StackConfig

_MAX_BACKOFF = 60.0


class PickleFallbackWarning(UserWarning):
    """A step output was stored with pickle because no serializer handles its type."""


@dataclass
class RunState:
    """Everything the steps of one run share."""

    run: RunRecord
    pipeline: Pipeline
    stack: StackConfig
    io: ArtifactIO
    cache: bool
    outputs: dict[str, dict[str, ArtifactRef]] = field(default_factory=dict)
    stopped: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    components: Components | None = None

    def __post_init__(self) -> None:
        if self.components is None:
            self.components = Components(self.stack)

    def stop(self) -> None:
        """The run was cancelled or crashed: steps that end from now on record nothing.

        A step still running in its thread may finish later; its outputs must not enter
        the cache (it was interrupted as far as the run record says) nor change its record.
        """
        with self.lock:
            self.stopped = True


def _now() -> datetime:
    return datetime.now(UTC)


def _split_outputs(inv: Invocation, result: Any) -> dict[str, Any]:
    names = inv.step.outputs
    if len(names) == 1:
        return {names[0]: result}
    if not isinstance(result, tuple | list) or len(result) != len(names):
        got = f"{len(result)} values" if isinstance(result, tuple | list) else type(result).__name__
        raise SerializationError(
            f"step {inv.name!r} declares {len(names)} outputs ({', '.join(names)}) "
            f"but returned {got}"
        )
    return dict(zip(names, result, strict=True))


def _serializer_for(state: RunState, inv: Invocation, output: str, value: Any) -> Any:
    serializer = find_serializer(value)
    if serializer is not None:
        return serializer
    policy = _pickle_policy(state, inv)
    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    if policy is False:
        raise SerializationError(
            f"step {inv.name!r} output {output!r}: no serializer for type {kind}",
            hint="register one with provisioner.runtime.register_serializer, or allow pickle "
            "with @step(pickle=True)",
        )
    if policy is None:
        warnings.warn(
            f"step {inv.name!r} output {output!r}: no serializer for type {kind}; stored with "
            "pickle (pass pickle=True to @step or @pipeline to opt in, or register a serializer)",
            PickleFallbackWarning,
            stacklevel=2,
        )
    return PICKLE


def _save_outputs(
    state: RunState, inv: Invocation, values: dict[str, Any]
) -> dict[str, ArtifactRef]:
    refs = {}
    producer = {"run_id": state.run.run_id, "step": inv.name}
    for output, value in values.items():
        serializer = _serializer_for(state, inv, output, value)
        try:
            refs[output] = state.io.save(value, serializer, {**producer, "output": output})
        except ArtifactStoreError:
            raise
        except Exception as exc:
            kind = f"{type(value).__module__}.{type(value).__qualname__}"
            if serializer is PICKLE:
                raise SerializationError(
                    f"step {inv.name!r} output {output!r}: no serializer for type {kind}, and "
                    f"pickle cannot store it either ({exc})",
                    hint="return a supported type or register a serializer",
                ) from None
            raise SerializationError(
                f"step {inv.name!r} output {output!r}: serializer {serializer.name!r} failed "
                f"on type {kind}: {exc}"
            ) from None
    return refs


class StepExit(RuntimeError):
    """A step called ``sys.exit()``: it fails like any other step error."""


def _pickle_policy(state: RunState, inv: Invocation) -> bool | None:
    policy = inv.step.options.pickle
    return state.pipeline.pickle if policy is None else policy


def _call(
    state: RunState,
    inv: Invocation,
    rec: StepRecord,
    inputs: dict[str, Any],
    saved: StepArtifacts,
) -> Any:
    """Run the function with retries and exponential backoff; return outputs' refs."""
    retries = inv.step.options.retries
    if retries is None:
        retries = state.pipeline.retries
    delay = inv.step.options.retry_delay
    attempt = 0
    while True:
        attempt += 1
        rec.attempts = attempt
        token = set_step_context(
            StepContext(
                state.stack,
                state.run.run_id,
                state.pipeline.name,
                inv.name,
                attempt,
                state.io.store.uri,
                state.components,
                saved,
            )
        )
        try:
            try:
                result = inv.step.func(**inv.parameters, **inputs)
            except SystemExit as exc:  # a step's sys.exit() fails the step, not the process
                raise StepExit(f"step {inv.name!r} called sys.exit({exc.code!r})") from None
            return _save_outputs(state, inv, _split_outputs(inv, result))
        except (SerializationError, PipelineDefinitionError):
            raise
        except Exception:
            if attempt > retries:
                raise
        finally:
            reset_step_context(token)
        time.sleep(min(delay * 2 ** (attempt - 1), _MAX_BACKOFF))


def _input_refs(state: RunState, inv: Invocation) -> dict[str, ArtifactRef]:
    return {arg: state.outputs[ref.invocation][ref.output] for arg, ref in inv.inputs.items()}


def _refs(entries: dict[str, dict[str, Any]]) -> dict[str, ArtifactRef]:
    return {
        name: ArtifactRef(o["hash"], o["uri"], o["serializer"], o["type"], o["size"])
        for name, o in entries.items()
    }


def _record_artifacts(rec: StepRecord, refs: dict[str, ArtifactRef]) -> None:
    """Put the artifacts a step saved (or its cached run saved) in its record."""
    rec.artifacts = {n: r.uri for n, r in refs.items()}
    rec.serializers.update({n: r.serializer for n, r in refs.items()})


def _cache_hit(
    state: RunState, inv: Invocation, rec: StepRecord, in_refs: dict[str, ArtifactRef]
) -> tuple[dict[str, ArtifactRef], dict[str, ArtifactRef]] | None:
    """Fill in the record's inputs and cache key; on a hit, the cached outputs' refs and
    the refs of the artifacts the cached run saved."""
    rec.inputs = {arg: ref.uri for arg, ref in in_refs.items()}
    key = step_cache.cache_key(
        inv.step.code_hash, inv.parameters, {a: r.hash for a, r in in_refs.items()}
    )
    rec.cache_key = key
    hit = step_cache.lookup(state.io, key) if state.cache and inv.step.options.cache else None
    if hit is None:
        return None
    rec.cached_from = hit.get("run_id")
    return _refs(hit["outputs"]), _refs(hit["artifacts"])


def reuse_cached(state: RunState, inv: Invocation) -> StepRecord | None:
    """Record ``inv`` as ``cached`` if the cache has its outputs (without running it);
    None on a miss. Remote orchestrators call it before starting anything for a step."""
    rec = state.run.steps[inv.name].model_copy(deep=True)
    rec.started_at = _now()
    hit = _cache_hit(state, inv, rec, _input_refs(state, inv))
    if hit is None:
        return None
    refs, saved = hit
    with state.lock:
        if state.stopped:
            return None
        state.outputs[inv.name] = refs
        rec.outputs = {n: r.uri for n, r in refs.items()}
        rec.serializers = {n: r.serializer for n, r in refs.items()}
        _record_artifacts(rec, saved)
        rec.status = Status.CACHED
        rec.ended_at = _now()
        rec.duration = (rec.ended_at - rec.started_at).total_seconds()
        state.run.steps[inv.name] = rec
    assert state.components is not None
    state.components.notify("on_step_end", state.run, rec)
    write_step(state.io.store, state.run.run_id, rec)
    return rec


def execute(state: RunState, inv: Invocation) -> StepRecord:
    """Run one invocation whose upstream steps are done; never raises for step errors."""
    rec = state.run.steps[inv.name]
    rec.status = Status.RUNNING
    components = state.components
    assert components is not None
    components.notify("on_step_start", state.run, rec)  # not part of the step's duration
    rec.started_at = _now()
    t0 = time.perf_counter()
    saved = StepArtifacts(
        state.io,
        state.run.run_id,
        inv.name,
        inv.step.outputs,
        allow_pickle=_pickle_policy(state, inv) is True,
    )
    try:
        in_refs = _input_refs(state, inv)
        hit = _cache_hit(state, inv, rec, in_refs)
        key = rec.cache_key
        if hit is not None:
            refs, saved_refs = hit
            status = Status.CACHED
        else:
            inputs = {arg: state.io.load(ref.hash, ref.serializer) for arg, ref in in_refs.items()}
            log = StepLog(state.io.store, state.run.run_id, inv.name)
            try:
                with log.capture():
                    refs = _call(state, inv, rec, inputs, saved)
            finally:
                rec.log = log.saved_key()
            saved_refs = saved.refs
            status = Status.COMPLETED
        with state.lock:  # a cancelled run's step (still running here) records nothing
            if state.stopped:
                return rec
            if status is Status.COMPLETED:
                step_cache.record(
                    state.io,
                    key,
                    {
                        "run_id": state.run.run_id,
                        "step": inv.name,
                        "outputs": {n: r.__dict__ for n, r in refs.items()},
                        "artifacts": {n: r.__dict__ for n, r in saved_refs.items()},
                    },
                )
            state.outputs[inv.name] = refs
            rec.outputs = {n: r.uri for n, r in refs.items()}
            rec.serializers = {n: r.serializer for n, r in refs.items()}
            _record_artifacts(rec, saved_refs)
            rec.status = status  # last: whoever copies the record never sees done without outputs
    except Exception as exc:
        with state.lock:
            if state.stopped:
                return rec
            rec.status = Status.FAILED
            rec.error = ErrorInfo(
                type=f"{type(exc).__module__}.{type(exc).__qualname__}",
                message=str(exc),
                traceback=traceback.format_exc(),
            )
            _record_artifacts(rec, saved.refs)  # a failed check still shows its report
    if state.stopped:
        return rec
    rec.ended_at = _now()
    rec.duration = time.perf_counter() - t0
    components.notify("on_step_end", state.run, rec)
    try:
        write_step(state.io.store, state.run.run_id, rec)
    except Exception as exc:  # the store went away: the step fails with that cause
        if rec.status is not Status.FAILED:
            rec.status = Status.FAILED
            rec.error = ErrorInfo(
                type=type(exc).__qualname__, message=str(exc), traceback=traceback.format_exc()
            )
    return rec
