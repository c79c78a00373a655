"""PulumiEngine through the real Automation API Stack code, against the CLI test double."""

from __future__ import annotations

import logging
import stat

import pytest
import yaml

from provisioner import home as home_mod
from provisioner.engines.model import UNKNOWN, DiffKind, EventKind, Op, Secret
from provisioner.engines.pulumi import PulumiEngine
from provisioner.engines.pulumi.workspace import passphrase_file, work_dir
from provisioner.errors import LockedError, NotFoundError, OperationError, UserInputError
from tests.engines.pulumi.replay import ReplayPulumi, secret

BUCKET = "aws:s3/bucketV2:BucketV2"
TOKEN = "aws:secretsmanager/secretVersion:SecretVersion"
SECRETS = ("hunter2",)  # events only ever carry blinded secrets; outputs can hold real ones


def by_type(plan, type_):
    [step] = [s for s in plan.steps if s.type == type_]
    return step


def deploy(engine, cli, stack, fixture="create", **script):
    cli.script("up", fixture, **script)
    return engine.up(stack)


def test_preview_create_builds_steps_from_resource_pre_events(cli, aws_stack):
    cli.script("preview", "create-preview")
    events = []
    plan = PulumiEngine(pulumi_command=cli).preview(aws_stack, events.append)

    assert plan.engine == "pulumi" and plan.stack == "dev"
    assert [(s.op, s.type) for s in plan.steps] == [
        (Op.CREATE, "pulumi:pulumi:Stack"),
        (Op.CREATE, "provisioner:aws:ArtifactStore"),
        (Op.CREATE, BUCKET),
        (Op.CREATE, TOKEN),
    ]  # the default provider is an implementation detail and is left out
    bucket = by_type(plan, BUCKET)
    assert bucket.name == "dev-artifact-store-bucket" and bucket.custom
    assert bucket.parent.endswith("provisioner:aws:ArtifactStore::dev-artifact-store")
    assert bucket.inputs["tags"]["cost.center"] == "ml-1"
    assert not by_type(plan, "provisioner:aws:ArtifactStore").custom
    assert isinstance(by_type(plan, TOKEN).inputs["secretString"], Secret)
    assert plan.outputs["components"]["artifact_store"]["connection"]["path"] is UNKNOWN
    assert plan.summary()[Op.CREATE] == 4 and plan.has_changes
    assert events[-1].kind is EventKind.SUMMARY and events[-1].message == "4 create"
    assert cli.inline_programs == 1  # the CLI was pointed at the inline program's server
    preview_args = cli.calls[-1]
    assert preview_args[0] == "preview" and "--event-log" in preview_args
    assert preview_args[preview_args.index("--exec-kind") + 1] == "auto.inline"


def test_preview_update_gives_property_diffs_old_to_new(cli, aws_stack):
    cli.script("preview", "update")
    plan = PulumiEngine(pulumi_command=cli).preview(aws_stack)

    assert plan.summary() == {Op.SAME: 2, Op.UPDATE: 2}
    diffs = {d.path: d for d in by_type(plan, BUCKET).diffs}
    assert set(diffs) == {"forceDestroy", 'tags["cost.center"]', "tags.env", 'tags["team\\ml"]'}
    assert (diffs["forceDestroy"].kind, diffs["forceDestroy"].old, diffs["forceDestroy"].new) == (
        DiffKind.UPDATE,
        False,
        True,
    )
    center = diffs['tags["cost.center"]']
    assert (center.kind, center.old, center.new) == (DiffKind.UPDATE, "ml-1", "ml-2")
    assert (diffs["tags.env"].kind, diffs["tags.env"].old, diffs["tags.env"].new) == (
        DiffKind.ADD,
        None,
        "prod",
    )
    # The CLI quotes a key with a backslash without escaping it; the event must not be lost.
    team = diffs['tags["team\\ml"]']
    assert (team.kind, team.old, team.new) == (DiffKind.UPDATE, "nlp", "vision")
    assert not any(d.replaces for d in diffs.values())
    assert "__defaults" not in by_type(plan, BUCKET).inputs  # provider bookkeeping
    [token_diff] = by_type(plan, TOKEN).diffs
    # The CLI blinds secrets in events: both sides are secrets whose value is not known here.
    assert token_diff.old == Secret(None) and token_diff.new == Secret(None)
    assert "[secret]" in repr(token_diff)


