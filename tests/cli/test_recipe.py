"""``provisioner recipe list|show|schema``."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from provisioner.cli.app import app

runner = CliRunner()


def test_recipe_list():
    rows = json.loads(runner.invoke(app, ["recipe", "list", "--json"]).stdout)
    names = {r["name"] for r in rows}
    assert "local-recipe" in names
    assert runner.invoke(app, ["recipe", "list"]).exit_code == 0


def test_recipe_show_prints_the_yaml():
    result = runner.invoke(app, ["recipe", "show", "local-recipe"])
    assert result.exit_code == 0
    assert yaml.safe_load(result.stdout)["name"] == "local"
    data = json.loads(runner.invoke(app, ["recipe", "show", "local-recipe", "--json"]).stdout)
    assert data["definition"]["cloud"] == "local"
    missing = runner.invoke(app, ["recipe", "show", "nope"])
    assert missing.exit_code == 2 and "built-in recipes" in missing.stderr


def test_recipe_schema(tmp_path):
    result = runner.invoke(app, ["recipe", "schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["title"] == "provisioner stack definition"
    out = tmp_path / "schema.json"
    assert runner.invoke(app, ["recipe", "schema", "-o", str(out)]).exit_code == 0
    assert json.loads(out.read_text())["$id"]
