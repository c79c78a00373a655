"""Offline previews of a stack deployed with Pulumi: the plan diffs against Pulumi's state.

The fixture is the ``file://`` backend checkpoint the Pulumi engine keeps for the stack below
(aws artifact store and container registry, with the default aws provider), placed where the
engine keeps it in the provisioner home.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provisioner import operations
from provisioner.cli.app import app
from provisioner.engines import select

FIXTURE = Path(__file__).parent / "fixtures" / "pulumi" / "aws-dev.json"

DEFINITION = """\
name: dev
cloud: aws
region: eu-west-1
tags:
  env: {env}
components:
  artifact_store:
    flavor: s3
    config:
      versioning: true
{registry}"""

REGISTRY = """\
  container_registry:
    flavor: ecr
"""

REGISTRY_STEPS = {
    "dev-container-registry",
    "dev-container-registry-repository",
    "dev-container-registry-lifecycle",
}


@pytest.fixture
def pulumi_state(provisioner_home: Path) -> Path:
    """The Pulumi engine's checkpoint of stack ``dev`` in its default backend."""
    path = provisioner_home / "pulumi" / "state" / ".pulumi" / "stacks" / "provisioner" / "dev.json"
    path.parent.mkdir(parents=True)
    shutil.copy(FIXTURE, path)
    return path


def definition(tmp_path: Path, env: str = "dev", registry: bool = True) -> str:
    path = tmp_path / "dev.yaml"
    path.write_text(DEFINITION.format(env=env, registry=REGISTRY if registry else ""))
    return str(path)


def preview_json(*args: str) -> dict:
    result = CliRunner().invoke(app, ["stack", "preview", *args, "--offline", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_unchanged_stack_previews_as_no_changes(tmp_path, pulumi_state):
    plan = preview_json(definition(tmp_path))

    assert plan["engine"] == "embedded" and plan["offline"]
    assert not plan["changes"]
    assert {s["op"] for s in plan["steps"]} == {"same"}
    assert len(plan["steps"]) == 10  # 2 components, 8 resources (the root stack is not listed)
    assert f"the plan is diffed against the Pulumi state at {pulumi_state}" in plan["notes"]
    # Values Pulumi recorded flow through: the stack config a deploy would write is known.
    connection = plan["stack_config"]["components"]["artifact_store"]["config"]
    assert connection["uri"] == "s3://dev-artifact-store-123456789012-eu-west-1/artifacts"


def test_changed_tag_updates_exactly_that_property(tmp_path, pulumi_state):
    plan = preview_json(definition(tmp_path, env="prod"))

    changed = {s["name"]: s for s in plan["steps"] if s["op"] != "same"}
    assert set(changed) == {"dev-artifact-store-bucket", "dev-container-registry-repository"}
    for step in changed.values():
        assert step["op"] == "update"
        assert step["diffs"] == [
            {"path": "tags.env", "kind": "update", "old": "dev", "new": "prod", "replaces": False}
        ]
    assert plan["summary"]["update"] == 2


def test_removed_component_is_deleted(tmp_path, pulumi_state):
    plan = preview_json(definition(tmp_path, registry=False))

    deletes = [s["name"] for s in plan["steps"] if s["op"] == "delete"]
    assert set(deletes) == REGISTRY_STEPS
    assert deletes[-1] == "dev-container-registry"
    assert {s["op"] for s in plan["steps"] if s["name"] not in REGISTRY_STEPS} == {"same"}


def test_human_plan_shows_the_diff_and_where_it_comes_from(tmp_path, pulumi_state):
    result = CliRunner().invoke(
        app,
        ["stack", "preview", definition(tmp_path, env="prod"), "--offline"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert 'tags.env: "dev" → "prod"' in out
    assert "2 to update" in out and "8 unchanged" in out
    assert f"diffed against the Pulumi state at {pulumi_state}" in out


def test_fallback_without_the_cli_uses_the_pulumi_state(tmp_path, pulumi_state, monkeypatch):
    monkeypatch.setattr(select, "pulumi_cli_available", lambda: False)
    result = operations.preview(definition(tmp_path, env="prod"))

    assert result.engine == "embedded"
    assert any("Pulumi CLI is not installed" in n for n in result.notes)
    assert f"the plan is diffed against the Pulumi state at {pulumi_state}" in result.notes
    updates = {s.name for s in result.plan.steps if s.op == "update"}
    assert updates == {"dev-container-registry-repository", "dev-artifact-store-bucket"}


def test_without_pulumi_state_everything_is_created(tmp_path):
    plan = preview_json(definition(tmp_path))

    assert {s["op"] for s in plan["steps"]} == {"create"}
    assert not any("Pulumi state" in n for n in plan["notes"])
