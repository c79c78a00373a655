"""The data example end to end: a stack with an evidently validator and a feast feature store
deployed by the embedded engine, the example pipeline run on its stack config, the reports
and features read back with the CLI, and the stack destroyed."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from provisioner.cli.app import app
from provisioner.runtime import RunClient, Status
from provisioner.spec.loader import builtin_recipes

pytestmark = pytest.mark.slow

runner = CliRunner()


def cli(*args: str, code: int = 0):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    return result


def test_deploy_run_inspect_destroy(provisioner_home, tmp_path, label_studio_server, monkeypatch):
    from examples.data_pipeline import ride_quality

    data = yaml.safe_load(builtin_recipes()["local-recipe"].read_text())
    data["name"] = "data-demo"
    data["components"]["artifact_store"]["config"] = {"force_destroy": True}
    data["components"]["data_validator"] = {"flavor": "evidently"}
    data["components"]["feature_store"] = {"flavor": "feast", "config": {"force_destroy": True}}
    definition = tmp_path / "data-demo.yaml"
    definition.write_text(yaml.safe_dump(data))
    cli("stack", "deploy", str(definition), "--yes")
    config = provisioner_home / "stacks" / "data-demo" / "stack-config.yaml"
    written = yaml.safe_load(config.read_text())["components"]
    assert written["data_validator"] == {
        "flavor": "evidently",
        "config": {"drift_share": 0.5, "max_failure_cases": 100},
    }
    assert written["feature_store"]["config"]["online_store"]["type"] == "sqlite"

    run = ride_quality.run("data-demo", parameters={"shift": 2.5})
    assert run.status is Status.COMPLETED, run.error
    client = RunClient("data-demo")
    drift = client.load_output(run.run_id, "detect_drift", "drift")
    assert drift["drift_detected"] and "distance_km" in drift["drifted_columns"]
    assert client.load_output(run.run_id, "train")["accuracy"] > 0.6
    unsure = client.load_output(run.run_id, "serve_batch")
    assert unsure and all(abs(item["p_late"] - 0.5) < 0.15 for item in unsure)
    assert client.load_output(run.run_id, "send_to_annotator") == {
        "items": len(unsure),
        "annotator": False,
    }
    report = client.load_output(run.run_id, "check_orders", "validation_report")
    assert report["passed"] and report["rows"] == 200

    listed = json.loads(cli("feature", "list", "--stack", "data-demo", "--json").stdout)
    assert [v["name"] for v in listed] == ["driver_stats"]
    html = tmp_path / "drift.html"
    cli("run", "output", run.run_id, "detect_drift", "report", "-o", str(html), "-s", "data-demo")
    assert html.stat().st_size > 100_000

    bad = ride_quality.run("data-demo", parameters={"bad_rows": 3}, raise_on_failure=False)
    failed = bad.steps["check_orders"]
    assert failed.status is Status.FAILED
    assert "distance_km: in_range(0, 200): 3 x [-1.0, -1.0, -1.0] (rows 0, 1, 2)" in (
        failed.error.message
    )
    assert bad.steps["detect_drift"].status is Status.SKIPPED

    # The same stack with an annotator: the uncertain predictions become labelling tasks.
    with_annotator = yaml.safe_load(config.read_text())
    with_annotator["components"]["annotator"] = {
        "flavor": "label_studio",
        "config": {"url": label_studio_server["url"], "token_env": "DEMO_LABEL_STUDIO_TOKEN"},
    }
    monkeypatch.setenv("DEMO_LABEL_STUDIO_TOKEN", label_studio_server["credentials"]["token"])
    annotated_config = tmp_path / "with-annotator.yaml"
    annotated_config.write_text(yaml.safe_dump(with_annotator))
    labelled = ride_quality.run(str(annotated_config), parameters={"shift": 2.5})
    sent = RunClient(str(annotated_config)).load_output(labelled.run_id, "send_to_annotator")
    assert sent["annotator"] and sent["imported"] == sent["items"] == len(unsure)
    from provisioner.runtime import connect

    annotator = connect(annotated_config).annotator
    project = annotator.get_project("late-rides")
    assert sent["url"] == annotator.url(project)
    exported = annotator.export(project)
    assert len(exported.tasks) == len(unsure)

    cli("stack", "destroy", "data-demo", "--yes")
    assert not (provisioner_home / "feature_store" / "data-demo").exists()
    assert not (provisioner_home / "artifacts" / "data-demo").exists()
