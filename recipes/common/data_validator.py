"""Recipes: data validators, which run in the steps and need no infrastructure."""

from __future__ import annotations

from provisioner.recipes.common.config_only import ConfigOnlyComponent


class PanderaDataValidator(ConfigOnlyComponent):
    """The pandera data validator: runs in the steps, creates nothing."""

    KIND = "PanderaDataValidator"


class EvidentlyDataValidator(ConfigOnlyComponent):
    """The Evidently data validator: runs in the steps, creates nothing."""

    KIND = "EvidentlyDataValidator"
