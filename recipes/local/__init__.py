"""Local recipes: orchestrator, artifact store, container registry and MLflow on this machine.

Kept import-free: the catalog imports ``flavors`` without loading Pulumi.
"""
