"""The Pulumi engine: Automation API with the Pulumi CLI (the only package importing pulumi.automation)."""

from provisioner.engines.pulumi.cli import (
    ensure_pulumi_cli,
    install_pulumi_cli,
    missing_cli_message,
    pulumi_cli_available,
)
from provisioner.engines.pulumi.engine import PulumiEngine

__all__ = [
    "PulumiEngine",
    "ensure_pulumi_cli",
    "install_pulumi_cli",
    "missing_cli_message",
    "pulumi_cli_available",
]
