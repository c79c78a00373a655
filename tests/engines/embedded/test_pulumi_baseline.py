"""Offline plans diffed against a Pulumi file:// backend checkpoint (pulumi_state + baseline)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

import pulumi
import pytest

from provisioner.engines.embedded.checkpoint import CHECKPOINT_FILE
from provisioner.engines.embedded.pulumi_state import (
    EncryptedValue,
    pulumi_baseline,
    read_pulumi_state,
    stack_file,
)
from provisioner.engines.model import DiffKind, Op, Secret
from provisioner.errors import OperationError

FIXTURE = Path(__file__).parent / "fixtures" / "pulumi-dev.json"
P = "urn:pulumi:dev::provisioner::"
BUCKET = "aws:s3/bucket:Bucket"
TAGS = {"team": "ml", "env": "dev"}
STORES = {"dev-data": TAGS, "dev-models": TAGS}


class Store(pulumi.ComponentResource):
    """The program's component: a bucket, a repository and a secret with its value."""

    def __init__(self, name: str, tags: dict[str, str], token: str) -> None:
        import pulumi_aws as aws

        super().__init__("provisioner:test:Store", name, None)
        child = pulumi.ResourceOptions(parent=self)
        region = "eu-west-1"
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket", force_destroy=False, region=region, tags=tags, opts=child
        )
        self.repository = aws.ecr.Repository(
            f"{name}-repository",
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            region=region,
            tags=tags,
            opts=child,
        )
        self.secret = aws.secretsmanager.Secret(
            f"{name}-token", recovery_window_in_days=7, region=region, tags=tags, opts=child
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-token-value",
            secret_id=self.secret.id,
            secret_string=pulumi.Output.secret(token),
            region=region,
            opts=child,
        )
        self.register_outputs(
            {"bucket": self.bucket.bucket, "repository_url": self.repository.repository_url}
        )


def program_of(stores: dict[str, dict[str, str]], token: str = "s3cr3t-token"):
    def program() -> None:
        for name, tags in stores.items():
            store = Store(name, tags, token)
            pulumi.export(name, store.bucket.bucket)

    return program


@pytest.fixture
def baseline():
    return read_pulumi_state(FIXTURE, "dev").checkpoint


def steps_by_name(plan):
    return {s.name: s for s in plan.steps}


# -- the reader -------------------------------------------------------------------------------


def test_reader_keeps_program_resources_and_skips_the_default_provider(baseline):
    urns = [r.urn for r in baseline.resources]
    assert len(urns) == 11  # the root stack, 2 components, 8 custom resources
    assert urns[0] == f"{P}pulumi:pulumi:Stack::provisioner-dev"
    assert not any("pulumi:providers:" in u for u in urns)
    bucket = baseline.live(f"{P}provisioner:test:Store${BUCKET}::dev-data-bucket")
    assert bucket is not None and bucket.custom and bucket.id == "dev-data-bucket-7c1e2f4"
    assert bucket.parent == f"{P}provisioner:test:Store::dev-data"
    assert bucket.provider is None  # a provider reference, not a dynamic provider blob
    # The provider's defaults (the auto-name) are not what the program set: dropped.
    assert bucket.inputs == {"forceDestroy": False, "region": "eu-west-1", "tags": TAGS}
    assert bucket.outputs["arn"] == "arn:aws:s3:::dev-data-bucket-7c1e2f4"
    repo = baseline.live(
        f"{P}provisioner:test:Store$aws:ecr/repository:Repository::dev-data-repository"
    )
    assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert baseline.outputs == {
        "dev-data": "dev-data-bucket-7c1e2f4",
        "dev-models": "dev-models-bucket-1d9b6e2",
    }


