"""Pipeline hooks: on_failure and on_success, as callables or through the stack's alerter."""

from __future__ import annotations

import logging

import pytest

from provisioner.runtime import pipeline, step
from provisioner.runtime.errors import PipelineDefinitionError, PipelineRunFailedError
from provisioner.runtime.records import Status
from provisioner.stackconfig import ComponentConnection
from tests.runtime.alerters.webhook_receiver import WebhookReceiver
from tests.runtime.conftest import make_stack

URL_VAR = "PROVISIONER_TEST_HOOK_URL"
SEEN: list = []


@step
def ok() -> int:
    return 1


@step
def boom(x: int) -> int:
    raise ValueError("the data is bad")


def remember(run) -> None:
    SEEN.append((run.status, run.run_id))


def no_args() -> None:
    SEEN.append("called")


def broken(run) -> None:
    raise RuntimeError("hook bug")


def _stack(tmp_path, receiver=None):
    extra = {}
    if receiver is not None:
        extra["alerter"] = ComponentConnection(
            flavor="webhook", config={"url": {"source": "env", "name": URL_VAR}}
        )
    return make_stack("local", root=tmp_path, extra=extra)


@pytest.fixture(autouse=True)
def _clear():
    SEEN.clear()


def test_callable_hooks_get_the_run(tmp_path):
    @pipeline(on_success=remember, on_failure=no_args)
    def good():
        ok()

    @pipeline(on_success=no_args, on_failure=remember)
    def bad():
        boom(ok())

    run = good.run(_stack(tmp_path), cache=False)
    assert [(Status.COMPLETED, run.run_id)] == SEEN
    SEEN.clear()
    failed = bad.run(_stack(tmp_path), cache=False, raise_on_failure=False)
    assert [(Status.FAILED, failed.run_id)] == SEEN
    SEEN.clear()

    @pipeline(on_failure=no_args)
    def bad_again():
        boom(ok())

    with pytest.raises(PipelineRunFailedError):
        bad_again.run(_stack(tmp_path), cache=False)
    assert SEEN == ["called"]


def test_alerter_hook_posts_run_id_pipeline_step_and_error(tmp_path, monkeypatch):
    @pipeline(on_failure="alerter", on_success="alerter")
    def training(fail: bool = False):
        if fail:
            boom(ok())
        else:
            ok()

    with WebhookReceiver() as receiver:
        monkeypatch.setenv(URL_VAR, receiver.url())
        stack = _stack(tmp_path, receiver)
        run = training.run(stack, parameters={"fail": True}, raise_on_failure=False)
        good = training.run(stack)
    failed_text, ok_text = (b["text"] for b in receiver.received)
    assert run.run_id in failed_text and "Pipeline training failed" in failed_text
    assert "Failed step: boom" in failed_text and "ValueError: the data is bad" in failed_text
    assert good.run_id in ok_text and "completed" in ok_text


def test_a_failing_hook_is_logged_and_changes_nothing(tmp_path, caplog, monkeypatch):
    @pipeline(on_success=broken)
    def fine():
        ok()

    @pipeline(on_success="alerter")
    def no_alerter():
        ok()

    with caplog.at_level(logging.WARNING, logger="provisioner.runtime.hooks"):
        run = fine.run(_stack(tmp_path), cache=False)
        assert run.status is Status.COMPLETED
        run2 = no_alerter.run(_stack(tmp_path), cache=False)  # the stack has no alerter
        assert run2.status is Status.COMPLETED
        monkeypatch.setenv(URL_VAR, "http://127.0.0.1:9/closed")
        run3 = no_alerter.run(_stack(tmp_path, receiver=True), cache=False)
        assert run3.status is Status.COMPLETED
    messages = [r.getMessage() for r in caplog.records]
    assert any("on_success hook" in m and "hook bug" in m for m in messages)
    assert any("has no alerter" in m for m in messages)
    assert any("cannot be reached" in m for m in messages)


@pytest.mark.parametrize("hook", ["slack", 3, lambda a, b: None])
def test_bad_hooks_are_refused_at_definition(hook):
    with pytest.raises(PipelineDefinitionError, match="on_failure of pipeline 'p'"):
        pipeline(name="p", on_failure=hook)(lambda: None)
