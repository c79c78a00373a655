"""The embedded engine: runs stack programs in-process through the Pulumi SDK."""

from provisioner.engines.embedded.engine import PROJECT, EmbeddedEngine

__all__ = ["PROJECT", "EmbeddedEngine"]
