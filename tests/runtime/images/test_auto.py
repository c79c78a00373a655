"""When ``pipeline run`` builds the step image by itself."""

from __future__ import annotations

from provisioner.catalog.types import ComponentType
from provisioner.runtime.images.auto import can_build, needs_image
from provisioner.stackconfig import ComponentConnection
from tests.runtime.conftest import make_stack
from tests.runtime.images.helpers import with_builder


def test_only_a_container_orchestrator_with_an_image_builder_builds(tmp_path):
    stack = make_stack("local", root=tmp_path)
    assert not needs_image(stack) and not can_build(stack)
    with_builder(stack, "127.0.0.1:5000", "base")
    assert can_build(stack) and not needs_image(stack)  # the local orchestrator runs here
    stack.components[ComponentType.ORCHESTRATOR] = ComponentConnection(
        flavor="kubernetes", config={"namespace": "ml"}
    )
    assert needs_image(stack)
