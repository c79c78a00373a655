"""``provisioner feature list``: errors are clear (the listing itself is in tests/tools)."""

from __future__ import annotations

from typer.testing import CliRunner

from provisioner.cli.app import app
from tests.runtime.conftest import make_stack


def test_a_stack_without_a_feature_store_exits_2(tmp_path):
    config = tmp_path / "stack.yaml"
    make_stack("local", root=tmp_path).write(config)
    result = CliRunner().invoke(app, ["feature", "list", "--stack", str(config), "--json"])
    assert result.exit_code == 2
    assert "has no feature_store" in result.stderr and "Traceback" not in result.output


def test_an_unknown_stack_exits_2():
    result = CliRunner().invoke(app, ["feature", "list", "--stack", "no-such-stack"])
    assert result.exit_code == 2 and "no-such-stack" in result.stderr
