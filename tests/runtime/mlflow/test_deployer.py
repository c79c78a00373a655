"""The local mlflow model deployer: real ``mlflow models serve`` processes, health-checked,
recorded in the artifact store, replaced with no gap; the ``deployment`` CLI."""

from __future__ import annotations

import json
import threading

import pytest

from provisioner.recipes.local.providers import process
from provisioner.runtime import connect, get_step_context, pipeline, run_pipeline, step
from tests.runtime.mlflow.conftest import cli, cli_json, mlflow_stack

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # a real server starts in the first

ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]


def _model(c: float):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    x, y = load_iris(return_X_y=True)
    return LogisticRegression(C=c, max_iter=300).fit(x, y)


@step
def train_register_deploy(name: str) -> list:
    ctx = get_step_context()
    version = ctx.model_registry.register(name, _model(1.0))
    deployment = ctx.model_deployer.deploy(name, version=version.version)
    assert deployment.url.startswith("http://127.0.0.1:")
    return ctx.model_deployer.predict(name, ROWS)


@pipeline
def ship(name: str):
    train_register_deploy(name=name)


@pytest.fixture
def stack(tmp_path, mlflow_service):
    deployer_stack = mlflow_stack(tmp_path, mlflow_service, deployer=True)
    yield deployer_stack
    for deployment in connect(deployer_stack).model_deployer.list():
        process.stop_process(deployment.details.get("pid"), group=True)


def test_deploy_predict_redeploy_replace_and_stop(stack, tmp_path):
    name = f"iris-{tmp_path.name[-10:]}"
    run = run_pipeline(ship, stack, parameters={"name": name})
    assert run.status == "completed"
    deployer = connect(stack).model_deployer
    first = deployer.get(name)
    assert (first.version, first.status) == ("1", "running")
    assert deployer.predict(name, ROWS) == [0, 2]

    # the same version again: a no-op, the same server
    again = deployer.deploy(name, version=1)
    assert again.details["pid"] == first.details["pid"]

    # a new version: started next to the old one, which serves until the switch
    connect(stack).model_registry.register(name, _model(0.01))
    failures: list[Exception] = []
    served = 0
    done = threading.Event()

    def keep_calling() -> None:
        nonlocal served
        while not done.is_set():
            try:
                deployer.predict(name, ROWS)
                served += 1
            except Exception as exc:  # a gap in service
                failures.append(exc)

    caller = threading.Thread(target=keep_calling)
    caller.start()
    try:
        second = deployer.deploy(name, version=2)
    finally:
        done.set()
        caller.join(30)
    assert failures == [] and served > 0
    assert second.version == "2" and second.details["pid"] != first.details["pid"]
    assert not process.pid_alive(first.details["pid"])
    assert [d.version for d in deployer.list()] == ["2"]

    # anyone with the stack config: list, predict, logs, stop
    config = tmp_path / "stack.yaml"
    stack.write(config)
    listed = cli_json("deployment", "list", "--stack", str(config))
    assert [(d["name"], d["version"], d["status"]) for d in listed] == [(name, "2", "running")]
    data = tmp_path / "rows.json"
    data.write_text(json.dumps(ROWS))
    predicted = cli_json("deployment", "predict", name, "--data", str(data), "--stack", str(config))
    assert predicted == {"predictions": deployer.predict(name, ROWS)}
    logs = cli_json("deployment", "logs", name, "--stack", str(config))
    assert "/invocations" in logs["log"] or "Uvicorn" in logs["log"]
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    refused = cli("deployment", "predict", name, "--data", str(bad), "--stack", str(config))
    assert refused.exit_code == 2 and "is not JSON" in refused.stderr
    assert cli("deployment", "stop", name, "--stack", str(config)).exit_code == 0
    assert not process.pid_alive(second.details["pid"])
    assert deployer.list() == []
