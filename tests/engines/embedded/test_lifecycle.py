"""Preview, up, update, replace, delete and destroy through the embedded engine."""

from __future__ import annotations

import pytest

from provisioner.engines.model import UNKNOWN, DiffKind, EventKind, Op, Secret
from provisioner.errors import OperationError
from tests.engines.embedded.programs import folder_program

A = "urn:pulumi:dev::provisioner::provisioner:test:Folder$pulumi-python:dynamic:Resource::f-a"
B = "urn:pulumi:dev::provisioner::provisioner:test:Folder$pulumi-python:dynamic:Resource::f-b"
FOLDER = "urn:pulumi:dev::provisioner::provisioner:test:Folder::f"
STACK = "urn:pulumi:dev::provisioner::pulumi:pulumi:Stack::provisioner-dev"


def ops(plan) -> dict[str, Op]:
    return {s.name: s.op for s in plan.steps}


def program(ws, **kw):
    return folder_program(str(ws.root), str(ws.journal), **kw)


def test_preview_before_deploy_is_all_create_and_touches_nothing(engine, ws, checkpoint_of):
    plan = engine.preview_program("dev", program(ws))

    assert [s.urn for s in plan.steps] == [STACK, FOLDER, A, B]
    assert {s.op for s in plan.steps} == {Op.CREATE}
    assert plan.steps[2].parent == FOLDER and plan.steps[2].inputs["content"] == "v1"
    # b's content derives from a's computed size: unknown before a exists.
    assert plan.steps[3].inputs["content"] is UNKNOWN
    assert plan.outputs["b_content"] is UNKNOWN
    assert plan.outputs["token"] == Secret("hush")
    assert not plan.offline
    assert ws.calls() == [] and ws.files() == {}
    assert checkpoint_of() is None
    assert not engine.has_state("dev")


def test_up_creates_in_dependency_order_and_records_state(engine, ws, checkpoint_of):
    events = []
    plan = engine.up_program("dev", program(ws), events.append)

    assert ops(plan) == dict.fromkeys(["provisioner-dev", "f", "f-a", "f-b"], Op.CREATE)
    assert ws.calls() == ["create a.txt", "create b.txt"]
    assert ws.files() == {"a.txt": "v1", "b.txt": "a has 2 bytes"}
    assert plan.outputs["b_content"] == "a has 2 bytes"
    assert plan.outputs["token"] == Secret("hush")
    assert engine.outputs("dev") == plan.outputs

    state = checkpoint_of()
    assert state["pending"] == []
    by_urn = {r["urn"]: r for r in state["resources"]}
    assert set(by_urn) == {STACK, FOLDER, A, B}
    assert by_urn[B]["dependencies"] == [A] and by_urn[B]["parent"] == FOLDER
    assert by_urn[B]["id"] == str(ws.root / "b.txt")
    assert by_urn[B]["outputs"]["size"] == len("a has 2 bytes")
    assert by_urn[B]["provider"] and not by_urn[FOLDER]["provider"]
    sealed = state["outputs"]["token"]["__secret__"]  # encrypted: see test_secrets.py
    assert set(sealed) == {"ciphertext", "v"} and "hush" not in sealed["ciphertext"]

    started = [e.step.name for e in events if e.kind == EventKind.STEP_START]
    assert started == ["f-a", "f-b"]
    assert events[-1].kind == EventKind.SUMMARY
    assert engine.has_state("dev")
    assert engine.state_location("dev").endswith("/stacks/dev/checkpoint.json")


def test_second_preview_and_up_are_no_ops(engine, ws):
    engine.up_program("dev", program(ws))

    plan = engine.preview_program("dev", program(ws))
    assert set(ops(plan).values()) == {Op.SAME} and not plan.has_changes
    assert plan.outputs["b_content"] == "a has 2 bytes"

    again = engine.up_program("dev", program(ws))
    assert set(ops(again).values()) == {Op.SAME}
    assert ws.calls() == ["create a.txt", "create b.txt"]


