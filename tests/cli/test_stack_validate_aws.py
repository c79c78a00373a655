"""`stack validate` refuses AWS values AWS would refuse: exit 2, the field and value named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from provisioner.cli.app import app
from provisioner.recipes.aws.cloud_checks import ALLOW_UNLISTED_ENV
from provisioner.spec.loader import builtin_recipes

runner = CliRunner()


def aws_recipe_with(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(builtin_recipes()["aws-recipe"].read_text())
    edit(data)
    path = tmp_path / "stack.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def orchestrator(**values):
    return lambda d: d["components"]["orchestrator"]["config"].update(values)


@pytest.mark.parametrize(
    ("edit", "field", "named"),
    [
        (lambda d: d.update(region="eu-westt-1"), "'region'", "eu-west-1"),
        (orchestrator(instance_type="m5.gigantic"), "orchestrator.config.instance_type", "m5"),
        (orchestrator(kubernetes_version="1.12"), "kubernetes_version", "1.33"),
        (lambda d: d["tags"].update({"aws:owner": "me"}), "'tags'", "'aws:owner'"),
        (lambda d: d["tags"].update({"owner": "me|you"}), "'tags'", "'|'"),
        (
            orchestrator(allow_public_api_from_anywhere=False),
            "orchestrator.config",
            "0.0.0.0/0",
        ),
        (
            lambda d: d["components"]["artifact_store"]["config"].update(
                kms_key_arn="arn:aws:kms:eu-west-1:123456789012:alias/aws/s3"
            ),
            "kms_key_arn",
            "alias ARN",
        ),
    ],
)
def test_validate_refuses_with_exit_2(tmp_path, monkeypatch, edit, field, named):
    monkeypatch.delenv(ALLOW_UNLISTED_ENV, raising=False)
    path = aws_recipe_with(tmp_path, edit)
    result = runner.invoke(app, ["stack", "validate", str(path)])
    assert result.exit_code == 2, result.stdout + result.stderr
    text = " ".join(result.stderr.split())
    assert str(path) in text and field in text and named in text, text
    assert "Traceback" not in text


def test_the_shipped_aws_recipe_validates(monkeypatch):
    monkeypatch.delenv(ALLOW_UNLISTED_ENV, raising=False)
    result = runner.invoke(app, ["stack", "validate", "aws-recipe"])
    assert result.exit_code == 0, result.stderr
