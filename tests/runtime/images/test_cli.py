"""``provisioner image build`` (CliRunner), against the real registry and base image."""

from __future__ import annotations

import json

import pytest

from tests.runtime.conftest import make_stack
from tests.runtime.images.helpers import MODULE, project, with_builder

pytestmark = pytest.mark.slow


def invoke(*args: str):
    from typer.testing import CliRunner

    from provisioner.cli.app import app

    return CliRunner().invoke(app, list(args))


def test_image_build_prints_the_image_as_json_and_skips_a_pushed_one(
    tmp_path, moto_url, oci_registry, base_image
):
    root = project(tmp_path / "proj", MODULE + "\n# built by the CLI test\n", "greet_cli")
    stack = with_builder(
        make_stack("s3", root=tmp_path, endpoint=moto_url), oci_registry, base_image
    )
    stack.write(tmp_path / "stack.yaml")
    target = f"{root / 'greet_cli.py'}:greeting"

    first = invoke("image", "build", target, "--stack", str(tmp_path / "stack.yaml"), "--json")
    assert first.exit_code == 0, first.stderr
    data = json.loads(first.stdout)
    assert data["image"].startswith(f"{oci_registry}/steps:") and data["strategy"] == "append"
    assert data["pinned"] == data["image"].rsplit(":", 1)[0] + "@" + data["digest"]
    assert data["skipped"] is False
    assert "pushed" in first.stderr  # progress goes to stderr

    again = invoke("image", "build", target, "--stack", str(tmp_path / "stack.yaml"), "--json")
    assert json.loads(again.stdout)["skipped"] is True


def test_image_build_without_a_target_exits_2(tmp_path, moto_url, oci_registry):
    stack = with_builder(make_stack("s3", root=tmp_path, endpoint=moto_url), oci_registry, "x")
    stack.write(tmp_path / "stack.yaml")
    result = invoke("image", "build", "--stack", str(tmp_path / "stack.yaml"))
    assert result.exit_code == 2
    assert "--source DIR" in result.stderr and "Traceback" not in result.stderr
