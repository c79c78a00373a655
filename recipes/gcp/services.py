"""The project APIs a recipe needs, enabled once per stack and never disabled on destroy."""

from __future__ import annotations

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.gcp.sdk import gcp


def enable(
    owner: pulumi.ComponentResource, name: str, ctx: RecipeContext, apis: tuple[str, ...]
) -> list[gcp.projects.Service]:
    """One ``gcp.projects.Service`` per API, reusing a sibling's when it enabled it already.

    ``disable_on_destroy=False``: destroying the stack never turns off an API that other
    workloads of the project may use. Each enabled API is kept on ``owner.apis``.
    """
    known: dict[str, gcp.projects.Service] = {}
    for component in ctx.components.values():
        known.update(getattr(component, "apis", {}))
    mine: dict[str, gcp.projects.Service] = {}
    for api in apis:
        if api not in known:
            mine[api] = gcp.projects.Service(
                f"{name}-api-{api.split('.')[0]}",
                project=ctx.spec.project,
                service=api,
                disable_on_destroy=False,
                disable_dependent_services=False,
                opts=pulumi.ResourceOptions(parent=owner),
            )
    owner.apis = mine  # type: ignore[attr-defined]
    return [known.get(api) or mine[api] for api in apis]
