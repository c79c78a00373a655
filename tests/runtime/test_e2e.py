"""End to end: the example pipeline on every backend, from a stack config file, via the CLI."""

from __future__ import annotations

import json
import os

import pytest

from provisioner.runtime import RunClient, load_output
from tests.runtime.cli_helpers import invoke

pytestmark = pytest.mark.slow


def test_example_pipeline_on_each_backend_from_a_stack_config_file(stack, tmp_path, monkeypatch):
    config_file = tmp_path / "handed-over" / "stack-config.yaml"
    stack.write(config_file)
    text = config_file.read_text()
    for secret_var in ("PROVISIONER_TEST_AZURE_CONNECTION_STRING", "AWS_SECRET_ACCESS_KEY"):
        if os.environ.get(secret_var):
            assert os.environ[secret_var] not in text
    monkeypatch.chdir(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))

    first = invoke(
        "pipeline",
        "run",
        "examples/train_pipeline.py:training",
        "--stack",
        str(config_file),
        "-p",
        "n_samples=300",
        "-p",
        "epochs=50",
    )
    assert first.exit_code == 0, first.stderr
    for name in ("load_data", "split", "train", "evaluate", "baseline", "report", "completed"):
        assert name in first.stdout

    second = invoke(
        "pipeline",
        "run",
        "examples.train_pipeline:training",
        "--stack",
        str(config_file),
        "-p",
        "n_samples=300",
        "-p",
        "epochs=50",
        "--json",
    )
    assert second.exit_code == 0, second.stderr
    record = json.loads(second.stdout)
    assert record["status"] == "completed"
    cached = {n for n, s in record["steps"].items() if s["status"] == "cached"}
    assert cached == {"load_data", "split", "train", "evaluate", "baseline"}

    listed = json.loads(invoke("run", "list", "--stack", str(config_file), "--json").stdout)
    assert [r["run_id"] for r in listed] == [record["run_id"], listed[1]["run_id"]]
    shown = json.loads(
        invoke("run", "show", record["run_id"], "--stack", str(config_file), "--json").stdout
    )
    assert shown["steps"]["train"]["outputs"]["output"].startswith(
        stack.components["artifact_store"].config["uri"]
    )

    report = load_output(str(config_file), record["run_id"], "report")
    assert report["run"] == record["run_id"] and report["accuracy"] > 0.8
    x_train = RunClient(str(config_file)).load_output(listed[1]["run_id"], "split", "x_train")
    assert x_train.shape == (240, 4)

    text_show = invoke("run", "show", record["run_id"], "--stack", str(config_file))
    assert "  baseline.output = 0." in text_show.stdout  # a small JSON value, inline
    assert "  split.x_train  " in text_show.stdout  # an array: its URI only
    shown_report = invoke("run", "output", record["run_id"], "report", "--stack", str(config_file))
    assert json.loads(shown_report.stdout) == report
    array = invoke(
        "run", "output", listed[1]["run_id"], "split", "x_train", "--stack", str(config_file)
    )
    assert array.stdout.startswith("numpy.ndarray shape=(240, 4) dtype=float64")
