"""The hand-off file: strict loading with pointed errors, stable content, usable everywhere."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from provisioner.cli.app import app

runner = CliRunner()


def run(*args: str, code: int = 0):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    return result


def exported(tmp_path):
    run("stack", "deploy", "local-recipe", "--yes")
    path = tmp_path / "stack.yaml"
    run("stack", "export", "local", "-o", str(path))
    return path


def test_describe_outputs_and_destroy_accept_the_hand_off_file(tmp_path):
    path = exported(tmp_path)
    assert json.loads(run("stack", "describe", str(path), "--json").stdout)["name"] == "local"
    assert "components" in json.loads(run("stack", "outputs", str(path), "--json").stdout)
    run("stack", "destroy", str(path), "--yes")
    assert "nothing to destroy" in run("stack", "destroy", "local", "--yes").stdout


def test_preview_of_a_hand_off_file_points_at_its_definition(tmp_path):
    path = exported(tmp_path)
    result = run("stack", "preview", str(path), code=2)
    assert "is a stack config" in result.stderr and "local-recipe" in result.stderr


def test_preview_and_validate_accept_a_deployed_stack_name():
    run("stack", "deploy", "local-recipe", "--yes")
    assert not json.loads(run("stack", "preview", "local", "--json").stdout)["changes"]
    assert json.loads(run("stack", "validate", "local", "--json").stdout)[0]["valid"]


def _broken(tmp_path, mutate):
    path = exported(tmp_path)
    data = yaml.safe_load(path.read_text())
    mutate(data)
    path.write_text(yaml.safe_dump(data))
    return path


def test_missing_and_future_schema_versions(tmp_path):
    path = _broken(tmp_path, lambda d: d.pop("schema_version"))
    result = run("stack", "describe", str(path), code=2)
    assert "invalid stack config" in result.stderr and "schema_version" in result.stderr
    assert "stack export" in result.stderr
    path.write_text(path.read_text() + "schema_version: 7\n")
    result = run("stack", "describe", str(path), code=2)
    assert "newer than this provisioner reads" in result.stderr


def test_a_secret_pasted_where_an_env_var_name_belongs_is_refused(tmp_path):
    path = _broken(tmp_path, lambda d: d["auth"].update(env={"azure_key": "AKIA/+secret=="}))
    result = run("stack", "describe", str(path), code=2)
    assert "auth.env.azure_key" in " ".join(result.stderr.split())
    assert "secret==" not in result.stderr, "a pasted secret is never echoed"


def test_truncated_file_names_file_and_line(tmp_path):
    path = exported(tmp_path)
    path.write_text(path.read_text()[:40] + "\n  - [unclosed\n")
    result = run("stack", "describe", str(path), code=2)
    assert str(path) in result.stderr and "Traceback" not in result.stderr


def test_a_deploy_with_no_changes_keeps_the_hand_off_file(provisioner_home):
    run("stack", "deploy", "local-recipe", "--yes")
    path = provisioner_home / "stacks" / "local" / "stack-config.yaml"
    before = path.read_text()
    run("stack", "deploy", "local-recipe", "--yes")
    assert path.read_text() == before
    assert list(yaml.safe_load(before)["components"]) == ["orchestrator", "artifact_store"]


def test_destroy_without_a_terminal_needs_yes():
    run("stack", "deploy", "local-recipe", "--yes")
    result = run("stack", "destroy", "local", code=2)
    assert "pass --yes" in result.stderr
    assert json.loads(run("stack", "list", "--json").stdout)[0]["status"] == "deployed"
    result = run("stack", "destroy", "local", "--json", code=2)
    assert json.loads(result.stdout)["error"]["exit_code"] == 2


def test_validate_reports_every_file_and_json_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x1\ncloud: local\ncomponents:\n  orchestrator: {flavor: nope}\n")
    result = run("stack", "validate", "local-recipe", str(bad), "--json", code=2)
    data = json.loads(result.stdout)
    assert [d["valid"] for d in data] == [True, False]
    assert data[1]["errors"][0]["field"] == "components.orchestrator.flavor"
    assert data[1]["errors"][0]["line"] == 4


def test_user_data_is_never_read_as_markup_or_emoji(tmp_path):
    folder = tmp_path / "x:x:[bold]y"
    folder.mkdir()
    definition = folder / "d.yaml"
    definition.write_text(
        "name: local\ncloud: local\ncomponents:\n  orchestrator: {flavor: local}\n"
        "  artifact_store:\n    flavor: local\n    config: {path: store}\n"
    )
    run("stack", "deploy", str(definition), "--yes")
    text = run("stack", "describe", "local").stdout
    assert "x:x:[bold]y" in text and "❌" not in text


def test_a_secret_connection_is_refused_never_written_empty():
    import pytest

    from provisioner import operations
    from provisioner.engines.embedded.engine import EmbeddedEngine
    from provisioner.engines.model import Secret
    from provisioner.errors import OperationError
    from provisioner.spec.loader import load_stack

    stack = load_stack("local-recipe")
    outputs = {"components": Secret({"artifact_store": {"flavor": "local", "connection": {}}})}
    with pytest.raises(OperationError, match="holds a secret value") as info:
        operations.build_stack_config(stack, outputs, EmbeddedEngine())
    assert "references" in info.value.hint
    draft = operations.draft_stack_config(stack, outputs, EmbeddedEngine(), recipe=None)
    assert "[secret]" in json.dumps(render_json(draft))


def render_json(data):
    from provisioner.cli.render import to_jsonable

    return to_jsonable(data)


def test_a_newer_stack_config_is_never_downgraded(provisioner_home):
    run("stack", "deploy", "local-recipe", "--yes")
    path = provisioner_home / "stacks" / "local" / "stack-config.yaml"
    path.write_text(path.read_text().replace("schema_version: 1", "schema_version: 2"))
    result = run("stack", "deploy", "local-recipe", "--yes", code=2)
    assert "newer provisioner" in result.stderr
    assert "schema_version: 2" in path.read_text()
