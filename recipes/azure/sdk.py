"""``pulumi_azure_native`` for the recipes, one service module at a time.

The SDK is the largest of the cloud SDKs (about 350 MB). Its services are separate modules
(``pulumi_azure_native.storage``...); reading ``azure.storage`` here imports that one module,
on first use, and nothing else of the SDK.

Recipes write ``from provisioner.recipes.azure.sdk import azure`` instead of
``import pulumi_azure_native as azure``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from provisioner.errors import UserInputError

#: The package, importable or not; the error names the integration that installs it.
PACKAGE = "pulumi_azure_native"


class _Services:
    """``azure.<service>`` imports ``pulumi_azure_native.<service>`` when first read."""

    def __getattr__(self, service: str) -> ModuleType:
        if service.startswith("_"):
            raise AttributeError(service)
        try:
            module = importlib.import_module(f"{PACKAGE}.{service}")
        except ImportError as exc:
            if exc.name not in (PACKAGE, f"{PACKAGE}.{service}"):
                raise
            if exc.name == PACKAGE:
                raise UserInputError(
                    "the Azure recipes need the pulumi-azure-native package",
                    hint="install it with `provisioner integration install azure` "
                    "(or: pip install 'provisioner[azure]')",
                ) from None
            raise AttributeError(f"{PACKAGE} has no service {service!r}") from None
        setattr(self, service, module)
        return module


azure = _Services()

__all__ = ["azure"]
