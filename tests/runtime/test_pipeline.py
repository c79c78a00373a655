"""Pipelines on a local stack: wiring, records, cache, failures, retries, concurrency."""

from __future__ import annotations

import threading
import time
import warnings

import pytest

from provisioner.runtime import (
    PickleFallbackWarning,
    RunClient,
    Status,
    get_step_context,
    load_output,
    pipeline,
    step,
)
from provisioner.runtime.errors import (
    InvalidNameError,
    PipelineDefinitionError,
    PipelineRunFailedError,
    RunNotFoundError,
    StackNotRunnableError,
)
from provisioner.stackconfig import ComponentConnection

CALLS: list[str] = []


@step
def numbers(n: int = 5) -> list:
    CALLS.append("numbers")
    return list(range(n))


@step(outputs=("low", "high"))
def halves(xs: list, at: int = 2) -> tuple[list, list]:
    CALLS.append("halves")
    return xs[:at], xs[at:]


@step
def total(xs: list) -> int:
    CALLS.append("total")
    return sum(xs)


@pipeline
def arithmetic(n: int = 5):
    lo, hi = halves(numbers(n=n))
    total(lo)
    total(hi)


def test_outputs_records_and_loading(local_stack):
    run = arithmetic.run(local_stack, parameters={"n": 6})
    assert run.status is Status.COMPLETED
    assert list(run.steps) == ["numbers", "halves", "total", "total_2"]
    halves_rec = run.steps["halves"]
    assert set(halves_rec.outputs) == {"low", "high"}
    assert halves_rec.inputs["xs"] == run.steps["numbers"].outputs["output"]
    assert halves_rec.parameters == {"at": 2}
    assert halves_rec.code_hash and halves_rec.duration is not None
    assert load_output(local_stack, run.run_id, "total_2") == 2 + 3 + 4 + 5
    client = RunClient(local_stack)
    assert client.load_output(run.run_id, "halves", "low") == [0, 1]
    again = client.get_run(run.run_id)
    assert again.status is Status.COMPLETED and again.parameters == {"n": 6}
    assert [r.run_id for r in client.list_runs()] == [run.run_id]


def test_steps_run_as_plain_functions_outside_pipelines():
    assert total([1, 2]) == 3


def test_cache_reuses_unchanged_steps_and_can_be_switched_off(local_stack):
    arithmetic.run(local_stack)
    CALLS.clear()
    second = arithmetic.run(local_stack)
    assert CALLS == []
    assert second.cached_steps == ["numbers", "halves", "total", "total_2"]
    assert second.steps["total"].cached_from is not None
    third = arithmetic.run(local_stack, parameters={"n": 7})
    assert third.steps["numbers"].status is Status.COMPLETED
    assert "halves" not in third.cached_steps
    CALLS.clear()
    fourth = arithmetic.run(local_stack, cache=False)
    assert fourth.cached_steps == [] and not fourth.cache
    assert CALLS.count("total") == 2

    @pipeline(cache=False)
    def uncached():
        total(numbers())

    assert uncached.run(local_stack).cached_steps == []

    @pipeline
    def per_step():
        total.configure(cache=False)(numbers())

    per_step.run(local_stack)
    assert per_step.run(local_stack).cached_steps == ["numbers"]


FLAKY = {"fail": True}


@step
def flaky(xs: list) -> int:
    if FLAKY["fail"]:
        raise RuntimeError("boom in flaky")
    return len(xs)


@step
def after_flaky(x: int) -> int:
    return x + 1


@pipeline
def fragile():
    xs = numbers()
    after_flaky(flaky(xs))
    total(xs)


def test_failure_stops_dependents_keeps_artifacts_and_rerun_uses_cache(local_stack):
    FLAKY["fail"] = True
    with pytest.raises(PipelineRunFailedError, match="boom in flaky") as info:
        fragile.run(local_stack)
    run = info.value.result
    assert run.status is Status.FAILED
    assert run.steps["flaky"].status is Status.FAILED
    assert "RuntimeError: boom in flaky" in run.steps["flaky"].error.traceback
    assert run.steps["after_flaky"].status is Status.SKIPPED
    assert run.steps["total"].status is Status.COMPLETED
    stored = RunClient(local_stack).get_run(run.run_id)
    assert stored.status is Status.FAILED and stored.steps["flaky"].error.type.endswith(
        "RuntimeError"
    )
    assert load_output(local_stack, run.run_id, "numbers") == [0, 1, 2, 3, 4]
    FLAKY["fail"] = False
    CALLS.clear()
    rerun = fragile.run(local_stack)
    assert rerun.status is Status.COMPLETED
    assert set(rerun.cached_steps) == {"numbers", "total"}
    assert CALLS == []


def test_retries_with_backoff(local_stack):
    attempts = []

    @step(retries=2, retry_delay=0.05)
    def sometimes() -> int:
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise ConnectionError("transient")
        return get_step_context().attempt

    @pipeline(cache=False)
    def retrying():
        sometimes()

    run = retrying.run(local_stack)
    assert run.steps["sometimes"].attempts == 3
    assert load_output(local_stack, run.run_id, "sometimes") == 3
    assert attempts[1] - attempts[0] >= 0.05 and attempts[2] - attempts[1] >= 0.1


def test_independent_steps_run_concurrently(local_stack):
    barrier = threading.Barrier(2, timeout=10)

    @step(cache=False)
    def meet(tag: str) -> str:
        barrier.wait()  # only passes when both steps are running at once
        return tag

    @pipeline
    def parallel():
        meet(tag="a")
        meet(tag="b")

    assert parallel.run(local_stack).status is Status.COMPLETED


