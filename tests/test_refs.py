"""A file in the current folder never stands in for a deployed stack of the same name."""

from __future__ import annotations

import warnings

import pytest
from typer.testing import CliRunner

from provisioner import home
from provisioner.cli.app import app
from provisioner.errors import NotFoundError
from provisioner.operations import ref_kind
from provisioner.stackconfig import load_stack_config
from tests.runtime.cli_helpers import invoke
from tests.runtime.conftest import make_stack


@pytest.fixture
def cloned_repo(tmp_path, monkeypatch):
    """A folder (a cloned repository) holding a stack config file named ``prod``, whose
    store is the attacker's."""
    repo = tmp_path / "repo"
    repo.mkdir()
    attacker = make_stack("local", root=tmp_path / "attacker").model_copy(update={"name": "prod"})
    attacker.write(repo / "prod")
    monkeypatch.chdir(repo)
    return attacker


def deploy_prod(tmp_path):
    real = make_stack("local", root=tmp_path / "real").model_copy(update={"name": "prod"})
    real.write(home.stack_config_path("prod"))
    return real


def test_a_bare_name_is_the_deployed_stack_and_the_file_is_named_in_a_warning(
    cloned_repo, tmp_path
):
    real = deploy_prod(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = load_stack_config("prod")
    assert loaded.components["artifact_store"].config == real.components["artifact_store"].config
    assert [type(w.message).__name__ for w in caught] == ["ShadowedFileWarning"]
    assert "write ./prod to use the file" in str(caught[0].message)

    result = CliRunner().invoke(app, ["run", "list", "--stack", "prod"])
    assert result.exit_code == 0, result.output
    assert "warning: 'prod' means the deployed stack 'prod'" in result.output


def test_a_bare_name_without_a_deployed_stack_is_not_read_from_the_file(cloned_repo):
    with pytest.raises(NotFoundError, match="no deployed stack named 'prod'") as err:
        load_stack_config("prod")
    assert "write ./prod to use it" in err.value.hint
    result = invoke("run", "list", "--stack", "prod")
    assert result.exit_code == 2 and "no deployed stack" in result.stderr


def test_paths_are_files(cloned_repo):
    from provisioner import refs

    assert load_stack_config("./prod").name == "prod"
    assert refs.is_file_ref("stack.yaml") and refs.is_file_ref("a/b")
    assert refs.is_file_ref("x.yml") and refs.is_file_ref("x.json")
    assert not refs.is_file_ref("prod") and not refs.is_file_ref("local-recipe")


def test_operations_classify_a_bare_name_as_a_stack(cloned_repo, tmp_path):
    deploy_prod(tmp_path)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert ref_kind("prod") == "name"
    assert ref_kind("./prod") == "stack-config"
