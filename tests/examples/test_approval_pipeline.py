"""The approval example end to end: its heavy step on the process step operator, the approval
read from a Slack thread (the test server), and the success hook's post."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from provisioner.runtime import load_output, load_pipeline
from provisioner.runtime.records import Status
from provisioner.stackconfig import ComponentConnection
from tests.runtime.alerters.slack_api import BOT_TOKEN, SlackServer
from tests.runtime.conftest import make_stack

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "approval_pipeline.py"

pytestmark = pytest.mark.slow


def test_gated_training(tmp_path, monkeypatch):
    monkeypatch.setenv("EXAMPLE_SLACK_TOKEN", BOT_TOKEN)
    pipe = load_pipeline(f"{EXAMPLE}:gated_training")
    with SlackServer() as slack:
        ws = slack.workspace
        stack = make_stack(
            "local",
            root=tmp_path,
            extra={
                "alerter": ComponentConnection(
                    flavor="slack",
                    config={
                        "channel": "#alerts",
                        "token": {"source": "env", "name": "EXAMPLE_SLACK_TOKEN"},
                        "poll_interval": 0.05,
                    },
                ),
                "step_operator": ComponentConnection(flavor="process", config={}),
            },
        ).model_copy(update={"endpoints": {"slack": slack.base_url}})

        def approve_when_asked():
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                asked = [m for m in ws.messages() if m["text"].startswith("Deploy the model")]
                if asked:
                    ws.reply("C0ALERTS01", asked[0]["ts"], "approve")
                    return
                time.sleep(0.05)

        threading.Thread(target=approve_when_asked, daemon=True).start()
        run = pipe.run(stack, parameters={"turns": 10_000})
        texts = [m["text"] for m in ws.messages()]
    assert run.status is Status.COMPLETED
    assert load_output(stack, run.run_id, "deploy").startswith("deployed weight")
    assert run.steps["train"].pods and run.steps["train"].pods[0].pod != f"process-{os.getpid()}"
    assert texts[0] == "training finished: accuracy 0.93"
    assert texts[1].startswith("Deploy the model") and texts[2] == "approve"
    assert "Pipeline gated_training completed" in texts[3] and run.run_id in texts[3]
