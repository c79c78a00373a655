"""Artifact store backends, picked by the store URI's scheme (SDKs imported on use)."""

from provisioner.runtime.stores.base import ArtifactStore
from provisioner.runtime.stores.factory import open_store, store_uri

__all__ = ["ArtifactStore", "open_store", "store_uri"]
