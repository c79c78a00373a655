"""The plan confirmed is the plan applied (Pulumi update plans), and refresh before planning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provisioner.engines.model import Op
from provisioner.engines.pulumi import PulumiEngine
from provisioner.errors import OperationError
from tests.engines.pulumi.replay import ReplayPulumi

BUCKET = "aws:s3/bucketV2:BucketV2"


def _flag(args, name):
    return args[args.index(name) + 1] if name in args else None


def _calls(cli, op):
    return [args for args in cli.calls if args[:1] == [op]]


def test_preview_with_refresh_reads_back_first_and_reports_drift(cli, aws_stack):
    engine = PulumiEngine(pulumi_command=cli)
    cli.script("up", "create")
    engine.up(aws_stack)
    cli.script("preview", "refresh-update-preview")

    plan = engine.preview(aws_stack, refresh=True)

    assert "--refresh" in _calls(cli, "preview")[-1]
    [drift] = plan.drift
    assert drift.type == BUCKET and drift.name == "dev-artifact-store-bucket" and not drift.gone
    assert {d.path for d in drift.diffs} >= {"tags.owner", "tagsAll.owner"}
    # The read-back is drift, not a step: the plan holds only what the update does.
    assert plan.summary() == {Op.SAME: 3, Op.UPDATE: 1}
    assert Op.REFRESH not in plan.summary()


def test_plan_and_apply_saves_an_update_plan_and_applies_exactly_it(cli, aws_stack):
    engine = PulumiEngine(pulumi_command=cli)
    cli.script("preview", "create-preview")
    cli.script("up", "create")
    seen = []

    plan = engine.plan_and_apply(aws_stack, confirm=lambda p: seen.append(p) or True)

    [preview], [up] = _calls(cli, "preview"), _calls(cli, "up")
    saved = _flag(preview, "--save-plan")
    assert saved and _flag(up, "--plan") == saved
    assert "--refresh" not in preview and "--refresh" not in up
    envs = [
        env for args, env in zip(cli.calls, cli.envs, strict=True) if args[0] in ("preview", "up")
    ]
    assert all(env.get("PULUMI_EXPERIMENTAL") == "true" for env in envs)
    assert seen[0].summary()[Op.CREATE] == 4 and plan.summary()[Op.CREATE] == 4
    assert not Path(saved).exists()  # the plan file does not outlive the deploy


def test_a_declined_plan_applies_nothing(cli, aws_stack):
    cli.script("preview", "create-preview")
    cli.script("up", "create")
    assert (
        PulumiEngine(pulumi_command=cli).plan_and_apply(aws_stack, confirm=lambda p: False) is None
    )
    assert _calls(cli, "up") == [] and cli.stacks["dev"].resources == {}


def test_a_stack_changed_after_the_plan_was_shown_is_refused(cli, aws_stack):
    engine = PulumiEngine(pulumi_command=cli)
    cli.script("preview", "create-preview")
    cli.script("up", "create")

    def someone_deploys_meanwhile(plan):
        PulumiEngine(pulumi_command=cli).up(aws_stack)  # creates what the plan would create
        return True

    with pytest.raises(OperationError) as info:
        engine.plan_and_apply(aws_stack, confirm=someone_deploys_meanwhile)
    message = str(info.value)
    assert "stack 'dev' changed since the plan was shown" in message
    assert "nothing beyond it was applied" in message and "Rerun" in info.value.hint
    [other, planned] = _calls(cli, "up")
    assert _flag(planned, "--plan") and not _flag(other, "--plan")
    assert [h["result"] for h in cli.stacks["dev"].history] == ["succeeded"]  # one update ran


def test_an_unchanged_stack_applies_its_plan_with_refresh(cli, aws_stack):
    engine = PulumiEngine(pulumi_command=cli)
    cli.script("up", "create")
    engine.up(aws_stack)
    cli.script("preview", "refresh-update-preview")
    cli.script("up", "refresh-update")

    plan = engine.plan_and_apply(aws_stack, confirm=lambda p: True, refresh=True)

    assert [d.name for d in plan.drift] == ["dev-artifact-store-bucket"]
    assert [s.name for s in plan.steps if s.op is Op.UPDATE] == ["dev-artifact-store-bucket"]


runner = CliRunner()


def _invoke(*args):
    from provisioner.cli.app import app

    return runner.invoke(app, list(args))


def test_cli_preview_and_deploy_refresh_by_default_and_show_drift(cli_app):
    double, definition = cli_app
    double.script("up", "create")
    double.script("preview", "create-preview")
    first = _invoke("stack", "deploy", definition, "--engine", "pulumi", "--yes", "--refresh=false")
    assert first.exit_code == 0, first.output

    double.script("preview", "refresh-update-preview")
    shown = _invoke("stack", "preview", definition, "--engine", "pulumi")
    assert shown.exit_code == 0, shown.output
    assert "Drift in stack dev" in shown.output
    as_json = _invoke("stack", "preview", definition, "--engine", "pulumi", "--json")
    [drift] = json.loads(as_json.stdout)["drift"]
    assert drift["name"] == "dev-artifact-store-bucket"

    double.script("up", "refresh-update")
    deployed = _invoke("stack", "deploy", definition, "--engine", "pulumi", "--yes")
    assert deployed.exit_code == 0, deployed.output
    assert "Drift in stack dev" in deployed.output
    up = _calls(double, "up")[-1]
    assert "--refresh" in up and _flag(up, "--plan")


def test_cli_deploy_refused_plan_is_a_clear_error(cli_app, monkeypatch):
    double, definition = cli_app
    double.script("up", "create")
    double.script("preview", "create-preview")
    assert _invoke("stack", "deploy", definition, "--engine", "pulumi", "--yes").exit_code == 0

    double.script("preview", "refresh-update-preview")
    double.script("up", "refresh-update")
    real_preview = ReplayPulumi._operation

    def preview_then_someone_deploys(self, op, name, args, env):
        result = real_preview(self, op, name, args, env)
        if op == "preview" and "--save-plan" in args:
            self.stacks[name].resources.popitem()  # another deploy changed the state
        return result

    monkeypatch.setattr(ReplayPulumi, "_operation", preview_then_someone_deploys)
    refused = _invoke("stack", "deploy", definition, "--engine", "pulumi", "--yes")
    assert refused.exit_code != 0
    assert "changed since the plan was shown" in refused.output
    assert "Traceback" not in refused.output
