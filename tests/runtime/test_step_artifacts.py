"""``ctx.save_artifact``: a step stores extra artifacts, recorded in its step record."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from provisioner.runtime import RunClient, Status, get_step_context, pipeline, step
from provisioner.runtime.errors import PipelineDefinitionError, RunNotFoundError
from tests.runtime.cli_helpers import invoke

RUNS: list[str] = []


@step(cache=True)
def checked(n: int = 3) -> int:
    ctx = get_step_context()
    RUNS.append("checked")
    ctx.save_artifact("summary", {"n": n, "ok": n < 10})
    page = Path(tempfile.mkdtemp()) / "page.html"
    page.write_text(f"<html><body>{n}</body></html>")
    ctx.save_artifact("page", page)
    if n >= 10:
        raise ValueError(f"n={n} is too large")
    return n * 2


@pipeline
def checks(n: int = 3):
    checked(n=n)


@step
def clashing() -> int:
    get_step_context().save_artifact("output", 1)
    return 1


@pipeline
def clash():
    clashing()


@step
def unpicklable() -> int:
    get_step_context().save_artifact("thing", object())
    return 1


@pipeline
def opaque():
    unpicklable()


def test_saved_artifacts_are_recorded_loaded_and_cached(local_stack, tmp_path):
    RUNS.clear()
    run = checks.run(local_stack)
    rec = run.steps["checked"]
    assert rec.status is Status.COMPLETED
    assert set(rec.artifacts) == {"summary", "page"} and set(rec.outputs) == {"output"}
    assert rec.serializers == {"output": "json", "summary": "json", "page": "path"}

    client = RunClient(local_stack)
    assert client.load_output(run.run_id, "checked", "summary") == {"n": 3, "ok": True}
    assert client.load_output(run.run_id, "checked") == 6  # the only output is still the default

    # The cached run shows the artifacts of the run it reuses.
    again = checks.run(local_stack)
    assert again.steps["checked"].status is Status.CACHED and RUNS == ["checked"]
    assert again.steps["checked"].artifacts == rec.artifacts

    # The CLI writes a saved file out as it was stored, and lists what the step saved.
    config = tmp_path / "stack.yaml"
    local_stack.write(config)
    out = tmp_path / "report.html"
    result = invoke(
        "run", "output", run.run_id, "checked", "page", "-o", str(out), "-s", str(config)
    )
    assert result.exit_code == 0, result.output
    assert out.read_text() == "<html><body>3</body></html>"
    shown = invoke("run", "show", run.run_id, "--stack", str(config))
    assert "checked.summary (saved by the step)" in shown.output


def test_a_failed_step_keeps_what_it_saved(local_stack):
    run = checks.run(local_stack, parameters={"n": 12}, raise_on_failure=False)
    rec = run.steps["checked"]
    assert rec.status is Status.FAILED and "too large" in rec.error.message
    assert set(rec.artifacts) == {"summary", "page"} and not rec.outputs
    client = RunClient(local_stack)
    assert client.load_output(run.run_id, "checked", "summary") == {"n": 12, "ok": False}
    with pytest.raises(RunNotFoundError, match="artifacts it saved: summary, page"):
        client.load_output(run.run_id, "checked", "nope")


def test_an_artifact_may_not_shadow_an_output(local_stack):
    run = clash.run(local_stack, raise_on_failure=False)
    rec = run.steps["clashing"]
    assert rec.status is Status.FAILED
    assert rec.error.type.endswith(PipelineDefinitionError.__name__)
    assert "is one of its outputs" in rec.error.message


def test_no_silent_pickle_for_saved_artifacts(local_stack):
    run = opaque.run(local_stack, raise_on_failure=False)
    assert "no serializer for type builtins.object" in run.steps["unpicklable"].error.message