def test_preview_replace_collapses_into_one_step_with_reasons(cli, aws_stack):
    cli.script("preview", "replace")
    plan = PulumiEngine(pulumi_command=cli).preview(aws_stack)

    bucket = by_type(plan, BUCKET)
    assert bucket.op is Op.REPLACE
    assert bucket.replace_reasons == ["bucket"]
    [diff] = bucket.diffs
    assert (diff.path, diff.kind, diff.old, diff.new, diff.replaces) == (
        "bucket",
        DiffKind.UPDATE,
        "dev-artifact-store-x",
        "dev-artifact-store-y",
        True,
    )
    assert plan.summary() == {Op.SAME: 2, Op.REPLACE: 1}


def test_delete_before_replace_plans_the_new_inputs(cli, aws_stack):
    # The sequence opens with delete-replaced, which has no new state.
    cli.script("up", "replace-delete-first")
    events = []
    plan = PulumiEngine(pulumi_command=cli).up(aws_stack, events.append)

    bucket = by_type(plan, BUCKET)
    assert bucket.op is Op.REPLACE and bucket.replace_reasons == ["bucket"]
    assert bucket.inputs["bucket"] == "dev-artifact-store-y"  # what is coming, not what goes
    assert bucket.parent.endswith("provisioner:aws:ArtifactStore::dev-artifact-store")
    [diff] = bucket.diffs
    assert (diff.old, diff.new, diff.replaces) == (
        "dev-artifact-store-x",
        "dev-artifact-store-y",
        True,
    )
    assert plan.summary() == {Op.SAME: 2, Op.REPLACE: 1}
    assert plan.outputs == {}  # up returns the CLI's stack outputs, none scripted here


def test_default_provider_replace_replaces_its_resources_without_showing_it(cli, aws_stack):
    cli.script("up", "provider-replace")
    plan = PulumiEngine(pulumi_command=cli).up(aws_stack)

    assert not any(s.type.startswith("pulumi:providers:") for s in plan.steps)
    bucket = by_type(plan, BUCKET)
    assert bucket.op is Op.REPLACE and bucket.replace_reasons == ["provider"]
    assert bucket.diffs == []  # ``provider`` is no input: no made-up property change
    assert bucket.inputs["bucket"] == "dev-artifact-store-x"
    assert plan.summary() == {Op.SAME: 2, Op.REPLACE: 1}


def test_cancelled_update_says_so_and_lists_what_finished(cli, aws_stack):
    cli.script("up", "cancelled", code=255, stderr="error: update canceled")
    with pytest.raises(OperationError) as info:
        PulumiEngine(pulumi_command=cli).up(aws_stack)

    message = str(info.value)
    assert "pulumi up of stack 'dev' was cancelled before it finished" in message
    assert f"create {BUCKET} dev-artifact-store-bucket" in message
    assert f"create {TOKEN} dev-artifact-store-token" in message
    assert "rerun to converge" in message


