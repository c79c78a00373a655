"""The shipped local stack definitions run through the real program builder under mocks."""

from __future__ import annotations

import pulumi
import pytest

from provisioner.program import COMPONENTS_OUTPUT, build_program
from provisioner.spec.loader import load_stack


def run_program(stack, monkeypatch) -> dict:
    exported: dict = {}
    program = build_program(stack)

    @pulumi.runtime.test
    def run():
        program()
        return None

    monkeypatch.setattr(pulumi, "export", exported.__setitem__)
    run()
    resolved: dict = {}

    @pulumi.runtime.test
    def resolve():
        return pulumi.Output.from_input(exported[COMPONENTS_OUTPUT]).apply(resolved.update)

    resolve()
    return resolved


@pytest.mark.parametrize("recipe", ["local-recipe", "local-registry-recipe"])
def test_shipped_local_recipes(recipe, prov_home, monitor, monkeypatch):
    stack = load_stack(recipe)
    components = run_program(stack, monkeypatch)

    assert set(components) == {str(t) for t in stack.components}
    for type_, entry in components.items():
        comp = monitor.by_name(f"{stack.name}-{type_.replace('_', '-')}")
        assert comp.type.startswith("provisioner:local:")
        children = [r for r in monitor.registrations if r.parent == comp.urn]
        assert children and all(c.name.startswith(comp.name + "-") for c in children)
        assert entry["flavor"] == stack.components[type_].flavor.name
    assert components["artifact_store"]["connection"] == {
        "uri": str(prov_home / "artifacts" / stack.name)
    }
    assert components["orchestrator"]["connection"]["workspace"] == str(
        prov_home / "workspaces" / stack.name
    )
    if "container_registry" in components:
        service = prov_home / "services" / stack.name / f"{stack.name}-container-registry"
        assert components["container_registry"]["connection"] == {
            "uri": "127.0.0.1:5123",
            "credentials_file": str(service / "credentials.json"),
        }
        assert components["experiment_tracker"]["connection"]["tracking_uri"].startswith(
            f"file://{prov_home}/mlruns/"
        )


def test_every_local_flavor_recipe_loads():
    from provisioner.recipes.common.config_only import ConfigOnlyComponent
    from provisioner.recipes.local.flavors import FLAVORS

    for flavor in FLAVORS:
        builder = flavor.load_recipe()
        assert issubclass(builder, pulumi.ComponentResource), flavor.recipe
        if issubclass(builder, ConfigOnlyComponent):  # token: provisioner:<stack's cloud>:KIND
            assert builder.KIND, flavor.recipe
        else:
            assert builder.TYPE.startswith("provisioner:local:"), builder.TYPE
        assert flavor.dynamic_only
