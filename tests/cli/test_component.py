"""``provisioner component list``."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from provisioner.cli.app import app

runner = CliRunner()


def test_component_list_shows_all_types_and_flavors_per_cloud():
    result = runner.invoke(app, ["component", "list", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert len(rows) == 12
    by_type = {r["type"]: r for r in rows}
    assert by_type["artifact_store"]["flavors"]["local"] == ["local"]
    assert set(by_type["orchestrator"]["flavors"]) == {"local", "aws", "gcp", "azure"}
    table = runner.invoke(app, ["component", "list"])
    assert table.exit_code == 0 and "feature_store" in table.stdout


def test_component_list_one_cloud():
    rows = json.loads(
        runner.invoke(app, ["component", "list", "--cloud", "local", "--json"]).stdout
    )
    assert all(set(r["flavors"]) == {"local"} for r in rows)