def test_step_reads_other_components_from_the_context(local_stack):
    comps = dict(local_stack.components)
    comps["experiment_tracker"] = ComponentConnection(
        flavor="mlflow", config={"tracking_uri": "http://127.0.0.1:5000"}
    )
    stack = local_stack.model_copy(update={"components": comps})

    @step(cache=False)
    def where() -> dict:
        ctx = get_step_context()
        return {
            "tracker": ctx.experiment_tracker_uri,
            "run": ctx.run_id,
            "step": ctx.step,
            "store": ctx.component_config("artifact_store")["uri"],
        }

    @pipeline
    def ctx_pipeline():
        where()

    run = ctx_pipeline.run(stack)
    out = load_output(stack, run.run_id, "where")
    assert out == {
        "tracker": "http://127.0.0.1:5000",
        "run": run.run_id,
        "step": "where",
        "store": local_stack.components["artifact_store"].config["uri"],
    }


@pytest.mark.parametrize("missing", ["orchestrator", "artifact_store"])
def test_stack_without_orchestrator_or_store_is_refused(local_stack, missing):
    comps = {k: v for k, v in local_stack.components.items() if k != missing}
    with pytest.raises(StackNotRunnableError, match=f"no {missing}"):
        arithmetic.run(local_stack.model_copy(update={"components": comps}))


class Opaque:
    pass


def test_unknown_type_warns_and_pickles_naming_step_output_type(local_stack):
    @step(outputs=("thing",))
    def make() -> Opaque:
        return Opaque()

    @pipeline
    def p():
        make()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = p.run(local_stack)
    msgs = [str(w.message) for w in caught if issubclass(w.category, PickleFallbackWarning)]
    assert msgs and "'make'" in msgs[0] and "'thing'" in msgs[0] and "Opaque" in msgs[0]
    assert run.steps["make"].serializers == {"thing": "pickle"}

    @pipeline(pickle=True)
    def opted_in():
        make.configure(cache_version="2")()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opted_in.run(local_stack)


def test_no_serializer_is_an_error_naming_step_output_and_type(local_stack):
    @step(pickle=False)
    def opaque() -> Opaque:
        return Opaque()

    @step(pickle=True)
    def unpicklable():
        return threading.Lock()

    @pipeline
    def p1():
        opaque()

    @pipeline
    def p2():
        unpicklable()

    for p, name, kind in ((p1, "opaque", "Opaque"), (p2, "unpicklable", "lock")):
        with pytest.raises(PipelineRunFailedError) as info:
            p.run(local_stack)
        msg = info.value.result.steps[name].error.message
        assert f"step {name!r} output 'output'" in msg and kind in msg


def test_wrong_number_of_outputs_is_an_error(local_stack):
    @step(outputs=("a", "b"))
    def one():
        return 1

    @pipeline
    def p():
        one()

    with pytest.raises(PipelineRunFailedError, match="declares 2 outputs"):
        p.run(local_stack)


def test_definition_errors():
    with pytest.raises(InvalidNameError):
        step(outputs=("../x",))(lambda: 1)
    with pytest.raises(InvalidNameError):
        step(name="a/b")(lambda: 1)

    @pipeline
    def bad_param():
        numbers(n="many")

    with pytest.raises(PipelineDefinitionError, match="'n'"):
        bad_param.build()

    @pipeline
    def unjsonable():
        total(xs=object())

    with pytest.raises(PipelineDefinitionError, match="JSON"):
        unjsonable.build()
    with pytest.raises(
        PipelineDefinitionError, match=r"has no parameter 'nope' \(its parameters: n\)"
    ):
        arithmetic.build({"nope": 1})
    with pytest.raises(PipelineDefinitionError, match="parameter 'n' expects int"):
        arithmetic.build({"n": "many"})

    @pipeline
    def unpack_single():
        _a, _b = numbers()

    with pytest.raises(PipelineDefinitionError, match="one output"):
        unpack_single.build()


@pytest.mark.parametrize("run_id", ["../../etc", "a/b", "..", "x/../../y", ""])
def test_run_ids_with_traversal_are_rejected(local_stack, run_id):
    with pytest.raises(InvalidNameError):
        RunClient(local_stack).get_run(run_id)
    with pytest.raises(InvalidNameError):
        arithmetic.run(local_stack, run_id=run_id)


def test_unknown_run_and_output_are_not_found(local_stack):
    run = arithmetic.run(local_stack)
    client = RunClient(local_stack)
    with pytest.raises(RunNotFoundError):
        client.get_run("no-such-run")
    with pytest.raises(RunNotFoundError, match="no step"):
        client.load_output(run.run_id, "nope")
    with pytest.raises(RunNotFoundError, match="no output"):
        client.load_output(run.run_id, "halves", "middle")


def test_sys_exit_in_a_step_fails_the_step_not_the_process(tmp_path):
    import sys as _sys

    from provisioner.runtime import pipeline as _pipeline
    from provisioner.runtime import step as _step
    from provisioner.runtime.errors import PipelineRunFailedError

    @_step(cache=False)
    def quits() -> int:
        _sys.exit(3)

    @_pipeline(cache=False)
    def p():
        quits()

    from tests.runtime.conftest import make_stack

    stack = make_stack("local", root=tmp_path)
    try:
        run = p.run(stack)
    except PipelineRunFailedError as exc:
        run = exc.result
    rec = run.steps["quits"]
    assert rec.status.value == "failed"
    assert "called sys.exit(3)" in rec.error.message