def test_encrypted_secrets_stay_opaque(baseline):
    version = next(r for r in baseline.resources if r.name == "dev-data-token-value")
    secret = version.inputs["secretString"]
    assert isinstance(secret, Secret) and isinstance(secret.value, EncryptedValue)
    assert version.dependencies == [
        f"{P}provisioner:test:Store$aws:secretsmanager/secret:Secret::dev-data-token"
    ]
    raw = json.loads(FIXTURE.read_text())
    ciphertexts = [
        r["inputs"]["secretString"]["ciphertext"]
        for r in raw["checkpoint"]["latest"]["resources"]
        if r["type"].endswith("SecretVersion")
    ]
    shown = repr(baseline) + str(baseline)
    assert ciphertexts and not any(c in shown or c.split(":")[-1] in shown for c in ciphertexts)
    assert repr(secret) == "[secret]" and repr(secret.value) == "[encrypted]"


def test_pending_replacements_deleted_and_pending_operations(tmp_path):
    raw = json.loads(FIXTURE.read_text())
    latest = raw["checkpoint"]["latest"]
    resources = latest["resources"]
    bucket = next(r for r in resources if r["urn"].endswith("::dev-data-bucket"))
    repo = next(r for r in resources if r["urn"].endswith("::dev-data-repository"))
    bucket["pendingReplacement"] = True
    resources.append({**repo, "id": "old-repo", "delete": True})
    latest["pending_operations"] = [{"resource": repo, "type": "creating"}]
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(raw))

    state = read_pulumi_state(path, "dev")
    cp = state.checkpoint
    assert cp.live(bucket["urn"]) is None  # deleted already: the next update recreates it
    assert any("not finish" in n for n in state.notes)
    doomed = [r for r in cp.resources if r.delete]
    assert [r.id for r in doomed] == ["old-repo"]
    assert [(p.op, p.resource.name) for p in cp.pending] == [("create", "dev-data-repository")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (json.dumps({"version": 9, "checkpoint": {}}), "has version 9"),
        ("{not json", "cannot read the Pulumi checkpoint"),
    ],
)
def test_unreadable_checkpoints_are_operation_errors(tmp_path, content, message):
    path = tmp_path / "dev.json"
    path.write_text(content)
    with pytest.raises(OperationError, match=message):
        read_pulumi_state(path, "dev")


def test_stack_file_layouts_and_compression(tmp_path):
    backend = tmp_path.as_uri()
    assert stack_file(backend, "dev", "provisioner") is None
    assert stack_file("s3://bucket/state", "dev", "provisioner") is None
    legacy = tmp_path / ".pulumi" / "stacks" / "dev.json"
    legacy.parent.mkdir(parents=True)
    shutil.copy(FIXTURE, legacy)
    assert stack_file(backend, "dev", "provisioner") == legacy
    project = tmp_path / ".pulumi" / "stacks" / "provisioner"
    project.mkdir()
    shutil.copy(FIXTURE, project / "dev.json")
    assert stack_file(backend, "dev", "provisioner") == project / "dev.json"
    gz = project / "dev.json.gz"
    gz.write_bytes(gzip.compress(FIXTURE.read_bytes()))
    os.utime(project / "dev.json", (1, 1))  # the gzip file is the newer, live one
    assert stack_file(backend, "dev", "provisioner") == gz
    assert len(read_pulumi_state(gz, "dev").checkpoint.resources) == 11
    zst = project / "dev.json.zst"
    zst.write_bytes(b"\x28\xb5\x2f\xfd")
    with pytest.raises(OperationError, match="zstd"):
        read_pulumi_state(zst, "dev")


# -- previews against the baseline ------------------------------------------------------------


def test_unchanged_program_is_all_same_with_outputs_from_the_state(
    engine, baseline, provisioner_home
):
    plan = engine.preview_program("dev", program_of(STORES), baseline=baseline)

    assert {s.op for s in plan.steps} == {Op.SAME}
    assert len(plan.steps) == 11
    assert not plan.has_changes
    # Outputs recorded by Pulumi flow into the program: exports and dependents are known.
    assert plan.outputs == {
        "dev-data": "dev-data-bucket-7c1e2f4",
        "dev-models": "dev-models-bucket-1d9b6e2",
    }
    assert any("2 secret values are encrypted" in n and "assumes" in n for n in plan.notes)
    assert not any("known only after a deploy" in n for n in plan.notes)
    assert not (provisioner_home / "stacks" / "dev" / CHECKPOINT_FILE).exists()
    assert not (provisioner_home / "stacks" / "dev").exists()


