"""Day-two operations on the embedded engine: targeting, --replace, saved plans, state
surgery and history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provisioner.engines.embedded.checkpoint import CHECKPOINT_FILE
from provisioner.engines.model import Op, StalePlanError, Targeting
from provisioner.errors import NotFoundError, UserInputError
from tests.engines.embedded.programs import folder_program

A = "urn:pulumi:dev::provisioner::provisioner:test:Folder$pulumi-python:dynamic:Resource::f-a"
B = "urn:pulumi:dev::provisioner::provisioner:test:Folder$pulumi-python:dynamic:Resource::f-b"
FOLDER = "urn:pulumi:dev::provisioner::provisioner:test:Folder::f"


def program(ws, **kw):
    return folder_program(str(ws.root), str(ws.journal), **kw)


def changes(plan) -> dict[str, Op]:
    return {s.name: s.op for s in plan.steps if s.op != Op.SAME}


def test_a_targeted_deploy_changes_the_target_and_what_it_needs_only(engine, ws):
    engine.up_program("dev", program(ws))
    ws.journal.unlink()

    # v2 changes a (and so b); --target f-a leaves b, which depends on a, as it is.
    plan = engine.preview_program("dev", program(ws, content="v2"), targeting=Targeting(("f-a",)))
    assert changes(plan) == {"f-a": Op.UPDATE}
    assert any("targeting is in effect" in n for n in plan.notes)

    engine.up_program("dev", program(ws, content="v2"), targeting=Targeting(("f-a",)))
    assert ws.calls() == ["update a.txt"]
    assert ws.files() == {"a.txt": "v2", "b.txt": "a has 2 bytes"}

    # --target f-b takes f-a along (b depends on it): both are planned, nothing else.
    plan = engine.preview_program("dev", program(ws, content="v3"), targeting=Targeting(("f-b",)))
    assert set(changes(plan)) <= {"f-a", "f-b"} and "f-a" in changes(plan)


def test_an_unknown_target_names_the_resources(engine, ws):
    engine.up_program("dev", program(ws))
    with pytest.raises(UserInputError, match=r"--target 'nope'.*f-a"):
        engine.preview_program("dev", program(ws), targeting=Targeting(("nope",)))


def test_replace_forces_a_replacement(engine, ws):
    # The files keep their path, so (as under Pulumi) only delete-before-replace (b) can work.
    engine.up_program("dev", program(ws, dbr=True))
    ws.journal.unlink()
    forced = Targeting(replace=("f-b",))

    plan = engine.preview_program("dev", program(ws, dbr=True), targeting=forced)
    [step] = [s for s in plan.steps if s.name == "f-b"]
    assert step.op == Op.REPLACE and step.replace_reasons == ["--replace"]

    engine.up_program("dev", program(ws, dbr=True), targeting=forced)
    assert ws.calls() == ["delete b.txt", "create b.txt"]
    assert changes(engine.preview_program("dev", program(ws, dbr=True))) == {}


def test_a_saved_plan_applies_only_while_the_state_and_the_changes_are_the_same(engine, ws):
    engine.up_program("dev", program(ws))
    plan = engine.preview_program("dev", program(ws, content="v2"))
    expect = {**plan.saved, "steps": [[s.urn, str(s.op)] for s in plan.steps if s.op != Op.SAME]}
    assert plan.saved["state"].startswith("sha256:")

    # Another change lands first: the state is not the one the plan was made from.
    engine.up_program("dev", program(ws, content="v9"))
    ws.journal.unlink()
    with pytest.raises(StalePlanError, match="state of stack 'dev' changed"):
        engine.up_program("dev", program(ws, content="v2"), expect=expect)
    assert ws.calls() == []

    # Same state, but the program now makes other changes than the plan holds.
    plan = engine.preview_program("dev", program(ws, content="v2"))
    expect = {**plan.saved, "steps": [[s.urn, str(s.op)] for s in plan.steps if s.op != Op.SAME]}
    with pytest.raises(StalePlanError, match="differ from the plan"):
        engine.up_program("dev", program(ws, content="v2", extra=True), expect=expect)
    assert ws.calls() == []

    applied = engine.up_program("dev", program(ws, content="v2"), expect=expect)
    assert changes(applied)["f-a"] == Op.UPDATE and ws.files()["a.txt"] == "v2"


def test_a_targeted_destroy_deletes_the_target_and_its_dependents(engine, ws, checkpoint_of):
    engine.up_program("dev", program(ws))
    ws.journal.unlink()

    engine.destroy("dev", targets=["f-a"])  # b depends on a: it goes first

    assert ws.calls() == ["delete b.txt", "delete a.txt"]
    left = {r["urn"] for r in checkpoint_of()["resources"]}
    assert FOLDER in left and A not in left and B not in left


def test_state_rm_forgets_and_restore_brings_it_back(engine, ws, checkpoint_of):
    engine.up_program("dev", program(ws))
    before = checkpoint_of()

    with pytest.raises(UserInputError, match=r"f-b .*still depend"):
        engine.state_remove("dev", ["f-a"])
    change = engine.state_remove("dev", ["f-b"])

    assert change.changed == {B: ""}
    assert B not in {r["urn"] for r in checkpoint_of()["resources"]}
    assert (ws.root / "b.txt").exists()  # left in place
    assert json.loads(Path(change.backup).read_text())["resources"] == before["resources"]
    assert [s.name for s in engine.state_list("dev")] == ["provisioner-dev", "f", "f-a"]

    engine.state_restore("dev", None)  # the latest backup: the one before the rm
    assert checkpoint_of()["resources"] == before["resources"]
    assert [b.name.split("-")[-1] for b in engine.state_backups("dev")] == ["rm", "restore"]
    # And the preview agrees: nothing to do.
    assert changes(engine.preview_program("dev", program(ws))) == {}


def test_state_mv_renames_and_reparents_with_children(engine, ws, checkpoint_of):
    engine.up_program("dev", program(ws))

    renamed = engine.state_move("dev", "f-a", "f-first", None)
    new_a = A.replace("::f-a", "::f-first")
    assert renamed.changed == {A: new_a}
    by_urn = {r["urn"]: r for r in checkpoint_of()["resources"]}
    assert by_urn[B]["dependencies"] == [new_a] and by_urn[new_a]["parent"] == FOLDER
    # The secrets bound to the old URN were sealed again under the new one.
    engine.state_list("dev")
    assert engine.preview_program("dev", program(ws)).summary()[Op.CREATE] == 1

    # Re-parent f-b under the root stack: its type chain, and so its URN, changes.
    stack_urn = "urn:pulumi:dev::provisioner::pulumi:pulumi:Stack::provisioner-dev"
    moved = engine.state_move("dev", "f-b", None, stack_urn)
    assert moved.changed == {B: "urn:pulumi:dev::provisioner::pulumi-python:dynamic:Resource::f-b"}

    with pytest.raises(UserInputError, match="child of itself"):
        engine.state_move("dev", "f", None, "f-first")
    with pytest.raises(NotFoundError, match="no resource 'zzz'"):
        engine.state_move("dev", "zzz", "y", None)


def test_history_records_each_operation(engine, ws, provisioner_home):
    engine.up_program("dev", program(ws))
    engine.refresh("dev")
    engine.destroy("dev")

    entries = engine.history("dev")
    assert [e.kind for e in entries] == ["deploy", "refresh", "destroy"]
    assert all(e.result == "succeeded" and e.user and e.host and e.version for e in entries)
    assert entries[0].changes["create"] == 3 and entries[2].changes["delete"] >= 2
    assert not (provisioner_home / "stacks" / "dev" / CHECKPOINT_FILE).exists()
