"""The mlflow model registry against a real MLflow server: models stored as content-hashed
artifacts, versions and aliases in MLflow, loaded back; the ``model`` CLI."""

from __future__ import annotations

import pytest

from provisioner.errors import NotFoundError, UserInputError
from provisioner.runtime import connect, get_step_context, pipeline, run_pipeline, step
from provisioner.runtime.artifacts import hash_from_uri
from tests.runtime.mlflow.conftest import cli, cli_json

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # a real server starts in the first


def _iris_model(c: float):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    x, y = load_iris(return_X_y=True)
    return LogisticRegression(C=c, max_iter=300).fit(x, y), x, y


@step
def train_and_register(name: str, c: float) -> str:
    model, x, y = _iris_model(c)
    version = get_step_context().model_registry.register(
        name, model, metadata={"accuracy": round(model.score(x, y), 4), "C": c}
    )
    return version.version


@pipeline
def training(name: str, c: float = 1.0):
    train_and_register(name=name, c=c)


def test_register_in_a_step_then_list_get_alias_and_load(stack, client, tmp_path):
    name = f"iris-{tmp_path.name[-12:]}"
    run = run_pipeline(training, stack, parameters={"name": name, "c": 1.0})
    run_pipeline(training, stack, parameters={"name": name, "c": 0.01})
    registry = connect(stack).model_registry

    versions = registry.list_versions(name)
    assert [v.version for v in versions] == ["2", "1"]
    first = registry.get(name, version=1)
    assert first.metadata["C"] == "1.0" and float(first.metadata["accuracy"]) > 0.9
    # the model is a provisioner artifact in the stack's store, content-hashed
    assert first.uri.startswith(stack.component("artifact_store").config["uri"])
    assert hash_from_uri(first.uri) == first.artifact_hash
    # MLflow holds the version, linked to the step's nested run and the artifact
    mv = client.get_model_version(name, "1")
    assert mv.source == f"provisioner-file://{first.uri}"
    assert mv.tags["provisioner.run_id"] == run.run_id
    step_run = client.get_run(mv.run_id)
    assert step_run.data.tags["mlflow.parentRunId"] == run.tracking["run_id"]

    registry.set_alias(name, 1, "champion")
    assert registry.get(name, alias="champion").version == "1"
    registry.set_alias(name, 2, "champion")  # an alias moves
    assert registry.get(name, alias="champion").aliases == ("champion",)
    assert registry.get(name).version == "2"  # neither: the latest

    model = registry.load(name, alias="champion")
    expected, x, _ = _iris_model(0.01)
    assert (model.predict(x) == expected.predict(x)).all()


def test_unknown_versions_and_aliases_are_clear_errors(stack, tmp_path):
    registry = connect(stack).model_registry
    model, _, _ = _iris_model(1.0)
    name = f"lone-{tmp_path.name[-12:]}"
    registry.register(name, model)  # outside a step works too
    with pytest.raises(NotFoundError, match="no version 7"):
        registry.get(name, version=7)
    with pytest.raises(NotFoundError, match="no alias 'nope'"):
        registry.get(name, alias="nope")
    with pytest.raises(UserInputError, match=r"cannot register a builtins\.dict"):
        registry.register(name, {"not": "a model"})


def test_model_cli_lists_and_shows(stack, tmp_path):
    registry = connect(stack).model_registry
    name = f"cli-{tmp_path.name[-12:]}"
    model, _, _ = _iris_model(1.0)
    registry.register(name, model, metadata={"team": "a"})
    registry.set_alias(name, 1, "prod")
    config = tmp_path / "stack.yaml"
    stack.write(config)

    listed = {m["name"]: m for m in cli_json("model", "list", "--stack", str(config))}
    assert listed[name] == {"name": name, "versions": 1, "latest": "1", "aliases": {"prod": "1"}}
    versions = cli_json("model", "versions", name, "--stack", str(config))
    assert [v["version"] for v in versions] == ["1"]
    shown = cli_json("model", "show", name, "--alias", "prod", "--stack", str(config))
    assert shown["metadata"] == {"team": "a"} and shown["aliases"] == ["prod"]
    text = cli("model", "versions", name, "--stack", str(config))
    assert text.exit_code == 0 and "prod" in text.stdout
    missing = cli("model", "show", name, "--version", "9", "--stack", str(config))
    assert missing.exit_code != 0 and "no version 9" in missing.stderr
    assert "Traceback" not in missing.stderr
