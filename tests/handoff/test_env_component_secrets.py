"""``stack export --format env`` names the env vars that components' secret references read."""

from __future__ import annotations

from provisioner.handoff.env import env_json, render_env
from provisioner.stackconfig import ComponentConnection
from tests.runtime.conftest import make_stack


def test_an_alerter_token_variable_is_listed_never_its_value(tmp_path, monkeypatch):
    monkeypatch.setenv("TEAM_SLACK_TOKEN", "xoxb-secret-value")
    alerter = ComponentConnection(
        flavor="slack",
        config={"channel": "#alerts", "token": {"source": "env", "name": "TEAM_SLACK_TOKEN"}},
    )
    stack = make_stack("local", root=tmp_path, extra={"alerter": alerter})
    assert env_json(stack, "stack.yaml")["secrets_to_set"] == {
        "TEAM_SLACK_TOKEN": "alerter.config.token"
    }
    text = render_env(stack, "stack.yaml")
    assert "# set $TEAM_SLACK_TOKEN yourself" in text and "xoxb-secret-value" not in text
