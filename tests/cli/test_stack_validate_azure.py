"""`stack validate` refuses Azure values Azure would refuse: exit 2, the field and value named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from provisioner.cli.app import app
from provisioner.recipes.azure.cloud_checks import ALLOW_UNLISTED_ENV
from provisioner.spec.loader import builtin_recipes

runner = CliRunner()


def azure_recipe_with(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(builtin_recipes()["azure-recipe"].read_text())
    edit(data)
    path = tmp_path / "stack.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def config(type_: str, **values):
    return lambda d: d["components"][type_].setdefault("config", {}).update(values)


@pytest.mark.parametrize(
    ("edit", "field", "named"),
    [
        (lambda d: d.update(location="westeuropa"), "'location'", "westeurope"),
        (lambda d: d.update(subscription_id="nope"), "'subscription_id'", "nope"),
        (lambda d: d.update(resource_group="bad/group"), "'resource_group'", "bad/group"),
        (lambda d: d["tags"].update({"azure-owner": "me"}), "'tags'", "reserved"),
        (lambda d: d["tags"].update({"team/ml": "c"}), "'tags'", "'/'"),
        (lambda d: d["tags"].update({"k": "v" * 257}), "'tags.k'", "256"),
        (
            config("artifact_store", account_name="My-Store"),
            "artifact_store.config.account_name",
            "3-24",
        ),
        (
            config("artifact_store", account_name="a" * 25),
            "artifact_store.config.account_name",
            "3-24",
        ),
        (
            config("container_registry", registry_name="acr-with-dash"),
            "container_registry.config.registry_name",
            "acr-with-dash",
        ),
        (
            config("container_registry", registry_name="acr"),
            "container_registry.config.registry_name",
            "5-50",
        ),
        (
            config("alerter", key_vault_name="1vault"),
            "alerter.config.key_vault_name",
            "1vault",
        ),
        (
            config("alerter", key_vault_name="v" * 25),
            "alerter.config.key_vault_name",
            "3-24",
        ),
        (config("orchestrator", kubernetes_version="1.20"), "kubernetes_version", "1.35"),
        (
            config("orchestrator", allow_public_api_from_anywhere=False),
            "orchestrator.config",
            "0.0.0.0/0",
        ),
        (config("orchestrator", sku_tier="Premium"), "sku_tier", "Premium"),
    ],
)
def test_validate_refuses_with_exit_2(tmp_path, monkeypatch, edit, field, named):
    monkeypatch.delenv(ALLOW_UNLISTED_ENV, raising=False)
    path = azure_recipe_with(tmp_path, edit)
    result = runner.invoke(app, ["stack", "validate", str(path)])
    assert result.exit_code == 2, result.stdout + result.stderr
    text = " ".join(result.stderr.split())
    assert str(path) in text and field in text and named in text, text
    assert "Traceback" not in text


def test_the_shipped_azure_recipe_validates(monkeypatch):
    monkeypatch.delenv(ALLOW_UNLISTED_ENV, raising=False)
    result = runner.invoke(app, ["stack", "validate", "azure-recipe"])
    assert result.exit_code == 0, result.stderr


def test_a_newer_location_passes_when_allowed(tmp_path, monkeypatch):
    monkeypatch.setenv(ALLOW_UNLISTED_ENV, "1")
    path = azure_recipe_with(tmp_path, lambda d: d.update(location="marsnorth"))
    assert runner.invoke(app, ["stack", "validate", str(path)]).exit_code == 0
