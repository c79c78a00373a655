"""Recipes: step operators that need no infrastructure of their own."""

from __future__ import annotations

from provisioner.recipes.common.config_only import ConfigOnlyComponent


class ProcessStepOperator(ConfigOnlyComponent):
    """Steps in their own Python processes here; connection: the config."""

    KIND = "ProcessStepOperator"


class KubernetesStepOperator(ConfigOnlyComponent):
    """Steps as Jobs on a cluster (the orchestrator's by default); connection: the config."""

    KIND = "KubernetesStepOperator"
