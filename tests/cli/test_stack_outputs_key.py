"""``stack outputs REF KEY [--raw]``: one value, for ``$(...)`` in scripts."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from provisioner.cli.app import app

runner = CliRunner()


def run(*args: str, code: int = 0):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture
def deployed():
    run("stack", "deploy", "local-recipe", "--yes")
    return json.loads(run("stack", "outputs", "local", "--json").stdout)


def test_one_output_as_json_and_raw(deployed):
    flavor = run("stack", "outputs", "local", "components.artifact_store.flavor")
    assert flavor.stdout == '"local"\n'
    raw = run("stack", "outputs", "local", "components.artifact_store.flavor", "--raw")
    assert raw.stdout == "local\n"
    whole = run("stack", "outputs", "local", "components")
    assert json.loads(whole.stdout) == deployed["components"]


def test_raw_works_in_a_shell_substitution(deployed, provisioner_home):
    script = (
        f'flavor="$("{sys.executable}" -m provisioner stack outputs local '
        'components.orchestrator.flavor --raw)" && test "$flavor" = local && echo ok'
    )
    done = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout == "ok\n", done.stderr


def test_an_unknown_key_is_exit_2_naming_the_known_keys(deployed):
    result = run("stack", "outputs", "local", "nosuch", code=2)
    flat = " ".join(result.stderr.split())
    assert "no output 'nosuch'" in flat and ", ".join(sorted(deployed)) in flat, flat
    nested = run("stack", "outputs", "local", "components.nosuch", code=2)
    assert "has no key 'nosuch'; its keys: artifact_store, orchestrator" in nested.stderr


def test_raw_refuses_a_map_and_needs_a_key(deployed):
    assert "--raw prints only strings" in run(
        "stack", "outputs", "local", "components", "--raw", code=2
    ).stderr.replace("\n", " ")
    assert "give its KEY" in run("stack", "outputs", "local", "--raw", code=2).stderr
