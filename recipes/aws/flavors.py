"""AWS flavors: their config models and catalog entries (no recipe code is imported here)."""

from __future__ import annotations

from provisioner.catalog.flavor import Flavor

FLAVORS: list[Flavor] = []
