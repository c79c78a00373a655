"""The slack alerter against a Slack Web API server on 127.0.0.1 (tests/runtime/alerters/slack_api.py)."""

from __future__ import annotations

import threading
import time

import pytest

from provisioner.errors import UserInputError
from provisioner.runtime import connect, get_step_context, pipeline, step
from provisioner.runtime.components.alerter import AlertError, verdict
from provisioner.runtime.stores.endpoints import EndpointRefusedError
from provisioner.stackconfig import ComponentConnection
from tests.runtime.alerters.slack_api import BOT_TOKEN, BOT_USER, SCOPES, SlackServer
from tests.runtime.conftest import make_stack

TOKEN_VAR = "PROVISIONER_TEST_SLACK_TOKEN"


@pytest.fixture(scope="module")
def slack():
    with SlackServer() as server:
        yield server


@pytest.fixture
def workspace(slack):
    ws = slack.workspace
    with ws.lock:
        for channel in ws.channels.values():
            channel["messages"].clear()
        ws.calls.clear()
        ws.rate_limit_next = 0
        ws.page_size = 100
        ws.scopes = set(SCOPES.values())
    return ws


@pytest.fixture
def token(monkeypatch):
    monkeypatch.setenv(TOKEN_VAR, BOT_TOKEN)


def slack_stack(tmp_path, base_url, **config):
    config = {
        "channel": "C0ALERTS01",
        "token": {"source": "env", "name": TOKEN_VAR},
        "poll_interval": 0.05,
        **config,
    }
    stack = make_stack(
        "local",
        root=tmp_path,
        extra={"alerter": ComponentConnection(flavor="slack", config=config)},
    )
    return stack.model_copy(update={"endpoints": {"slack": base_url}})


def test_post_lands_in_the_channel(tmp_path, slack, workspace, token):
    alerter = connect(slack_stack(tmp_path, slack.base_url)).alerter
    ts = alerter.post("training finished: accuracy 0.93")
    [message] = workspace.messages()
    assert message["ts"] == ts and message["text"] == "training finished: accuracy 0.93"
    assert message["user"] == BOT_USER
    methods = [m for m, _ in workspace.calls]
    assert methods == ["auth.test", "chat.postMessage"]  # the token is checked once, first
    alerter.post("again")
    assert [m for m, _ in workspace.calls].count("auth.test") == 1


def test_channel_by_name(tmp_path, slack, workspace, token):
    connect(slack_stack(tmp_path, slack.base_url, channel="#alerts")).alerter.post("hi")
    assert [m["text"] for m in workspace.messages("C0ALERTS01")] == ["hi"]


@pytest.mark.parametrize(
    ("setup", "error", "hint"),
    [
        ("bad-token", "invalid_auth", "bot token is wrong"),
        ("not-member", "not_in_channel", "/invite"),
        ("unknown-channel", "channel_not_found", "channel ID"),
    ],
)
def test_slack_errors_name_the_cause(tmp_path, slack, workspace, monkeypatch, setup, error, hint):
    monkeypatch.setenv(TOKEN_VAR, "xoxb-revoked" if setup == "bad-token" else BOT_TOKEN)
    channel = {"not-member": "C0OTHER001", "unknown-channel": "C0NOPE0001"}.get(setup, "C0ALERTS01")
    alerter = connect(slack_stack(tmp_path, slack.base_url, channel=channel)).alerter
    with pytest.raises(AlertError) as info:
        alerter.post("x")
    assert error in info.value.message and hint in info.value.hint
    assert workspace.messages() == []


def test_token_variable_unset(tmp_path, slack, monkeypatch):
    monkeypatch.delenv(TOKEN_VAR, raising=False)
    with pytest.raises(UserInputError, match=TOKEN_VAR):
        connect(slack_stack(tmp_path, slack.base_url)).alerter.post("x")


def test_a_token_in_the_config_is_refused(tmp_path, slack):
    stack = slack_stack(tmp_path, slack.base_url, token={"source": "env", "name": BOT_TOKEN})
    with pytest.raises(UserInputError, match=r"alerter\.config\.token"):
        connect(stack).alerter.post("x")


def test_an_api_url_off_loopback_is_refused(tmp_path, token):
    stack = slack_stack(tmp_path, "http://slack.example.com/api/")
    with pytest.raises(EndpointRefusedError):
        connect(stack).alerter.post("x")


