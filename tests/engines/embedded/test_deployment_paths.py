"""``ignore_changes`` and provider check failures in the embedded engine."""

from __future__ import annotations

import pulumi
import pytest

from provisioner.engines.model import Op
from provisioner.errors import OperationError
from provisioner.recipes.local.providers.directory import LocalDirectory, LocalDirectoryArgs
from tests.engines.embedded.fileprovider import File


def one_file(ws, content: str, *, ignore: list[str] | None = None):
    def program() -> None:
        opts = pulumi.ResourceOptions(ignore_changes=ignore)
        File("a", f"{ws.root}/a.txt", content, str(ws.journal), opts)

    return program


def ops(plan) -> dict[str, Op]:
    return {s.name: s.op for s in plan.steps}


def test_ignore_changes_keeps_the_recorded_value(engine, ws, checkpoint_of):
    engine.up_program("dev", one_file(ws, "v1", ignore=["content"]))

    plan = engine.preview_program("dev", one_file(ws, "v2", ignore=["content"]))
    assert ops(plan)["a"] == Op.SAME and not plan.has_changes
    up = engine.up_program("dev", one_file(ws, "v2", ignore=["content"]))

    assert ops(up)["a"] == Op.SAME
    assert ws.files() == {"a.txt": "v1"} and ws.calls() == ["create a.txt"]
    (a,) = [r for r in checkpoint_of()["resources"] if r["name"] == "a"]
    assert a["inputs"]["content"] == "v1"
    # Without the option the same change is an update.
    assert ops(engine.up_program("dev", one_file(ws, "v2")))["a"] == Op.UPDATE
    assert ws.files() == {"a.txt": "v2"}


def directory(path: str, **extra):
    def program() -> None:
        LocalDirectory("store", LocalDirectoryArgs(path=path, purpose="artifact store", **extra))

    return program


def test_a_check_failure_names_resource_property_and_reason_and_creates_nothing(
    engine, tmp_path, checkpoint_of
):
    message = r"invalid inputs for store \(.*LocalDirectory\): path: must be an absolute path"
    with pytest.raises(OperationError, match=message):
        engine.preview_program("dev", directory("relative/store"))
    with pytest.raises(OperationError, match=message):
        engine.up_program("dev", directory("relative/store"))

    state = checkpoint_of()
    assert state is None or "store" not in {r["name"] for r in state["resources"]}
    assert state is None or state["pending"] == []
    fixed = engine.up_program("dev", directory(str(tmp_path / "store")))
    assert ops(fixed)["store"] == Op.CREATE and (tmp_path / "store").is_dir()


def test_a_check_failure_on_update_leaves_the_resource_as_recorded(engine, tmp_path, checkpoint_of):
    path = str(tmp_path / "store")
    engine.up_program("dev", directory(path))
    before = checkpoint_of()["resources"]

    with pytest.raises(OperationError, match="guard_data: must be true or false, got 'yes'"):
        engine.up_program("dev", directory(path, guard_data="yes"))

    assert checkpoint_of()["resources"] == before
    assert ops(engine.up_program("dev", directory(path, guard_data=True)))["store"] == Op.UPDATE
