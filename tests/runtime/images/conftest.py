"""Session fixtures: a real docker-registry on 127.0.0.1 holding the test base image, and a
dependency-layer cache shared by the session's builds."""

from __future__ import annotations

import pytest

from provisioner.runtime.images.local import ENV_LAYER_CACHE
from tests.handoff import services
from tests.runtime.images.registry import base_rootfs, push_base
from tests.runtime.kubernetes.conftest import (  # noqa: F401  (the fake API, host-mode kubelet)
    api_url,
    cluster,
    kubelet,
    project,
)


@pytest.fixture(scope="session")
def oci_registry(tmp_path_factory) -> str:
    """``127.0.0.1:PORT`` of a docker-registry with no login (as the local recipe can run it)."""
    with services.docker_registry(tmp_path_factory.mktemp("oci"), htpasswd=False) as (port, _):
        yield f"127.0.0.1:{port}"


@pytest.fixture(scope="session")
def base_image(oci_registry) -> str:
    """The Debian bookworm Python base image, pushed to :func:`oci_registry`."""
    return push_base(oci_registry, base_rootfs())


@pytest.fixture(scope="session")
def layer_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("image-layers")


@pytest.fixture(autouse=True)
def _layer_cache(layer_cache, monkeypatch):
    monkeypatch.setenv(ENV_LAYER_CACHE, str(layer_cache))
