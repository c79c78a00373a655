"""Kill a deploy or destroy at a failpoint (SIGKILL) and check the next run converges."""

from __future__ import annotations

import signal

import pytest

from provisioner.engines.model import Op

pytestmark = pytest.mark.slow

KILLED = -signal.SIGKILL


def test_killed_after_create_before_state_write_is_adopted(ws, checkpoint_of):
    killed = ws.run("up", failpoint="after-create:f-b")
    assert killed.returncode == KILLED, killed.stderr
    # The file exists but the state only knows a pending create for it.
    assert set(ws.files()) == {"a.txt", "b.txt"}
    state = checkpoint_of()
    assert [p["op"] for p in state["pending"]] == ["create"]
    assert state["pending"][0]["resource"]["name"] == "f-b"
    assert "f-b" not in {r["name"] for r in state["resources"]}

    rerun = ws.run("up")
    assert rerun.returncode == 0, rerun.stderr
    # Adopted, not created twice (a second create would fail: the file exists).
    assert ws.calls() == ["create a.txt", "create b.txt", "adopt b.txt"]
    assert ws.files() == {"a.txt": "v1", "b.txt": "a has 2 bytes"}
    state = checkpoint_of()
    assert state["pending"] == []
    names = [r["name"] for r in state["resources"]]
    assert sorted(names) == ["f", "f-a", "f-b", "provisioner-dev"]

    destroyed = ws.run("destroy")
    assert destroyed.returncode == 0, destroyed.stderr
    assert ws.files() == {} and checkpoint_of() is None


def test_killed_before_create_leaves_nothing_to_adopt(ws, checkpoint_of):
    killed = ws.run("up", failpoint="before-create:f-b")
    assert killed.returncode == KILLED
    assert set(ws.files()) == {"a.txt"}

    assert ws.run("up").returncode == 0
    assert ws.calls() == ["create a.txt", "adopt b.txt", "create b.txt"]
    assert checkpoint_of()["pending"] == []


def test_destroy_killed_part_way_finishes_on_rerun(ws, checkpoint_of):
    assert ws.run("up").returncode == 0

    killed = ws.run("destroy", failpoint="after-delete:f-b")
    assert killed.returncode == KILLED
    # b's file is gone; the state still holds the pending delete of b and all of a.
    assert set(ws.files()) == {"a.txt"}
    assert [p["op"] for p in checkpoint_of()["pending"]] == ["delete"]

    rerun = ws.run("destroy")
    assert rerun.returncode == 0, rerun.stderr
    assert ws.files() == {}
    assert checkpoint_of() is None
    assert ws.calls()[2:] == ["delete b.txt", "delete b.txt", "delete a.txt"]
    assert ws.run("destroy").returncode == 0


def test_destroy_killed_before_a_delete(ws, checkpoint_of):
    assert ws.run("up").returncode == 0
    assert ws.run("destroy", failpoint="before-delete:f-a").returncode == KILLED
    assert ws.files() == {"a.txt": "v1"}

    assert ws.run("destroy").returncode == 0
    assert ws.files() == {} and checkpoint_of() is None


def test_replace_killed_after_the_new_create(ws, engine, checkpoint_of):
    assert ws.run("up").returncode == 0
    killed = ws.run("up", second="c.txt", failpoint="after-create:f-b")
    assert killed.returncode == KILLED
    assert set(ws.files()) == {"a.txt", "b.txt", "c.txt"}

    assert ws.run("up", second="c.txt").returncode == 0
    # c.txt was adopted; the replaced b.txt was deleted.
    assert set(ws.files()) == {"a.txt", "c.txt"}
    assert ws.calls().count("create c.txt") == 1
    from tests.engines.embedded.programs import folder_program

    plan = engine.preview_program(
        "dev", folder_program(str(ws.root), str(ws.journal), second="c.txt")
    )
    assert {s.op for s in plan.steps} == {Op.SAME}
