"""The Engine interface on a real stack definition (the shipped local-recipe)."""

from __future__ import annotations

from provisioner.engines.model import Op
from provisioner.program import COMPONENTS_OUTPUT
from provisioner.spec.loader import load_stack


def test_local_recipe_preview_up_destroy(engine, provisioner_home):
    stack = load_stack("local-recipe")

    plan = engine.preview(stack)
    assert plan.steps and {s.op for s in plan.steps} == {Op.CREATE}
    assert (
        plan.steps[0].urn
        == f"urn:pulumi:{stack.name}::provisioner::pulumi:pulumi:Stack::provisioner-{stack.name}"
    )
    assert not plan.offline

    up = engine.up(stack)
    components = up.outputs[COMPONENTS_OUTPUT]
    assert set(components) == {"orchestrator", "artifact_store"}
    assert engine.outputs(stack.name) == up.outputs
    assert {s.op for s in engine.preview(stack).steps} == {Op.SAME}

    down = engine.destroy(stack.name)
    assert {s.op for s in down.steps} == {Op.DELETE} and len(down.steps) == len(up.steps)
    assert not engine.has_state(stack.name)
