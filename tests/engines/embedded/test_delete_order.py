"""Children are deleted before their parent, even when the state records the parent last."""

from __future__ import annotations

import json

import pulumi

from provisioner.engines.model import Op
from tests.engines.embedded.fileprovider import File


def parent_and_child(ws, parent_file: str, *, keep: bool = True):
    """A file ``p`` with a child file ``c`` (parent only, no dependency between them)."""

    def program() -> None:
        if not keep:
            return
        parent = File("p", f"{ws.root}/{parent_file}", "parent", str(ws.journal))
        File(
            "c", f"{ws.root}/c.txt", "child", str(ws.journal), pulumi.ResourceOptions(parent=parent)
        )

    return program


def _state_order(checkpoint_of) -> list[str]:
    return [r["name"] for r in checkpoint_of()["resources"] if r["name"] in ("p", "c")]


def _replace_parent(engine, ws, checkpoint_of) -> None:
    """Deploy, then replace the parent: the new parent is recorded after its child."""
    engine.up_program("dev", parent_and_child(ws, "p1.txt"))
    assert _state_order(checkpoint_of) == ["p", "c"]
    up = engine.up_program("dev", parent_and_child(ws, "p2.txt"))
    assert {s.name: s.op for s in up.steps}["p"] == Op.REPLACE
    assert _state_order(checkpoint_of) == ["c", "p"], "the state now lists the child first"
    assert set(ws.files()) == {"p2.txt", "c.txt"}


def test_destroy_deletes_a_child_before_a_parent_recorded_after_it(engine, ws, checkpoint_of):
    _replace_parent(engine, ws, checkpoint_of)
    before = len(ws.calls())

    plan = engine.destroy("dev")

    assert ws.calls()[before:] == ["delete c.txt", "delete p2.txt"]
    deleted = [s.name for s in plan.steps if s.op == Op.DELETE and s.name in ("p", "c")]
    assert deleted == ["c", "p"]
    assert ws.files() == {}


def test_an_up_that_drops_both_deletes_the_child_first(engine, ws, checkpoint_of):
    _replace_parent(engine, ws, checkpoint_of)
    before = len(ws.calls())

    engine.up_program("dev", parent_and_child(ws, "p2.txt", keep=False))

    assert ws.calls()[before:] == ["delete c.txt", "delete p2.txt"]
    assert json.dumps(checkpoint_of()["resources"]).count('"name": "p"') == 0
