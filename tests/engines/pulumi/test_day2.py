"""Day two on the Pulumi engine, through the Automation API and the CLI double: saved update
plans, --target/--replace, state surgery with backups, and stack history."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from provisioner.engines.model import Op, StalePlanError, Targeting
from provisioner.engines.pulumi import PulumiEngine
from provisioner.errors import NotFoundError, OperationError, UserInputError
from tests.engines.pulumi.test_plans import _invoke

STORE = "urn:pulumi:dev::provisioner::provisioner:aws:ArtifactStore::dev-artifact-store"
BUCKET = (
    "urn:pulumi:dev::provisioner::provisioner:aws:ArtifactStore$aws:s3/bucketV2:BucketV2"
    "::dev-artifact-store-bucket"
)
TOKEN = (
    "urn:pulumi:dev::provisioner::provisioner:aws:ArtifactStore"
    "$aws:secretsmanager/secretVersion:SecretVersion::dev-artifact-store-token"
)


def _flags(args, name):
    return [b for a, b in itertools.pairwise(args) if a == name]


def _calls(cli, *head):
    return [args for args in cli.calls if args[: len(head)] == list(head)]


@pytest.fixture
def engine(cli):
    return PulumiEngine(pulumi_command=cli)


def test_a_saved_plan_is_applied_with_up_plan(cli, engine, aws_stack):
    cli.script("preview", "create-preview")
    cli.script("up", "create")

    plan = engine.preview(aws_stack, save=True)
    assert _flags(_calls(cli, "preview")[-1], "--save-plan")
    assert set(plan.saved) == {"state", "pulumi_plan"}
    assert BUCKET in plan.saved["pulumi_plan"]["resourcePlans"]

    applied = engine.plan_and_apply(aws_stack, expect=plan.saved)

    [up] = _calls(cli, "up")
    assert _flags(up, "--plan") and applied.summary()[Op.CREATE] == 4
    assert not Path(_flags(up, "--plan")[0]).exists()  # the plan file is temporary


def test_a_saved_plan_is_refused_once_the_state_changed(cli, engine, aws_stack):
    cli.script("preview", "create-preview")
    cli.script("up", "create")
    plan = engine.preview(aws_stack, save=True)
    engine.up(aws_stack)  # someone deploys first

    with pytest.raises(StalePlanError, match="state of stack 'dev' changed"):
        engine.plan_and_apply(aws_stack, expect=plan.saved)
    assert len(_calls(cli, "up")) == 1


def test_the_cli_refuses_a_saved_plan_the_program_no_longer_fits(cli, engine, aws_stack):
    cli.script("preview", "create-preview")
    plan = engine.preview(aws_stack, save=True)
    cli.script("up", "update")  # the program now updates instead of creating

    with pytest.raises(OperationError, match="the Pulumi CLI refused"):
        engine.plan_and_apply(aws_stack, expect=plan.saved)
    assert cli.stacks["dev"].resources == {}


def test_target_takes_what_the_target_needs_and_replace_passes_urns(cli, engine, aws_stack):
    cli.script("up", "create")
    engine.up(aws_stack)
    cli.script("preview", "update")

    plan = engine.preview(
        aws_stack,
        targeting=Targeting(("dev-artifact-store-bucket",), ("dev-artifact-store-token",)),
    )

    args = _calls(cli, "preview")[-1]
    assert set(_flags(args, "--target")) == {BUCKET, STORE}  # the bucket and its parent
    assert _flags(args, "--replace") == [TOKEN]
    assert {s.urn for s in plan.steps} <= {BUCKET, STORE} | {
        u for u in (s.urn for s in plan.steps) if "pulumi:pulumi:Stack" in u
    }

    with pytest.raises(UserInputError, match="no resource of that name"):
        engine.preview(aws_stack, targeting=Targeting(("nope",)))


def test_a_targeted_destroy_keeps_the_stack(cli, engine, aws_stack):
    cli.script("up", "create")
    engine.up(aws_stack)
    cli.script("destroy", "delete")

    engine.destroy("dev", targets=("dev-artifact-store-bucket",))

    [destroy] = _calls(cli, "destroy")
    assert _flags(destroy, "--target") == [BUCKET] and "--target-dependents" in destroy
    assert "dev" in cli.stacks and not _calls(cli, "stack", "rm")


def test_state_rm_mv_and_restore_with_backups(cli, engine, aws_stack):
    cli.script("up", "create")
    engine.up(aws_stack)
    before = dict(cli.stacks["dev"].resources)
    assert {r.name for r in engine.state_list("dev")} >= {"dev-artifact-store-bucket"}

    with pytest.raises(OperationError, match="depends on it"):
        engine.state_remove("dev", ["dev-artifact-store"])
    removed = engine.state_remove("dev", ["dev-artifact-store-token"])
    assert removed.changed == {TOKEN: ""} and TOKEN not in cli.stacks["dev"].resources
    backup = json.loads(Path(removed.backup).read_text())
    assert {r["urn"] for r in backup["deployment"]["resources"]} == set(before)
    assert Path(removed.backup).stat().st_mode & 0o077 == 0
    assert ["state", "delete", TOKEN, "--yes", "--stack", "dev"] in cli.calls

    moved = engine.state_move("dev", "dev-artifact-store-bucket", "dev-bucket", None)
    renamed = BUCKET.replace("::dev-artifact-store-bucket", "::dev-bucket")
    assert moved.changed == {BUCKET: renamed} and renamed in cli.stacks["dev"].resources

    engine.state_restore("dev", None)  # the state before the mv
    assert BUCKET in cli.stacks["dev"].resources and TOKEN not in cli.stacks["dev"].resources
    engine.state_restore("dev", engine.state_backups("dev")[0].name)  # before the rm
    assert set(cli.stacks["dev"].resources) == set(before)
    assert [b.name.rsplit("-", 1)[-1] for b in engine.state_backups("dev")] == [
        "rm",
        "mv",
        "restore",
        "restore",
    ]
    with pytest.raises(NotFoundError):
        engine.state_remove("dev", ["nope"])


def test_state_mv_reparents_through_stack_import(cli, engine, aws_stack):
    cli.script("up", "create")
    engine.up(aws_stack)
    root = "urn:pulumi:dev::provisioner::pulumi:pulumi:Stack::provisioner-dev"

    moved = engine.state_move("dev", "dev-artifact-store-bucket", None, root)

    new = "urn:pulumi:dev::provisioner::aws:s3/bucketV2:BucketV2::dev-artifact-store-bucket"
    assert moved.changed == {BUCKET: new}
    assert cli.stacks["dev"].resources[new]["parent"] == root
    assert _calls(cli, "stack", "import")


def test_history_comes_from_the_backend_with_who_ran_it(cli, engine, aws_stack):
    cli.script("up", "create")
    cli.script("refresh", "refresh")
    engine.up(aws_stack)
    engine.refresh("dev")

    entries = engine.history("dev")

    assert [e.kind for e in entries] == ["deploy", "refresh"]
    assert entries[0].changes.get("create") and entries[0].result == "succeeded"
    assert all(e.user and e.host and e.version for e in entries)
    assert _flags(_calls(cli, "up")[0], "--message")[0].startswith("provisioner ")


def test_import_adopts_a_resource_with_pulumi_import(cli, engine, aws_stack):
    cli.script("up", "create")
    engine.up(aws_stack)
    engine.state_remove("dev", ["dev-artifact-store-bucket"])

    imported = engine.import_resource(
        aws_stack,
        "aws:s3/bucketV2:BucketV2",
        "dev-artifact-store-bucket",
        "dev-artifact-store-bucket-1a2b3c",
        parent="dev-artifact-store",
    )

    assert imported.urn == BUCKET and imported.id == "dev-artifact-store-bucket-1a2b3c"
    [call] = _calls(cli, "import")
    assert "--yes" in call and "--generate-code=false" in call
    assert engine.history("dev")[-1].kind == "import"


def test_cli_saved_plan_state_and_history_on_the_pulumi_engine(cli_app, tmp_path):
    double, definition = cli_app
    double.script("preview", "create-preview")
    double.script("up", "create")
    plan_file = tmp_path / "plan.json"

    made = _invoke("stack", "preview", definition, "--engine", "pulumi", "--out", str(plan_file))
    assert made.exit_code == 0, made.output
    saved = json.loads(plan_file.read_text())
    assert saved["engine"] == "pulumi" and saved["engine_plan"]["pulumi_plan"]["resourcePlans"]

    applied = _invoke("stack", "deploy", str(plan_file), "--yes")
    assert applied.exit_code == 0, applied.output
    assert _flags(_calls(double, "up")[-1], "--plan")
    stale = _invoke("stack", "deploy", str(plan_file), "--yes")
    assert stale.exit_code == 1 and "changed since the plan was made" in stale.output

    names = [r["name"] for r in json.loads(_invoke("state", "list", "dev", "--json").stdout)]
    assert "dev-artifact-store-bucket" in names
    [entry] = json.loads(_invoke("stack", "history", "dev", "--json").stdout)
    assert entry["kind"] == "deploy" and entry["user"] and entry["result"] == "succeeded"
