"""``stack validate`` refuses whatever preview would refuse, sibling requirements included."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from provisioner.cli.app import app
from provisioner.spec.loader import builtin_recipes

runner = CliRunner()


def run(*args: str, code: int = 0):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    return result


def _aws_recipe(tmp_path, keep: set[str] | None = None, drop: set[str] = frozenset()) -> str:
    data = yaml.safe_load(builtin_recipes()["aws-recipe"].read_text())
    data["components"] = {
        k: v for k, v in data["components"].items() if (keep is None or k in keep) and k not in drop
    }
    path = tmp_path / "stack.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


#: case -> (what to keep or drop of aws-recipe, the field, the message)
CASES = {
    "without-artifact-store": (
        {"drop": {"artifact_store"}},
        "components.orchestrator",
        "needs an artifact_store of flavor 's3'",
    ),
    "without-container-registry": (
        {"drop": {"container_registry"}},
        "components.image_builder",
        "needs a container_registry of flavor 'ecr'",
    ),
    "lone-model-registry": (
        {"keep": {"model_registry"}},
        "components.model_registry",
        "needs an artifact_store of flavor 's3'",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_validate_refuses_a_stack_missing_a_sibling_like_preview_does(tmp_path, case):
    selection, field, message = CASES[case]
    path = _aws_recipe(tmp_path, **selection)
    validate = run("stack", "validate", path, code=2)
    flat = " ".join(validate.stderr.split())
    assert "Traceback" not in validate.stderr
    assert field in flat and message in flat, flat
    preview = run("stack", "preview", path, code=2)
    assert message in " ".join(preview.stderr.split())
    errors = json.loads(run("stack", "validate", path, "--json", code=2).stdout)[0]["errors"]
    assert any(e["field"] == field and message in e["message"] for e in errors)


def test_the_full_aws_recipe_validates():
    assert json.loads(run("stack", "validate", "aws-recipe", "--json").stdout)[0]["valid"]


def _folder(tmp_path):
    folder = tmp_path / "defs"
    folder.mkdir()
    good = builtin_recipes()["local-recipe"].read_text()
    (folder / "a-good.yaml").write_text(good)
    (folder / "b-bad.yml").write_text(good.replace("max_workers: 4", "max_workers: many"))
    (folder / "c-good.yml").write_text(good.replace("name: local", "name: other"))
    (folder / "notes.txt").write_text("not a definition")
    return folder


def test_validate_all_checks_every_definition_in_a_folder_one_line_each(tmp_path):
    folder = _folder(tmp_path)
    result = run("stack", "validate", "--all", str(folder), code=2)
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        f"✓ {folder / 'a-good.yaml'}",
        f"✗ {folder / 'b-bad.yml'}",
        f"✓ {folder / 'c-good.yml'}",
    ], result.stdout
    assert "components.orchestrator.config.max_workers" in result.stderr
    (folder / "b-bad.yml").unlink()
    assert len(run("stack", "validate", "--all", str(folder)).stdout.splitlines()) == 2


def test_validate_all_json(tmp_path):
    folder = _folder(tmp_path)
    reports = json.loads(run("stack", "validate", "--all", str(folder), "--json", code=2).stdout)
    assert [(r["ref"].rsplit("/", 1)[1], r["valid"]) for r in reports] == [
        ("a-good.yaml", True),
        ("b-bad.yml", False),
        ("c-good.yml", True),
    ]


def test_validate_all_refuses_a_missing_or_empty_folder(tmp_path):
    assert "not a folder" in run("stack", "validate", "--all", str(tmp_path / "x"), code=2).stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no .yaml or .yml" in run("stack", "validate", "--all", str(empty), code=2).stderr
    assert "--all DIR" in run("stack", "validate", code=2).stderr


def test_validate_refuses_a_kubernetes_deployer_outside_the_orchestrators_namespace(tmp_path):
    data = yaml.safe_load(builtin_recipes()["aws-recipe"].read_text())
    data["components"]["model_deployer"] = {
        "flavor": "kubernetes",
        "config": {"namespace": "serving"},
    }
    path = tmp_path / "stack.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))

    validate = run("stack", "validate", str(path), code=2)
    flat = " ".join(validate.stderr.split())
    assert "Traceback" not in validate.stderr
    assert "components.model_deployer.config.namespace" in flat, flat
    assert "'provisioner'" in flat and "'serving'" in flat
    (error,) = json.loads(run("stack", "validate", str(path), "--json", code=2).stdout)[0]["errors"]
    assert error["field"] == "components.model_deployer.config.namespace"
    assert error["line"] is not None  # the YAML line of the namespace
    # the orchestrator's own namespace, or none, is fine
    data["components"]["model_deployer"]["config"] = {"namespace": "provisioner"}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert json.loads(run("stack", "validate", str(path), "--json").stdout)[0]["valid"]
