"""The CLI's diff view and progress display consume Pulumi engine events replayed by the double."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from provisioner.cli import render
from provisioner.cli.progress import ProgressDisplay
from provisioner.engines.pulumi.engine import PulumiEngine
from provisioner.errors import OperationError


def _console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=200, color_system=None), buf


def test_update_renders_as_a_terraform_style_diff(cli, aws_stack):
    cli.script("preview", "update")
    plan = PulumiEngine(pulumi_command=cli).preview(aws_stack)
    console, buf = _console()
    render.render_plan(console, plan)
    text = buf.getvalue()
    assert "forceDestroy: false → true" in text
    assert 'tags["cost.center"]: "ml-1" → "ml-2"' in text
    assert '+ tags.env: "prod"' in text
    assert 'tags["team\\ml"]: "nlp" → "vision"' in text  # the path as the CLI writes it
    assert "[secret] → [secret]" in text
    assert "0 to create, 2 to update, 0 to replace, 0 to delete" in text


def test_replace_renders_its_reason(cli, aws_stack):
    cli.script("preview", "replace")
    plan = PulumiEngine(pulumi_command=cli).preview(aws_stack)
    console, buf = _console()
    render.render_plan(console, plan)
    text = buf.getvalue()
    assert "-/+" in text and "replace because of: bucket" in text and "(forces replacement)" in text


def test_up_progress_shows_each_resource_and_the_failure(cli, aws_stack):
    cli.script("up", "create")
    console, buf = _console()
    with ProgressDisplay(console, "deploy") as progress:
        PulumiEngine(pulumi_command=cli).up(aws_stack, progress)
    out = buf.getvalue()
    assert "created" in out and "dev-artifact-store" in out

    cli.script("up", "failed", code=255)
    console, buf = _console()
    with pytest.raises(OperationError), ProgressDisplay(console, "deploy") as progress:
        PulumiEngine(pulumi_command=cli).up(aws_stack, progress)
    assert "failed" in buf.getvalue()
