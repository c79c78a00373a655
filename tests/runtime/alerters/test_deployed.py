"""From definition to step: a stack with a slack alerter and a process step operator is
deployed (embedded engine), its stack config loaded, and the runtime uses both."""

from __future__ import annotations

from typer.testing import CliRunner

from provisioner.cli.app import app
from provisioner.runtime import connect
from provisioner.runtime.alerters.slack import SlackAlerter
from provisioner.runtime.step_operators.process import ProcessStepOperator
from provisioner.stackconfig import load_stack_config
from tests.runtime.alerters.slack_api import BOT_TOKEN, SlackServer

DEFINITION = """\
name: alerts-demo
cloud: local
components:
  orchestrator: {flavor: local}
  artifact_store: {flavor: local}
  alerter:
    flavor: slack
    config:
      channel: "#alerts"
      token: {source: env, name: DEMO_SLACK_TOKEN}
      poll_interval: 0.1
  step_operator:
    flavor: process
    config: {memory_limit: 4Gi, cpu_seconds: 600}
"""


def test_deployed_components_reach_the_runtime(provisioner_home, tmp_path, monkeypatch):
    definition = tmp_path / "stack.yaml"
    definition.write_text(DEFINITION)
    result = CliRunner().invoke(app, ["stack", "deploy", str(definition), "--yes"])
    assert result.exit_code == 0, result.output
    config = load_stack_config("alerts-demo")
    assert config.component("alerter").config["token"] == {
        "source": "env",
        "name": "DEMO_SLACK_TOKEN",
    }
    assert BOT_TOKEN not in config.to_yaml()
    monkeypatch.setenv("DEMO_SLACK_TOKEN", BOT_TOKEN)
    with SlackServer() as slack:
        stack = config.model_copy(update={"endpoints": {"slack": slack.base_url}})
        with connect(stack) as connected:
            assert isinstance(connected.alerter, SlackAlerter)
            connected.alerter.post("deployed")
            assert isinstance(connected.step_operator, ProcessStepOperator)
            assert connected.step_operator.settings.cpu_seconds == 600
        assert [m["text"] for m in slack.workspace.messages()] == ["deployed"]


def test_a_literal_token_in_a_definition_is_refused(provisioner_home, tmp_path):
    definition = tmp_path / "stack.yaml"
    definition.write_text(
        DEFINITION.replace("{source: env, name: DEMO_SLACK_TOKEN}", "xoxb-123-secret")
    )
    result = CliRunner().invoke(app, ["stack", "validate", str(definition)])
    assert result.exit_code == 2
    assert "token" in result.output