def test_changed_tag_is_an_update_showing_exactly_that_property(engine, baseline):
    stores = {"dev-data": {"team": "ml", "env": "prod"}, "dev-models": TAGS}
    plan = engine.preview_program("dev", program_of(stores), baseline=baseline)

    changed = {s.name: s for s in plan.steps if s.op != Op.SAME}
    assert set(changed) == {"dev-data-bucket", "dev-data-repository", "dev-data-token"}
    for step in changed.values():
        assert step.op == Op.UPDATE
        [diff] = step.diffs
        assert (diff.path, diff.kind, diff.old, diff.new) == (
            "tags.env",
            DiffKind.UPDATE,
            "dev",
            "prod",
        )
        assert not diff.replaces
    # An update keeps the ID: the secret version that reads it stays the same.
    assert steps_by_name(plan)["dev-data-token-value"].op == Op.SAME
    assert plan.outputs["dev-data"] == "dev-data-bucket-7c1e2f4"


def test_removed_component_is_deleted_children_first(engine, baseline):
    plan = engine.preview_program("dev", program_of({"dev-data": TAGS}), baseline=baseline)

    deletes = [s for s in plan.steps if s.op == Op.DELETE]
    assert {s.name for s in deletes} == {
        "dev-models",
        "dev-models-bucket",
        "dev-models-repository",
        "dev-models-token",
        "dev-models-token-value",
    }
    order = [s.name for s in deletes]
    assert order[-1] == "dev-models"  # the component goes after its children
    assert order.index("dev-models-token-value") < order.index("dev-models-token")
    version = next(s for s in deletes if s.name == "dev-models-token-value")
    assert version.inputs["secretString"] == Secret(version.inputs["secretString"].value)
    assert repr(version.inputs["secretString"]) == "[secret]"
    assert {s.op for s in plan.steps if s.name.startswith("dev-data")} == {Op.SAME}


def test_new_resource_next_to_the_baseline_is_a_create(engine, baseline):
    stores = {**STORES, "dev-extra": TAGS}
    plan = engine.preview_program("dev", program_of(stores), baseline=baseline)
    created = {s.name for s in plan.steps if s.op == Op.CREATE}
    assert created == {
        "dev-extra",
        "dev-extra-bucket",
        "dev-extra-repository",
        "dev-extra-token",
        "dev-extra-token-value",
    }
    assert any(BUCKET in n and "known only after a deploy" in n for n in plan.notes)


