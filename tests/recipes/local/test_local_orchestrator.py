"""Mocks test of the local orchestrator recipe."""

from __future__ import annotations

from provisioner.recipes.local.flavors import LocalOrchestratorConfig
from provisioner.recipes.local.orchestrator import LocalOrchestrator


def test_workspace_and_connection(prov_home, ctx, monitor, deploy):
    config = LocalOrchestratorConfig(max_workers=3)
    out = deploy(lambda: LocalOrchestrator("demo-orchestrator", config, ctx))

    comp = monitor.by_name("demo-orchestrator")
    assert comp.type == "provisioner:local:Orchestrator" and not comp.custom
    assert comp.inputs == {"max_workers": 3}  # a plan shows a change of it
    child = monitor.by_name("demo-orchestrator-workspace")
    assert child.type == "pulumi-python:dynamic/provisioner:LocalDirectory" and child.custom
    assert child.parent == comp.urn
    workspace = str(prov_home / "workspaces" / "demo")
    assert child.inputs["path"] == workspace
    assert child.inputs["guard_data"] is False
    assert out["connection"] == {"max_workers": 3, "workspace": workspace}
    assert len(monitor.registrations) == 2