def test_up_reports_live_progress_and_returns_outputs(cli, aws_stack):
    cli.script(
        "up",
        "create",
        outputs={"components": {"artifact_store": {"flavor": "s3"}}, "token": secret("hunter2")},
    )
    engine = PulumiEngine(pulumi_command=cli)
    events = []
    plan = engine.up(aws_stack, events.append)

    kinds = [e.kind for e in events]
    assert kinds.count(EventKind.STEP_START) == 4 and kinds.count(EventKind.STEP_DONE) == 4
    assert kinds[-1] is EventKind.SUMMARY
    [info] = [e for e in events if e.kind is EventKind.DIAGNOSTIC]
    assert info.message == "creating bucket dev-artifact-store-x"  # colour markup stripped
    assert info.step is not None and info.step.type == BUCKET  # debug chatter is dropped
    start = next(e for e in events if e.kind is EventKind.STEP_START and e.step.type == BUCKET)
    assert start.step.op is Op.CREATE and "dev-artifact-store-bucket" in start.message

    assert plan.outputs["components"] == {"artifact_store": {"flavor": "s3"}}
    assert plan.outputs["token"] == Secret("hunter2")
    assert engine.outputs("dev") == plan.outputs
    assert engine.has_state("dev")
    up_args = next(c for c in cli.calls if c[0] == "up")
    assert {"--yes", "--skip-preview"} <= set(up_args)


def test_destroy_deletes_everything_and_removes_the_stack(cli, aws_stack):
    engine = PulumiEngine(pulumi_command=cli)
    deploy(engine, cli, aws_stack)
    cli.script("destroy", "delete")
    events = []
    plan = engine.destroy("dev", events.append)

    assert plan.summary() == {Op.DELETE: 4}
    assert by_type(plan, BUCKET).inputs["bucket"] == "dev-artifact-store-x"  # old inputs
    assert [c[:2] for c in cli.calls if c[0] == "stack"][-1] == ["stack", "rm"]
    assert not engine.has_state("dev")
    assert engine.destroy("dev").steps == []  # nothing left: a no-op
    with pytest.raises(NotFoundError, match="deploy it first"):
        engine.outputs("dev")


def test_destroy_of_an_unknown_stack_is_a_no_op(cli):
    engine = PulumiEngine(pulumi_command=cli)
    assert engine.destroy("ghost").steps == []
    assert not engine.has_state("ghost")
    assert not any(c[0] == "destroy" for c in cli.calls)


def test_refresh_reports_drift_and_gone_resources(cli, aws_stack):
    engine = PulumiEngine(pulumi_command=cli)
    deploy(engine, cli, aws_stack)
    cli.script("refresh", "refresh")
    result = engine.refresh("dev")

    assert result.engine == "pulumi" and result.checked == 3
    drift = {d.name: d for d in result.drift}
    assert set(drift) == {"dev-artifact-store-bucket", "dev-artifact-store-policy"}
    assert drift["dev-artifact-store-policy"].gone
    paths = {d.path: d for d in drift["dev-artifact-store-bucket"].diffs}
    # Drift paths are written the way the CLI writes them, like preview paths.
    assert set(paths) == {'tags["managed-by"]', 'tags["cost.center"]', 'tagsAll["managed-by"]'} | {
        'tagsAll["cost.center"]'
    }
    assert paths['tags["managed-by"]'].old == "provisioner"
    assert paths['tags["managed-by"]'].new == "someone-else"
    assert paths['tags["cost.center"]'].kind is DiffKind.DELETE


def test_refresh_of_an_unknown_stack_is_not_found(cli):
    with pytest.raises(NotFoundError, match="'ghost'"):
        PulumiEngine(pulumi_command=cli).refresh("ghost")


def test_failed_resource_becomes_operation_error_with_its_diagnostic(cli, aws_stack):
    cli.script("up", "failed", code=255)  # the CLI reports the failure in events, not stderr
    events = []
    with pytest.raises(OperationError) as info:
        PulumiEngine(pulumi_command=cli).up(aws_stack, events.append)

    message = str(info.value)
    assert type(info.value) is OperationError
    assert "pulumi up of stack 'dev' failed" in message
    assert f"{BUCKET} dev-artifact-store-bucket" in message
    assert "BucketAlreadyExists" in message and "<{%" not in message
    assert "update failed" not in message.splitlines()[-2]  # the generic line is dropped
    [failed] = [e for e in events if e.kind is EventKind.STEP_FAILED]
    assert failed.step.name == "dev-artifact-store-bucket" and failed.severity == "error"
    assert "BucketAlreadyExists" in failed.step.note


