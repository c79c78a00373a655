"""The webhook alerter against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import pytest

from provisioner.runtime import connect
from provisioner.runtime.components.alerter import AlertError, AskNotSupportedError
from provisioner.stackconfig import ComponentConnection
from tests.runtime.alerters.webhook_receiver import WebhookReceiver
from tests.runtime.conftest import make_stack

URL_VAR = "PROVISIONER_TEST_WEBHOOK_URL"


@pytest.fixture(scope="module")
def receiver():
    with WebhookReceiver() as server:
        yield server


@pytest.fixture
def hook(receiver, monkeypatch):
    receiver.received.clear()
    receiver.status = 204
    monkeypatch.setenv(URL_VAR, receiver.url())
    return receiver


def webhook_stack(tmp_path, cloud="local", **config):
    config = {"url": {"source": "env", "name": URL_VAR}, **config}
    stack = make_stack(
        "local",
        root=tmp_path,
        extra={"alerter": ComponentConnection(flavor="webhook", config=config)},
    )
    return stack.model_copy(update={"cloud": cloud})


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        ("generic", lambda b: b == {"text": "done", "context": {}}),
        ("discord", lambda b: b["content"] == "done" and b["allowed_mentions"] == {"parse": []}),
        ("slack", lambda b: b == {"text": "done"}),
        (
            "teams",
            lambda b: (
                b["type"] == "message"
                and b["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
                and b["attachments"][0]["content"]["body"][0]["text"] == "done"
            ),
        ),
    ],
)
def test_payload_shapes(tmp_path, hook, fmt, check):
    connect(webhook_stack(tmp_path, format=fmt)).alerter.post("done")
    [body] = hook.received
    assert check(body), body


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_on_every_cloud(tmp_path, hook, cloud):
    connect(webhook_stack(tmp_path, cloud=cloud)).alerter.post("hi")
    assert hook.received == [{"text": "hi", "context": {}}]


def test_discord_content_is_cut_to_its_limit(tmp_path, hook):
    connect(webhook_stack(tmp_path, format="discord")).alerter.post("x" * 5000)
    assert len(hook.received[0]["content"]) == 2000


def test_refusals_name_the_status(tmp_path, hook, monkeypatch):
    monkeypatch.setenv(URL_VAR, hook.url("revoked"))
    with pytest.raises(AlertError, match=r"404.*Unknown Webhook"):
        connect(webhook_stack(tmp_path)).alerter.post("x")
    monkeypatch.setenv(URL_VAR, "http://127.0.0.1:9/hook/closed")
    with pytest.raises(AlertError, match="cannot be reached"):
        connect(webhook_stack(tmp_path)).alerter.post("x")


def test_webhooks_cannot_ask(tmp_path, hook):
    with pytest.raises(AskNotSupportedError, match="can only post"):
        connect(webhook_stack(tmp_path)).alerter.ask("deploy?", timeout=1)
