"""Safe deletes, one lock from plan to apply, and progress sinks that fail."""

from __future__ import annotations

import threading

import pytest

from provisioner.engines.embedded import EmbeddedEngine
from provisioner.engines.embedded.checkpoint import ResourceState
from provisioner.engines.embedded.deletes import used_by
from provisioner.engines.embedded.lock import StackLock
from provisioner.engines.model import EngineEvent, Op
from provisioner.errors import LockedError, OperationError, UserInputError
from provisioner.recipes.local.providers.directory import LocalDirectory, LocalDirectoryArgs


def folders(*paths, guard: bool = False):
    """A program of LocalDirectory resources, each named after its folder."""

    def program() -> None:
        for path in paths:
            LocalDirectory(path.name, LocalDirectoryArgs(str(path), "test", guard))

    return program


def test_a_folder_holding_a_live_folder_only_leaves_the_state(tmp_path):
    engine = EmbeddedEngine()
    outer, inner = tmp_path / "outer", tmp_path / "outer" / "inner"
    engine.up_program("dev", folders(outer, inner))
    plan = engine.preview_program("dev", folders(inner))
    (step,) = [s for s in plan.steps if s.op == Op.DELETE]
    assert step.name == "outer" and "only removed from the state" in step.note
    engine.up_program("dev", folders(inner))
    assert inner.is_dir(), "a live folder was deleted"


def test_used_by_matches_the_same_id_and_paths_inside():
    res = ResourceState("urn:a", "t", "a", id="/data/store")
    same = ResourceState("urn:b", "t", "b", id="/data/store")
    inside = ResourceState("urn:c", "u", "c", id="/data/store/x")
    beside = ResourceState("urn:d", "u", "d", id="/data/store-2")
    assert used_by(res, [same]) is same and used_by(res, [inside]) is inside
    assert used_by(res, [beside]) is None


def test_a_guarded_folder_with_data_is_refused_before_anything_changes(tmp_path):
    engine = EmbeddedEngine()
    store = tmp_path / "store"
    engine.up_program("dev", folders(store, guard=True))
    (store / "run.bin").write_bytes(b"1")
    new = tmp_path / "new"
    plan = engine.preview_program("dev", folders(new, guard=True))
    assert any("will be refused" in n for n in plan.notes)
    with pytest.raises(OperationError, match="nothing was changed"):
        engine.up_program("dev", folders(new, guard=True))
    assert not new.exists()
    with pytest.raises(UserInputError, match="cannot forget nope"):
        engine.up_program("dev", folders(new, guard=True), forget=["nope"])
    done = engine.up_program("dev", folders(new, guard=True), forget=["store"])
    assert done is not None and (store / "run.bin").exists() and new.is_dir()


def test_the_plan_is_confirmed_while_the_lock_is_held(tmp_path, provisioner_home):
    engine = EmbeddedEngine()
    seen = []

    def confirm(plan) -> bool:
        seen.append([s.op for s in plan.steps if s.custom])
        with pytest.raises(LockedError):
            StackLock(provisioner_home / "stacks" / "dev", "other").acquire()
        return False

    assert engine.up_program("dev", folders(tmp_path / "a"), confirm=confirm) is None
    assert seen == [[Op.CREATE]] and not (tmp_path / "a").exists()


def test_a_failing_progress_sink_never_stops_or_hangs_an_up(tmp_path):
    def broken(event: EngineEvent) -> None:
        raise BrokenPipeError("the reader went away")

    result = []
    program = folders(tmp_path / "a", tmp_path / "b")
    worker = threading.Thread(
        target=lambda: result.append(EmbeddedEngine().up_program("dev", program, broken)),
        daemon=True,
    )
    worker.start()
    worker.join(60)
    assert result, "the up hung or failed"
    assert (tmp_path / "a").is_dir() and (tmp_path / "b").is_dir()
