"""``${VAR}`` / ``${VAR:-default}`` in definition values, seen through ``stack validate``."""

from __future__ import annotations

import json
import textwrap

from typer.testing import CliRunner

from provisioner.cli.app import app

runner = CliRunner()

DEFINITION = """\
name: ${STACK_NAME}
cloud: local
description: "made by ${OWNER:-nobody}"
components:
  orchestrator:
    flavor: local
    config:
      max_workers: ${WORKERS:-2}
  artifact_store:
    flavor: local
"""


def validate(tmp_path, text: str, env: dict[str, str], code: int, *flags: str):
    path = tmp_path / "stack.yaml"
    path.write_text(textwrap.dedent(text))
    result = runner.invoke(app, ["stack", "validate", str(path), *(flags or ["--json"])], env=env)
    assert result.exit_code == code, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    return path, result


def test_values_come_from_the_environment_with_types_of_unquoted_values(tmp_path):
    _, result = validate(tmp_path, DEFINITION, {"STACK_NAME": "team-a", "WORKERS": "8"}, 0)
    [report] = json.loads(result.stdout)
    assert report["valid"] and report["name"] == "team-a"


def test_a_default_applies_when_the_variable_is_unset_or_empty(tmp_path):
    text = DEFINITION.replace("${STACK_NAME}", "${STACK_NAME:-fallback}")
    _, result = validate(tmp_path, text, {"STACK_NAME": ""}, 0)
    assert json.loads(result.stdout)[0]["name"] == "fallback"


def test_a_missing_variable_is_exit_2_naming_it_the_file_and_the_line(tmp_path, monkeypatch):
    monkeypatch.delenv("STACK_NAME", raising=False)
    path, result = validate(tmp_path, DEFINITION, {}, 2, "--all", str(tmp_path))
    flat = " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert f"{path}:1: field 'name'" in flat and "STACK_NAME" in flat and "not set" in flat, flat
    path, result = validate(tmp_path, DEFINITION, {}, 2)
    error = json.loads(result.stdout)[0]["errors"][0]
    assert error["field"] == "name" and error["line"] == 1


def test_every_missing_variable_is_reported_with_its_own_line(tmp_path, monkeypatch):
    for var in ("STACK_NAME", "A", "B"):
        monkeypatch.delenv(var, raising=False)
    text = DEFINITION.replace("made by ${OWNER:-nobody}", "${A}").replace("${WORKERS:-2}", "${B}")
    _, result = validate(tmp_path, text, {}, 2)
    errors = json.loads(result.stdout)[0]["errors"]
    assert [(e["field"], e["line"]) for e in errors] == [
        ("name", 1),
        ("description", 3),
        ("components.orchestrator.config.max_workers", 8),
    ]


def test_keys_are_never_interpolated(tmp_path):
    text = DEFINITION.replace("max_workers: ${WORKERS:-2}", "${KEY}: 2")
    _, result = validate(tmp_path, text, {"STACK_NAME": "s1", "KEY": "max_workers"}, 2)
    error = json.loads(result.stdout)[0]["errors"][0]
    assert error["field"] == "components.orchestrator.config.${KEY}"


def test_double_dollar_writes_a_literal_reference(tmp_path):
    _, result = validate(tmp_path, 'name: "$${STACK_NAME}"\n' + DEFINITION.split("\n", 1)[1], {}, 2)
    message = json.loads(result.stdout)[0]["errors"][0]["message"]
    assert "got '${STACK_NAME}'" in message, message


def test_substituted_text_is_never_evaluated_or_substituted_again(tmp_path):
    env = {"STACK_NAME": "$(touch pwned) ${OTHER}", "OTHER": "x"}
    _, result = validate(tmp_path, DEFINITION, env, 2)
    errors = {e["field"]: e["message"] for e in json.loads(result.stdout)[0]["errors"]}
    assert "$(touch pwned) ${OTHER}" in errors["name"]
    assert not (tmp_path / "pwned").exists()
    _, result = validate(tmp_path, DEFINITION, {"STACK_NAME": "s1", "WORKERS": "[1, 2]"}, 2)
    errors = {e["field"]: e["message"] for e in json.loads(result.stdout)[0]["errors"]}
    assert "'[1, 2]'" in errors["components.orchestrator.config.max_workers"], errors


def test_a_malformed_reference_is_exit_2(tmp_path):
    text = DEFINITION.replace("${STACK_NAME}", "${1BAD}")
    _, result = validate(tmp_path, text, {}, 2)
    assert "malformed reference" in json.loads(result.stdout)[0]["errors"][0]["message"]


def test_a_stack_config_file_is_taken_as_it_is(tmp_path, monkeypatch):
    from tests.runtime.conftest import make_stack

    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    path = tmp_path / "stack-config.yaml"
    make_stack("local", root=tmp_path).write(path)
    text = path.read_text()
    path.write_text(text.replace(str(tmp_path), str(tmp_path) + "/${NOT_SET_ANYWHERE}", 1))
    result = runner.invoke(app, ["stack", "describe", str(path), "--json"])
    assert result.exit_code == 0, result.stderr
    assert "/${NOT_SET_ANYWHERE}" in result.stdout
