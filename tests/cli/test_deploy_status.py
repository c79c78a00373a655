"""A deploy that fails records the stack as ``failed``; the fixed rerun records ``deployed``."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from provisioner.cli.app import app
from provisioner.spec.loader import builtin_recipes

runner = CliRunner()


def _status(name: str) -> str:
    result = runner.invoke(app, ["stack", "list", "--json"])
    assert result.exit_code == 0, result.stderr
    (record,) = [r for r in json.loads(result.stdout) if r["name"] == name]
    return record["status"]


def test_a_failed_deploy_is_recorded_failed_and_a_fixed_rerun_deployed(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the artifact store should go")
    data = yaml.safe_load(builtin_recipes()["local-recipe"].read_text())
    data["components"]["artifact_store"]["config"] = {"path": str(blocker)}
    definition = tmp_path / "stack.yaml"
    definition.write_text(yaml.safe_dump(data))

    failed = runner.invoke(app, ["stack", "deploy", str(definition), "--yes"])

    assert failed.exit_code == 1, failed.stdout
    assert f"artifact store path {blocker} exists and is not a directory" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert _status("local") == "failed"

    blocker.unlink()
    rerun = runner.invoke(app, ["stack", "deploy", str(definition), "--yes"])
    assert rerun.exit_code == 0, rerun.stderr
    assert _status("local") == "deployed" and blocker.is_dir()
