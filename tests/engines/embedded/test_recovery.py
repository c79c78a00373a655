"""The recovery branches for operations a killed run left pending: an interrupted update, a
create whose provider cannot adopt, and a settlement that fails and stays pending."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from provisioner.engines.model import EventKind, Op
from provisioner.errors import OperationError
from tests.engines.embedded import noadopt
from tests.engines.embedded.programs import folder_program

KILLED = -signal.SIGKILL


def program(ws, **kw):
    return folder_program(str(ws.root), str(ws.journal), **kw)


def warnings_of(events) -> list[str]:
    return [e.message for e in events if e.kind == EventKind.DIAGNOSTIC]


@pytest.mark.parametrize("point", ["before-update", "after-update"])
def test_an_interrupted_update_is_reapplied(engine, ws, checkpoint_of, point):
    assert ws.run("up").returncode == 0
    killed = ws.run("up", content="v2", failpoint=f"{point}:f-a")
    assert killed.returncode == KILLED, killed.stderr
    assert [p["op"] for p in checkpoint_of()["pending"]] == ["update"]

    events: list = []
    up = engine.up_program("dev", program(ws, content="v2"), events.append)

    assert "the update of f-a was interrupted; the next up re-applies it if it is still needed" in (
        warnings_of(events)
    )
    assert {s.name: s.op for s in up.steps}["f-a"] == Op.UPDATE  # the state held the old inputs
    assert ws.files() == {"a.txt": "v2", "b.txt": "a has 2 bytes"}
    assert checkpoint_of()["pending"] == []
    assert not engine.preview_program("dev", program(ws, content="v2")).has_changes


def test_a_create_that_cannot_be_adopted_is_reported_and_not_recorded(engine, ws, checkpoint_of):
    script = Path(noadopt.__file__)
    args = [sys.executable, str(script), str(ws.root), str(ws.journal)]
    killed = subprocess.run([*args, "after-create:m"], capture_output=True, text=True, timeout=60)
    assert killed.returncode == KILLED, killed.stderr
    assert set(ws.files()) == {"m.txt"}

    events: list = []
    engine.preview_program("dev", noadopt.marker_program(str(ws.root), str(ws.journal)))
    with pytest.raises(OperationError, match="already exists"):
        engine.up_program(
            "dev", noadopt.marker_program(str(ws.root), str(ws.journal)), events.append
        )

    assert (
        "the create of m (pulumi-python:dynamic:Resource) was interrupted and its provider "
        "cannot adopt what it left; a resource may exist outside the state"
    ) in warnings_of(events)
    assert checkpoint_of()["pending"] == []  # reported once, not on every run
    (ws.root / "m.txt").unlink()  # the user removes what the warning named
    engine.up_program("dev", noadopt.marker_program(str(ws.root), str(ws.journal)))
    assert ws.files() == {"m.txt": "m"}


def test_a_settlement_that_fails_stays_pending_until_it_succeeds(engine, ws, checkpoint_of):
    assert ws.run("up").returncode == 0
    killed = ws.run("destroy", failpoint="before-delete:f-b")
    assert killed.returncode == KILLED, killed.stderr
    (ws.root / "b.txt").unlink()
    (ws.root / "b.txt").mkdir()  # something now blocks the delete

    with pytest.raises(
        OperationError, match=r"settling the interrupted delete of f-b \(.*\) failed"
    ):
        engine.destroy("dev")
    assert [p["op"] for p in checkpoint_of()["pending"]] == ["delete"]

    (ws.root / "b.txt").rmdir()
    events: list = []
    engine.destroy("dev", events.append)
    assert "finished the interrupted delete of f-b" in warnings_of(events)
    assert ws.files() == {} and checkpoint_of() is None


@pytest.mark.parametrize(
    ("options", "created", "files"),
    [
        ({}, "b.txt", {"a.txt", "b.txt"}),
        ({"second": "c.txt"}, "c.txt", {"a.txt", "c.txt"}),  # a replace: b goes after adopting c
    ],
)
def test_a_create_killed_after_the_provider_ran_is_adopted_in_place(
    engine, ws, checkpoint_of, options, created, files
):
    if options:
        assert ws.run("up").returncode == 0
    killed = ws.run("up", failpoint="after-create:f-b", **options)
    assert killed.returncode == KILLED, killed.stderr

    events: list = []
    engine.up_program("dev", program(ws, **options), events.append)

    path = ws.root / created
    assert f"adopted f-b ({path}), created by an interrupted run" in warnings_of(events)
    assert ws.calls().count(f"create {created}") == 1 and f"adopt {created}" in ws.calls()
    assert set(ws.files()) == files
    state = checkpoint_of()
    assert state["pending"] == []
    (b,) = [r for r in state["resources"] if r["name"] == "f-b"]
    assert b["id"] == str(path) and b["outputs"]["size"] == len("a has 2 bytes")
    assert not engine.preview_program("dev", program(ws, **options)).has_changes