def test_rate_limited_call_is_retried(tmp_path, slack, workspace, token):
    alerter = connect(slack_stack(tmp_path, slack.base_url)).alerter
    alerter.post("warm up")
    workspace.rate_limit_next = 1
    alerter.post("after the limit")
    assert [m["text"] for m in workspace.messages()] == ["warm up", "after the limit"]
    assert [m for m, _ in workspace.calls].count("chat.postMessage") == 3


def _answer(workspace, replies, delay=0.2):
    """A person answers in the thread of the next question, after ``delay`` seconds."""

    def run():
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            asked = [m for m in workspace.messages() if "Reply in this thread" in m["text"]]
            if asked:
                time.sleep(delay)
                for user, text in replies:
                    workspace.reply("C0ALERTS01", asked[0]["ts"], text, user=user)
                return
            time.sleep(0.02)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize(
    ("replies", "expected"),
    [
        ([("U0HUMAN01", "hmm, let me look"), ("U0HUMAN01", "Approve!")], True),
        ([("U0HUMAN01", "no")], False),
        ([(BOT_USER, "approve"), ("U0HUMAN02", "reject :x:")], False),  # the bot cannot approve
    ],
)
def test_ask_waits_for_a_decision_in_the_thread(
    tmp_path, slack, workspace, token, replies, expected
):
    alerter = connect(slack_stack(tmp_path, slack.base_url)).alerter
    answer = _answer(workspace, replies)
    assert alerter.ask("deploy model v3?", timeout=10) is expected
    answer.join()
    assert any(m for m, _ in workspace.calls if m == "conversations.replies")


def test_ask_reads_every_page_of_a_long_thread(tmp_path, slack, workspace, token):
    workspace.page_size = 2
    alerter = connect(slack_stack(tmp_path, slack.base_url)).alerter
    noise = [("U0HUMAN01", f"comment {i}") for i in range(5)]
    answer = _answer(workspace, [*noise, ("U0HUMAN01", "lgtm")])
    assert alerter.ask("ship it?", timeout=10) is True
    answer.join()
    cursors = [a.get("cursor") for m, a in workspace.calls if m == "conversations.replies"]
    assert any(cursors)


def test_ask_without_the_history_scope(tmp_path, slack, workspace, token):
    workspace.scopes = {"chat:write"}  # the app was installed without channels:history
    alerter = connect(slack_stack(tmp_path, slack.base_url)).alerter
    with pytest.raises(AlertError) as info:
        alerter.ask("deploy?", timeout=5)
    assert "conversations.replies failed: missing_scope (needs channels:history)" in (
        info.value.message
    )
    assert "channels:history" in info.value.hint


def test_ask_timeout_rejects_and_says_so(tmp_path, slack, workspace, token):
    alerter = connect(slack_stack(tmp_path, slack.base_url)).alerter
    t0 = time.monotonic()
    assert alerter.ask("deploy?", timeout=0.3) is False
    assert time.monotonic() - t0 < 5
    question, note = workspace.messages()
    assert note["thread_ts"] == question["ts"] and "No answer within 0.3 s" in note["text"]


def test_custom_words(tmp_path, slack, workspace, token):
    stack = slack_stack(tmp_path, slack.base_url, approve_words=["ship"], reject_words=["hold"])
    alerter = connect(stack).alerter
    answer = _answer(workspace, [("U0HUMAN01", "approve"), ("U0HUMAN01", "ship")])
    assert alerter.ask("release?", timeout=10) is True
    answer.join()
    assert "`ship` or `hold`" in workspace.messages()[0]["text"]


def test_verdict():
    assert verdict("  LGTM. ") is True and verdict("reject :x:") is False
    assert verdict("approve later maybe") is None and verdict("") is None


@step
def announce(accuracy: float) -> float:
    get_step_context().alerter.post(f"training finished: accuracy {accuracy}")
    return accuracy


@pipeline
def announcing():
    announce(0.93)


def test_a_step_posts_through_the_stack(tmp_path, slack, workspace, token):
    announcing.run(slack_stack(tmp_path, slack.base_url))
    assert [m["text"] for m in workspace.messages()] == ["training finished: accuracy 0.93"]
