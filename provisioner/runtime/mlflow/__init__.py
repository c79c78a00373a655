"""MLflow: the experiment tracker, model registry and model deployer clients of its flavors."""
