"""The aws-recipe without the Pulumi CLI: the offline plan works, a deploy fails fast and clearly."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from typer.testing import CliRunner

from provisioner.cli.app import app

runner = CliRunner()


def test_preview_without_cli_prints_the_offline_plan_and_stack_config(monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no pulumi anywhere
    result = runner.invoke(app, ["stack", "preview", "aws-recipe"])
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "offline plan" in text
    for fragment in (
        "aws:s3/bucket:Bucket",
        "aws:ecr/repository:Repository",
        "aws:eks/cluster:Cluster",
        "Stack config a deploy would write",
        "(known after apply)",
    ):
        assert fragment in text, fragment


def test_preview_json_is_valid_and_complete(monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    result = runner.invoke(app, ["stack", "preview", "aws-recipe", "--json"])
    assert result.exit_code == 0
    plan = json.loads(result.stdout)
    assert plan["offline"] and plan["summary"]["create"] == len(plan["steps"]) > 30
    types = {s["type"] for s in plan["steps"]}
    assert {"aws:s3/bucket:Bucket", "aws:iam/role:Role", "aws:eks/nodeGroup:NodeGroup"} <= types
    comps = plan["stack_config"]["components"]
    assert {"artifact_store", "container_registry", "orchestrator", "alerter"} <= set(comps)
    assert comps["container_registry"]["config"]["uri"] == {"$unknown": True}
    # The bucket's explicit name holds the caller's account, a placeholder offline.
    assert comps["artifact_store"]["config"]["uri"] == (
        "s3://aws-artifact-store-123456789012-eu-west-1/artifacts"
    )
    assert any("getCallerIdentity" in n for n in plan["notes"]), plan["notes"]
    assert any("placeholder" in n for n in plan["notes"]), (
        "the plan says which data sources it answered"
    )


def test_offline_plan_lists_what_a_pipeline_run_needs_and_auth_names_the_user_role(monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    result = runner.invoke(app, ["stack", "preview", "aws-recipe", "--offline", "--json"])
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    steps = {(s["type"], s["name"]) for s in plan["steps"]}
    for wanted in (
        ("kubernetes:core/v1:Namespace", "aws-orchestrator-namespace"),
        ("kubernetes:core/v1:ServiceAccount", "aws-orchestrator-service-account"),
        ("kubernetes:rbac.authorization.k8s.io/v1:Role", "aws-orchestrator-runner-role"),
        ("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "aws-orchestrator-runner-binding"),
        ("aws:eks/accessEntry:AccessEntry", "aws-orchestrator-user-access"),
        ("aws:iam/role:Role", "aws-orchestrator-user-role"),
    ):
        assert wanted in steps, wanted
    auth = plan["stack_config"]["auth"]
    assert auth["method"] == "aws-role" and auth["aws_role_arn"] == {"$unknown": True}


def test_deploy_without_cli_fails_fast_with_one_paragraph(provisioner_home):
    env = {**os.environ, "PATH": "/usr/bin:/bin", "PROVISIONER_HOME": str(provisioner_home)}
    out = subprocess.run(
        [sys.executable, "-m", "provisioner", "stack", "deploy", "aws-recipe", "--yes"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "Pulumi CLI" in out.stderr and "--install-pulumi" in out.stderr
    assert not (provisioner_home / "stacks" / "aws" / "stack-config.yaml").exists()


def test_json_plan_is_identical_on_every_run(monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    first = runner.invoke(app, ["stack", "preview", "aws-recipe", "--json"]).stdout
    second = runner.invoke(app, ["stack", "preview", "aws-recipe", "--json"]).stdout
    assert first == second, "CI diffs plans: the order must not depend on thread timing"
