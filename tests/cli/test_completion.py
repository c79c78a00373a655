"""Shell completion: stack names, recipe names and run ids, through the real completion protocol."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from provisioner.cli import completion
from provisioner.cli.app import app
from provisioner.runtime import pipeline, step
from tests.runtime.conftest import make_stack

PROVISIONER = Path(sys.executable).with_name("provisioner")


def complete(*words: str, cwd: Path | None = None) -> list[str]:
    """What bash gets on Tab after ``provisioner WORDS`` (the last word is being typed)."""
    env = {
        **os.environ,
        "_PROVISIONER_COMPLETE": "complete_bash",
        "COMP_WORDS": " ".join(["provisioner", *words]),
        "COMP_CWORD": str(len(words)),
    }
    done = subprocess.run(
        [str(PROVISIONER)], env=env, capture_output=True, text=True, timeout=120, cwd=cwd
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@step
def one() -> int:
    return 1


@pipeline
def tiny():
    one()


@pytest.fixture
def runs(tmp_path):
    stack = make_stack("local", root=tmp_path)
    path = tmp_path / "stack.yaml"
    stack.write(path)
    tiny.run(stack, run_id="first-run")
    tiny.run(stack, run_id="second-run")
    return str(path)


def test_recipe_names_complete(tmp_path):
    assert complete("recipe", "show", "aws", cwd=tmp_path) == ["aws-recipe"]
    assert "local-recipe" in complete("stack", "preview", "loc", cwd=tmp_path)


def test_stack_refs_offer_deployed_stacks_recipes_and_yaml_files(tmp_path, provisioner_home):
    from typer.testing import CliRunner

    (tmp_path / "mine.yaml").write_text("name: x\n")
    (tmp_path / "notes.txt").write_text("")
    assert CliRunner().invoke(app, ["stack", "deploy", "local-recipe", "--yes"]).exit_code == 0
    offered = complete("stack", "destroy", "", cwd=tmp_path)
    recipes = sorted(r for r in offered if r.endswith("-recipe"))
    assert {"aws-recipe", "azure-recipe", "gcp-recipe", "local-recipe"} <= set(recipes)
    assert [w for w in offered if not w.endswith(".yaml")] == sorted([*recipes, "local"])
    words = complete("stack", "outputs", "", cwd=tmp_path)
    assert "mine.yaml" in words and "notes.txt" not in words
    assert complete("run", "list", "--stack", "lo", cwd=tmp_path) == ["local"]


def test_run_ids_complete_from_the_stack_given(runs, tmp_path):
    assert complete("run", "show", "--stack", runs, "fir", cwd=tmp_path) == ["first-run"]
    assert complete("run", "output", "--stack", runs, "", cwd=tmp_path) == [
        "latest",
        "first-run",
        "second-run",
    ]


def test_completion_never_fails_the_shell(tmp_path):
    missing = str(tmp_path / "nope.yaml")
    assert complete("run", "show", "--stack", missing, "", cwd=tmp_path) == ["latest"]
    assert completion.run_ids(_Ctx({"stack": missing}), "x") == []


def test_the_install_option_is_offered():
    from typer.testing import CliRunner

    assert "--install-completion" in CliRunner().invoke(app, ["--help"]).stdout


class _Ctx:
    """The part of a click context the completion functions read."""

    def __init__(self, params: dict) -> None:
        self.params = params

    def find_root(self):
        return self