def test_changed_input_is_an_update_of_exactly_that_property(engine, ws):
    engine.up_program("dev", program(ws))

    plan = engine.preview_program("dev", program(ws, content="v22"))
    assert ops(plan)["f-a"] == Op.UPDATE
    (diff,) = plan.steps[2].diffs
    assert (diff.path, diff.kind, diff.old, diff.new, diff.replaces) == (
        "content",
        DiffKind.UPDATE,
        "v1",
        "v22",
        False,
    )
    # b's content comes from a's size, unknown until a is updated.
    assert ops(plan)["f-b"] == Op.UPDATE and plan.steps[3].diffs[0].new is UNKNOWN

    up = engine.up_program("dev", program(ws, content="v22"))
    assert ops(up) == {"provisioner-dev": Op.SAME, "f": Op.SAME, "f-a": Op.UPDATE, "f-b": Op.UPDATE}
    assert ws.files() == {"a.txt": "v22", "b.txt": "a has 3 bytes"}
    assert ws.calls()[2:] == ["update a.txt", "update b.txt"]


def test_replace_creates_before_deleting(engine, ws):
    engine.up_program("dev", program(ws))

    plan = engine.preview_program("dev", program(ws, second="c.txt"))
    step = plan.steps[3]
    assert step.op == Op.REPLACE and step.replace_reasons == ["path"]
    assert [(d.path, d.replaces) for d in step.diffs] == [("path", True)]

    up = engine.up_program("dev", program(ws, second="c.txt"))
    assert ops(up)["f-b"] == Op.REPLACE and up.summary()[Op.REPLACE] == 1
    assert ws.calls()[2:] == ["create c.txt", "delete b.txt"]
    assert set(ws.files()) == {"a.txt", "c.txt"}
    assert set(ops(engine.preview_program("dev", program(ws, second="c.txt"))).values()) == {
        Op.SAME
    }


def test_delete_before_replace_deletes_first(engine, ws):
    engine.up_program("dev", program(ws, dbr=True))

    engine.up_program("dev", program(ws, second="c.txt", dbr=True))
    assert ws.calls()[2:] == ["delete b.txt", "create c.txt"]


def test_resource_removed_from_program_is_deleted(engine, ws):
    engine.up_program("dev", program(ws, extra=True))
    assert "extra.txt" in ws.files()

    plan = engine.preview_program("dev", program(ws))
    assert ops(plan)["extra"] == Op.DELETE and "extra.txt" in ws.files()

    up = engine.up_program("dev", program(ws))
    assert ops(up)["extra"] == Op.DELETE
    assert "extra.txt" not in ws.files()


def test_destroy_deletes_everything_in_reverse_order_then_is_a_no_op(
    engine, ws, checkpoint_of, provisioner_home
):
    engine.up_program("dev", program(ws))
    config = provisioner_home / "stacks" / "dev" / "stack-config.yaml"
    config.write_text("kept: true\n")

    plan = engine.destroy("dev")
    assert [s.name for s in plan.steps] == ["f-b", "f-a", "f", "provisioner-dev"]
    assert {s.op for s in plan.steps} == {Op.DELETE}
    assert ws.calls()[2:] == ["delete b.txt", "delete a.txt"]
    assert ws.files() == {}
    assert checkpoint_of() is None and not engine.has_state("dev")
    assert config.exists()  # not ours to delete
    assert engine.outputs("dev") == {}

    again = engine.destroy("dev")
    assert again.steps == [] and ws.calls()[4:] == []


def test_destroy_works_without_the_program_definition(engine, ws):
    engine.up_program("dev", program(ws))
    # A fresh engine with no program at hand: the recorded provider blobs suffice.
    from provisioner.engines.embedded import EmbeddedEngine

    EmbeddedEngine().destroy("dev")
    assert ws.files() == {}


