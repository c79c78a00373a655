"""provisioner: provision MLOps stacks from a stack definition and run pipelines on them."""

__version__ = "0.1.0"