def test_nested_component_urns_carry_the_whole_type_chain(engine):
    class Inner(pulumi.ComponentResource):
        def __init__(self, name: str, opts: pulumi.ResourceOptions) -> None:
            super().__init__("provisioner:test:Inner", name, None, opts)
            pulumi.CustomResource(
                BUCKET,
                f"{name}-bucket",
                {"region": "eu-west-1"},
                pulumi.ResourceOptions(parent=self),
            )

    class Outer(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("provisioner:test:Outer", name, None)
            Inner(f"{name}-inner", pulumi.ResourceOptions(parent=self))

    plan = engine.preview_program("dev", lambda: Outer("dev-x"))
    bucket = next(s for s in plan.steps if s.name == "dev-x-inner-bucket")
    # Pulumi's URN: the parents' type chain joined by "$", the root stack left out.
    assert bucket.urn == (
        f"{P}provisioner:test:Outer$provisioner:test:Inner${BUCKET}::dev-x-inner-bucket"
    )


# -- finding the Pulumi engine's state --------------------------------------------------------


def _place(root: Path) -> Path:
    path = root / ".pulumi" / "stacks" / "provisioner" / "dev.json"
    path.parent.mkdir(parents=True)
    shutil.copy(FIXTURE, path)
    return path


def test_baseline_from_the_default_backend_in_the_home(provisioner_home):
    assert pulumi_baseline("dev") == (None, [])
    path = _place(provisioner_home / "pulumi" / "state")
    state, notes = pulumi_baseline("dev")
    assert state is not None and state.path == path
    assert notes == [f"the plan is diffed against the Pulumi state at {path}"]


def test_baseline_from_the_recorded_and_the_given_backend(provisioner_home, tmp_path):
    team = tmp_path / "team state"
    path = _place(team)
    work = provisioner_home / "pulumi" / "work" / "dev"
    work.mkdir(parents=True)
    (work / "Pulumi.yaml").write_text(f"name: provisioner\nbackend:\n  url: {team.as_uri()}\n")
    state, _ = pulumi_baseline("dev")
    assert state is not None and state.path == path
    state, _ = pulumi_baseline("dev", f"file://{team}")
    assert state is not None and state.path == path


def test_team_backend_is_not_read_offline():
    state, [note] = pulumi_baseline("dev", "s3://team-state/pulumi")
    assert state is None
    assert "s3://team-state/pulumi" in note and "cannot be read offline" in note


def test_unreadable_state_is_a_note_not_a_failure(provisioner_home):
    path = _place(provisioner_home / "pulumi" / "state")
    path.write_text("{broken")
    state, [note] = pulumi_baseline("dev")
    assert state is None and str(path) in note and "every resource as new" in note


def test_explicit_provider_is_kept_without_the_engine_added_inputs():
    from provisioner.engines.embedded.pulumi_state import convert_resource

    raw = {
        "urn": f"{P}pulumi:providers:aws::eu",
        "custom": True,
        "id": "0c1d2e3f",
        "type": "pulumi:providers:aws",
        "inputs": {"__internal": {}, "region": "eu-west-1", "version": "7.51.1"},
    }
    res = convert_resource(raw)
    assert res is not None and res.inputs == {"region": "eu-west-1"}
    default = {**raw, "urn": f"{P}pulumi:providers:aws::default_7_51_1"}
    assert convert_resource(default) is None
    assert convert_resource({**raw, "external": True}) is None


def test_dynamic_resource_from_pulumi_state_is_diffed_by_the_programs_provider(
    engine, ws, tmp_path
):
    from tests.engines.embedded.fileprovider import File

    target = str(ws.root / "a.txt")

    def program_with(content: str, path: str = target):
        return lambda: File("notes", path, content, str(ws.journal))

    # What Pulumi records for a dynamic resource: checked inputs, with the pickled provider
    # (and here the content) as encrypted secrets.
    secret_content = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
    resource = {
        "urn": f"{P}pulumi-python:dynamic:Resource::notes",
        "custom": True,
        "id": target,
        "type": "pulumi-python:dynamic:Resource",
        "inputs": {
            "__provider": {**secret_content, "ciphertext": "v1:AAAA:v1:provider"},
            "content": {**secret_content, "ciphertext": "v1:BBBB:v1:content"},
            "path": target,
        },
        "outputs": {
            "__provider": {**secret_content, "ciphertext": "v1:AAAA:v1:provider"},
            "content": {**secret_content, "ciphertext": "v1:CCCC:v1:content"},
            "path": target,
            "size": 5,
        },
        "parent": f"{P}pulumi:pulumi:Stack::provisioner-dev",
        "provider": f"{P}pulumi:providers:pulumi-python::default::0f1e2d3c",
    }
    doc = {"version": 3, "checkpoint": {"latest": {"resources": [resource]}}}
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(doc))
    baseline = read_pulumi_state(path, "dev").checkpoint
    assert (
        baseline.resources[0].provider is None and "__provider" not in baseline.resources[0].inputs
    )

    same = engine.preview_program("dev", program_with("hello"), baseline=baseline)
    assert steps_by_name(same)["notes"].op == Op.SAME  # the encrypted content is assumed unchanged
    moved = engine.preview_program("dev", program_with("hello", target + ".bak"), baseline=baseline)
    step = steps_by_name(moved)["notes"]
    assert step.op == Op.REPLACE and step.replace_reasons == ["path"]  # the provider's diff
    assert ws.calls() == [] and ws.files() == {}  # a preview calls no create, update or delete