def test_provider_failure_names_the_resource_keeps_progress_and_rerun_converges(
    engine, ws, checkpoint_of
):
    events = []
    with pytest.raises(OperationError) as err:
        engine.up_program("dev", program(ws, extra=True, fail="disk full"), events.append)
    assert "extra" in str(err.value) and "disk full" in str(err.value)
    assert [e.step.name for e in events if e.kind == EventKind.STEP_FAILED] == ["extra"]
    # Whatever was created is recorded: the state and the disk agree.
    recorded = {r["id"] for r in checkpoint_of()["resources"] if r["id"]}
    assert recorded == {str(p) for p in ws.root.iterdir()}
    assert ws.files() == {"a.txt": "v1", "b.txt": "a has 2 bytes"}
    assert checkpoint_of()["pending"] == []
    plan = engine.preview_program("dev", program(ws, extra=True))
    assert ops(plan) == {
        "provisioner-dev": Op.SAME,
        "f": Op.SAME,
        "f-a": Op.SAME,
        "f-b": Op.SAME,
        "extra": Op.CREATE,
    }

    engine.up_program("dev", program(ws, extra=True))
    assert ws.files() == {"a.txt": "v1", "b.txt": "a has 2 bytes", "extra.txt": "x"}
    assert ws.calls().count("create a.txt") == 1


def test_program_error_is_an_operation_error(engine, ws):
    def broken() -> None:
        raise ValueError("recipe exploded")

    with pytest.raises(OperationError, match="recipe exploded"):
        engine.up_program("dev", broken)
    with pytest.raises(OperationError, match="recipe exploded"):
        engine.preview_program("dev", broken)


def test_two_stacks_in_one_process_do_not_mix(engine, ws, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    engine.up_program("dev", program(ws))
    plan = engine.up_program("qa", folder_program(str(other), str(ws.journal)))
    assert plan.steps[0].urn == "urn:pulumi:qa::provisioner::pulumi:pulumi:Stack::provisioner-qa"
    assert set(ops(plan).values()) == {Op.CREATE}
    assert set(ops(engine.preview_program("dev", program(ws))).values()) == {Op.SAME}


def test_preview_asks_the_provider_about_unknown_inputs(engine, ws):
    """A replace-forcing input that is unknown in the preview is still planned as a replace."""
    import pulumi

    from tests.engines.embedded.fileprovider import File

    def prog(content: str):
        def program() -> None:
            a = File("a", f"{ws.root}/a.txt", content, str(ws.journal))
            path = a.size.apply(lambda s: f"{ws.root}/b{int(s)}.txt")
            File("b", path, "b", str(ws.journal), pulumi.ResourceOptions(depends_on=[a]))

        return program

    engine.up_program("dev", prog("v1"))
    plan = engine.preview_program("dev", prog("v22"))
    assert ops(plan) == {"provisioner-dev": Op.SAME, "a": Op.UPDATE, "b": Op.REPLACE}
    assert plan.steps[2].replace_reasons == ["path"]
    engine.up_program("dev", prog("v22"))
    assert ws.files() == {"a.txt": "v22", "b3.txt": "b"}


def test_runs_leave_the_callers_event_loop_alone(engine, ws):
    import asyncio

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        engine.up_program("dev", program(ws))
        assert asyncio.get_event_loop() is loop

        async def inside_a_running_loop():
            return engine.preview_program("dev", program(ws))

        plan = loop.run_until_complete(inside_a_running_loop())
        assert {s.op for s in plan.steps} == {Op.SAME}
    finally:
        loop.close()
        # Leave a usable loop behind, as other tests' set_mocks expect one.
        asyncio.set_event_loop(asyncio.new_event_loop())


def test_component_inputs_are_diffed_without_a_provider(engine):
    import pulumi

    def prog(workers: int):
        def program() -> None:
            pulumi.ComponentResource("provisioner:test:Box", "box", {"workers": workers})

        return program

    engine.up_program("dev", prog(4))
    assert ops(engine.preview_program("dev", prog(4)))["box"] == Op.SAME
    plan = engine.preview_program("dev", prog(8))
    step = plan.steps[1]
    assert step.op == Op.UPDATE and [(d.path, d.old, d.new) for d in step.diffs] == [
        ("workers", 4, 8)
    ]
    assert ops(engine.up_program("dev", prog(8)))["box"] == Op.UPDATE
    assert ops(engine.preview_program("dev", prog(8)))["box"] == Op.SAME