def test_a_failure_before_any_event_uses_the_cli_error(cli, aws_stack):
    cli.script("up", "no-events", code=255, stderr="warning: x\nerror: could not reach backend")
    with pytest.raises(OperationError) as info:
        PulumiEngine(pulumi_command=cli).up(aws_stack)
    assert str(info.value).splitlines()[1] == "  error: could not reach backend"


@pytest.mark.parametrize("operation", ["up", "preview", "destroy", "refresh"])
def test_lock_conflict_becomes_locked_error(aws_stack, operation, monkeypatch):
    _assert_locked(ReplayPulumi(), aws_stack, operation)


@pytest.mark.slow
def test_lock_conflict_with_an_event_log_file(aws_stack):
    # Older CLIs log events to a file; when the CLI fails before the engine starts, the SDK
    # waits 5 s for a log that never comes.
    _assert_locked(ReplayPulumi(version="3.200.0"), aws_stack, "up")


def _assert_locked(cli, aws_stack, operation):
    engine = PulumiEngine(pulumi_command=cli)
    deploy(engine, cli, aws_stack)
    cli.locked_by = "alice@build-1 (pid 4242)"
    run = {
        "up": lambda: engine.up(aws_stack),
        "preview": lambda: engine.preview(aws_stack),
        "destroy": lambda: engine.destroy("dev"),
        "refresh": lambda: engine.refresh("dev"),
    }[operation]
    with pytest.raises(LockedError) as info:
        run()
    assert "stack 'dev' is locked" in str(info.value)
    assert "alice@build-1" in str(info.value) or "locked by 1 lock" in str(info.value)
    assert "pulumi cancel" in str(info.value)


def test_workspace_layout_backend_runtime_and_cloud_config(cli, aws_stack, provisioner_home):
    cli.script("preview", "create-preview")
    PulumiEngine(pulumi_command=cli).preview(aws_stack)

    wd = work_dir("dev")
    assert wd == provisioner_home / "pulumi" / "work" / "dev"
    project = yaml.safe_load((wd / "Pulumi.yaml").read_text())
    state = (provisioner_home / "pulumi" / "state").as_uri()
    assert project["name"] == "provisioner" and project["backend"]["url"] == state
    assert project["runtime"]["name"] == "python"
    env = cli.envs[-1]
    assert env["PULUMI_BACKEND_URL"] == state
    import sys

    assert env["PULUMI_PYTHON_CMD"] == sys.executable
    assert cli.stacks["dev"].config == {
        "aws:region": {"value": "eu-west-1", "secret": False},
        "aws:profile": {"value": "ml", "secret": False},
    }
    assert ["stack", "init", "dev", "--secrets-provider", "passphrase"] in cli.calls


def test_generated_passphrase_is_private_and_never_in_env_or_args(cli, aws_stack):
    cli.script("preview", "create-preview")
    PulumiEngine(pulumi_command=cli).preview(aws_stack)

    path = passphrase_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    passphrase = path.read_text()
    assert len(passphrase) >= 32
    assert all(e["PULUMI_CONFIG_PASSPHRASE_FILE"] == str(path) for e in cli.envs)
    assert not any(
        passphrase in repr(e) or passphrase in repr(c)
        for e, c in zip(cli.envs, cli.calls, strict=True)
    )
    cli.script("preview", "update")
    PulumiEngine(pulumi_command=cli).preview(aws_stack)
    assert path.read_text() == passphrase  # generated once


def test_passphrase_from_the_environment_is_used_as_is(cli, aws_stack, monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "team-shared")
    cli.script("preview", "create-preview")
    PulumiEngine(pulumi_command=cli).preview(aws_stack)
    assert not passphrase_file().exists()
    assert "PULUMI_CONFIG_PASSPHRASE_FILE" not in cli.envs[-1]


