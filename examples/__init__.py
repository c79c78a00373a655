"""Example pipelines for the provisioner runtime."""
