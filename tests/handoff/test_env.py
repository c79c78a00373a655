"""The environment ``stack export --format env`` prints: references only."""

from __future__ import annotations

import subprocess

from provisioner.handoff.env import env_vars, render_env
from provisioner.stackconfig import AuthReference, ComponentConnection
from tests.runtime.conftest import make_stack


def aws_stack(tmp_path):
    stack = make_stack("s3", root=tmp_path, endpoint="http://127.0.0.1:5000")
    return stack.model_copy(
        update={
            "location": {"region": "eu-west-1"},
            "auth": AuthReference(
                method="aws-profile",
                aws_profile="ml-team",
                env={"aws_secret_access_key": "MY_SECRET_VAR"},
            ),
            "components": {
                **stack.components,
                "experiment_tracker": ComponentConnection(
                    flavor="mlflow", config={"tracking_uri": "http://127.0.0.1:5001"}
                ),
            },
        }
    )


def test_aws_stack_exports_region_profile_tracker_and_endpoint(tmp_path):
    assert env_vars(aws_stack(tmp_path), "team-stack") == {
        "PROVISIONER_STACK": "team-stack",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_PROFILE": "ml-team",
        "MLFLOW_TRACKING_URI": "http://127.0.0.1:5001",
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:5000",
    }


def test_the_output_evaluates_in_a_shell_and_names_secrets_without_values(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_SECRET_VAR", "hunter2")
    text = render_env(aws_stack(tmp_path), "it's a stack")
    assert "hunter2" not in text and "# set $MY_SECRET_VAR yourself" in text
    out = subprocess.run(
        ["sh", "-c", text + 'printf "%s|%s" "$PROVISIONER_STACK" "$AWS_PROFILE"'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out == "it's a stack|ml-team"
