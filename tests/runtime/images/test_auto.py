"""When ``pipeline run`` builds the step image by itself."""

from __future__ import annotations

import json

import pytest

from provisioner.catalog.types import ComponentType
from provisioner.runtime.images.auto import can_build, needs_image
from provisioner.runtime.orchestrators.kubernetes import ENV_API_SERVER
from provisioner.stackconfig import ComponentConnection
from tests.runtime.cli_helpers import invoke
from tests.runtime.conftest import make_stack
from tests.runtime.images.helpers import with_builder
from tests.runtime.kubernetes.conftest import k8s_stack


def test_only_a_container_orchestrator_with_an_image_builder_builds(tmp_path):
    stack = make_stack("local", root=tmp_path)
    assert not needs_image(stack) and not can_build(stack)
    with_builder(stack, "127.0.0.1:5000", "base")
    assert can_build(stack) and not needs_image(stack)  # the local orchestrator runs here
    stack.components[ComponentType.ORCHESTRATOR] = ComponentConnection(
        flavor="kubernetes", config={"namespace": "ml"}
    )
    assert needs_image(stack)


@pytest.mark.slow
def test_an_image_given_on_the_command_line_is_not_built(
    tmp_path, moto_url, api_url, project, kubelet, monkeypatch
):
    stack = k8s_stack(tmp_path, moto_url)
    # an image builder whose registry does not answer: building would fail the run
    stack.components[ComponentType.IMAGE_BUILDER] = ComponentConnection(
        flavor="local", config={"base_image": "127.0.0.1:1/base:3.11"}
    )
    stack.write(tmp_path / "stack.yaml")
    monkeypatch.setenv(ENV_API_SERVER, api_url)
    target = f"{project / 'k8s_demo_pipes.py'}:one"
    given = invoke(
        "pipeline",
        "run",
        target,
        "--stack",
        str(tmp_path / "stack.yaml"),
        "--image",
        ":cli",
        "--json",
    )
    assert given.exit_code == 0, given.stderr
    assert json.loads(given.stdout)["status"] == "completed"

    built = invoke("pipeline", "run", target, "--stack", str(tmp_path / "stack.yaml"), "--json")
    assert built.exit_code == 1
    assert "cannot reach registry 127.0.0.1:1" in built.stderr and "Traceback" not in built.stderr