def test_team_backend_from_definition_and_constructor(cli, aws_stack):
    spec = aws_stack.spec.model_copy(update={"backend": "s3://team-state/pulumi"})
    stack = type(aws_stack)(spec, aws_stack.components, aws_stack.source)
    cli.script("preview", "create-preview")
    plan = PulumiEngine(pulumi_command=cli).preview(stack)
    assert cli.envs[-1]["PULUMI_BACKEND_URL"] == "s3://team-state/pulumi"
    assert any("PULUMI_CONFIG_PASSPHRASE" in note for note in plan.notes)
    # a later by-name operation finds the backend the stack was deployed with
    engine = PulumiEngine(pulumi_command=cli)
    assert (
        engine.state_location("dev") == "s3://team-state/pulumi/.pulumi/stacks/provisioner/dev.json"
    )
    override = PulumiEngine("gs://other/state", pulumi_command=cli)
    override.preview(stack)
    assert cli.envs[-1]["PULUMI_BACKEND_URL"] == "gs://other/state"


def test_default_state_location_is_under_the_home(cli, provisioner_home):
    location = PulumiEngine(pulumi_command=cli).state_location("dev")
    expected = (provisioner_home / "pulumi" / "state").as_uri()
    assert location == f"{expected}/.pulumi/stacks/provisioner/dev.json"


def test_bad_backend_is_a_user_error(cli):
    with pytest.raises(UserInputError, match="unsupported Pulumi backend"):
        PulumiEngine("http://example.invalid/state", pulumi_command=cli)


def test_secrets_never_reach_events_or_logs(cli, aws_stack, caplog):
    caplog.set_level(logging.DEBUG)
    engine = PulumiEngine(pulumi_command=cli)
    events = []
    for op, fixture in [("preview", "create-preview"), ("preview", "update")]:
        cli.script(op, fixture)
        plan = engine.preview(aws_stack, events.append)
        events.append(plan)
    cli.script("up", "create", outputs={"token": secret("hunter2")})
    events.append(engine.up(aws_stack, events.append))
    text = "\n".join(repr(e) for e in events) + "\n".join(
        str(e.message) for e in events if hasattr(e, "message")
    )
    assert "[secret]" in text
    for value in SECRETS:
        assert value not in text
        assert value not in caplog.text


def test_a_home_with_a_space_and_non_ascii_letters_works(cli, aws_stack, tmp_path, monkeypatch):
    # The backend URL encodes the space as %20; the CLI decodes it and needs that folder.
    home = tmp_path / "Jürgen Müller" / "prov home"
    monkeypatch.setenv("PROVISIONER_HOME", str(home))
    home_mod.set_home(None)
    cli.script("preview", "create-preview")
    plan = PulumiEngine(pulumi_command=cli).preview(aws_stack)

    state = home / "pulumi" / "state"
    url = cli.envs[-1]["PULUMI_BACKEND_URL"]
    assert url == state.as_uri() and "%20" in url and "%C3%BC" in url
    assert state.is_dir()
    assert not [p for p in home.rglob("*%*")]  # no folder named after the encoded URL
    assert plan.summary()[Op.CREATE] == 4


def test_an_empty_passphrase_variable_is_the_passphrase(cli, aws_stack, monkeypatch):
    # The CLI uses PULUMI_CONFIG_PASSPHRASE whenever it is set, even to "".
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "")
    cli.script("preview", "create-preview")
    engine = PulumiEngine(pulumi_command=cli)
    engine.preview(aws_stack)

    assert not passphrase_file().exists()  # no file the CLI would never read
    assert all("PULUMI_CONFIG_PASSPHRASE_FILE" not in env for env in cli.envs)
    assert cli.stacks["dev"].passphrase == ""
    # Without the variable, the stack's secrets cannot be decrypted: say so, and why.
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    with pytest.raises(OperationError, match="passphrase does not decrypt") as info:
        engine.preview(aws_stack)
    assert "even to an empty string" in (info.value.hint or "")
