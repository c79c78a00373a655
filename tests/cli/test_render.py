"""The plan view reads like a terraform plan; secrets are masked; progress is shown per resource."""

from __future__ import annotations

import io
import json

from rich.console import Console

from provisioner.cli import render
from provisioner.cli.progress import ProgressDisplay
from provisioner.engines.model import (
    UNKNOWN,
    DiffKind,
    EngineEvent,
    EventKind,
    Op,
    Plan,
    PropertyDiff,
    Secret,
    Step,
)

ROOT = "urn:pulumi:dev::provisioner::pulumi:pulumi:Stack::provisioner-dev"


def _plan() -> Plan:
    comp = "urn:pulumi:dev::provisioner::provisioner:aws:ArtifactStore::dev-store"
    return Plan(
        stack="dev",
        engine="embedded",
        steps=[
            Step(ROOT, "pulumi:pulumi:Stack", "provisioner-dev", Op.SAME, custom=False),
            Step(
                comp,
                "provisioner:aws:ArtifactStore",
                "dev-store",
                Op.SAME,
                custom=False,
                parent=ROOT,
            ),
            Step(
                comp + "$b",
                "aws:s3/bucket:Bucket",
                "dev-store-bucket",
                Op.CREATE,
                parent=comp,
                inputs={
                    "bucket": "b1",
                    "token": Secret("hunter2"),
                    "arn": UNKNOWN,
                    "__provider": "x",
                },
            ),
            Step(
                comp + "$v",
                "aws:s3/versioning:V",
                "dev-store-versioning",
                Op.UPDATE,
                parent=comp,
                diffs=[
                    PropertyDiff("status", DiffKind.UPDATE, "Suspended", "Enabled"),
                    PropertyDiff("password", DiffKind.UPDATE, Secret("old-pw"), Secret("new-pw")),
                ],
            ),
            Step(
                comp + "$r",
                "aws:ecr/repository:Repository",
                "dev-repo",
                Op.REPLACE,
                parent=comp,
                diffs=[PropertyDiff("name", DiffKind.UPDATE, "a", "b", replaces=True)],
                replace_reasons=["name"],
            ),
            Step(comp + "$d", "aws:s3/policy:Policy", "dev-old-policy", Op.DELETE, parent=comp),
        ],
    )


def _text(plan: Plan) -> str:
    buf = io.StringIO()
    render.render_plan(Console(file=buf, width=200, color_system=None), plan)
    return buf.getvalue()


def test_plan_reads_like_terraform():
    text = _text(_plan())
    assert "+ dev-store-bucket" in text and "~ dev-store-versioning" in text
    assert "-/+ dev-repo" in text and "replace because of: name" in text
    assert "- dev-old-policy" in text
    assert 'status: "Suspended" → "Enabled"' in text
    assert '"a" → "b"  (forces replacement)' in text
    assert 'bucket: "b1"' in text and "arn: (known after apply)" in text
    assert "Plan: 1 to create, 1 to update, 1 to replace, 1 to delete, 1 unchanged." in text
    assert "__provider" not in text, "the pickled provider is internal"


def test_secrets_are_masked_everywhere():
    plan = _plan()
    text = _text(plan)
    data = json.dumps(render.plan_json(plan))
    for secret in ("hunter2", "old-pw", "new-pw"):
        assert secret not in text and secret not in data
    assert "[secret]" in text and "[secret]" in data


def test_no_changes_line():
    plan = Plan("dev", "embedded", [Step(ROOT + "x", "t:t:T", "a", Op.SAME)])
    assert "No changes." in _text(plan)


def test_progress_prints_one_line_per_finished_resource_without_a_terminal():
    buf = io.StringIO()
    console = Console(file=buf, width=120, color_system=None)
    step = _plan().steps[2]
    with ProgressDisplay(console, "deploy") as progress:
        progress(EngineEvent(EventKind.STEP_START, step))
        progress(EngineEvent(EventKind.STEP_DONE, step))
        failing = _plan().steps[3]
        progress(EngineEvent(EventKind.STEP_START, failing))
        progress(EngineEvent(EventKind.STEP_FAILED, failing, message="AccessDenied"))
        progress(EngineEvent(EventKind.DIAGNOSTIC, message="careful", severity="warning"))
    out = buf.getvalue()
    assert "dev-store-bucket: created" in out
    assert "dev-store-versioning: failed: AccessDenied" in out
    assert "warning: careful" in out


def test_progress_renders_a_live_table_on_a_terminal():
    buf = io.StringIO()
    console = Console(file=buf, width=120, force_terminal=True, color_system=None)
    step = _plan().steps[2]
    with ProgressDisplay(console, "deploy") as progress:
        progress(EngineEvent(EventKind.STEP_START, step))
        progress(EngineEvent(EventKind.STEP_DONE, step))
    assert "created" in buf.getvalue()


def test_json_output_is_strict_json(capsys):
    render.dump_json({"loss": float("nan"), "best": float("inf"), "worst": float("-inf")})

    def refuse(name: str):
        raise AssertionError(f"{name} is not JSON")

    data = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert data == {"loss": "NaN", "best": "Infinity", "worst": "-Infinity"}


def test_nested_unknowns_read_known_after_apply():
    from provisioner.engines.model import UNKNOWN

    text = render.value_text([UNKNOWN, {"a": UNKNOWN}])
    assert text == '[(known after apply), {"a": (known after apply)}]'
