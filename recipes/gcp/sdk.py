"""``pulumi_gcp`` for the recipes, loading each service one resource module at a time.

Touching ``gcp.container`` whole costs seconds (its ``__init__`` imports every GKE resource and
their types); the recipes need a few classes. See :mod:`provisioner.recipes.sdk_loader`.

Recipes write ``from provisioner.recipes.gcp.sdk import gcp`` instead of
``import pulumi_gcp as gcp``.
"""

from __future__ import annotations

import pulumi_gcp as gcp

from provisioner.recipes.sdk_loader import per_resource

per_resource(gcp)

__all__ = ["gcp"]
