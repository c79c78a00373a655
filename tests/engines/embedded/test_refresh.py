"""Refresh reads every resource back and records drift."""

from __future__ import annotations

from provisioner.engines.model import DiffKind, Op
from tests.engines.embedded.programs import folder_program


def program(ws):
    return folder_program(str(ws.root), str(ws.journal))


def test_refresh_without_drift(engine, ws):
    engine.up_program("dev", program(ws))
    result = engine.refresh("dev")
    assert result.checked == 2 and result.drift == []


def test_refresh_detects_changed_and_deleted_resources(engine, ws, checkpoint_of):
    engine.up_program("dev", program(ws))
    (ws.root / "a.txt").write_text("tampered")
    (ws.root / "b.txt").unlink()

    result = engine.refresh("dev")
    assert result.checked == 2
    drift = {d.name: d for d in result.drift}
    assert drift["f-b"].gone
    changed = {d.path: (d.kind, d.old, d.new) for d in drift["f-a"].diffs}
    assert changed == {
        "content": (DiffKind.UPDATE, "v1", "tampered"),
        "size": (DiffKind.UPDATE, 2, 8),
    }
    # The state now holds what was read: b is forgotten, a's content is the tampered one.
    by_name = {r["name"]: r for r in checkpoint_of()["resources"]}
    assert "f-b" not in by_name and by_name["f-a"]["outputs"]["content"] == "tampered"

    # The next up repairs both.
    plan = engine.up_program("dev", program(ws))
    ops = {s.name: s.op for s in plan.steps}
    assert ops["f-a"] == Op.UPDATE and ops["f-b"] == Op.CREATE
    assert ws.files() == {"a.txt": "v1", "b.txt": "a has 2 bytes"}
    assert engine.refresh("dev").drift == []


def test_refresh_of_a_stack_without_state(engine):
    result = engine.refresh("nothing")
    assert result.checked == 0 and result.drift == []
