"""A real Label Studio server for tests: started once per session from the cached environment.

The environment (about 1 GB) and the migrated seed data dir live under
``$PROVISIONER_SERVICE_VENVS`` (default ``~/.cache/provisioner-test/venvs``, outside the
clone), keyed by what they are built from, so a machine builds them once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from provisioner.recipes.local.providers import venvs

#: Where the tests keep server environments between sessions.
CACHE = Path.home() / ".cache" / "provisioner-test" / "venvs"


def use_venv_cache(mp: pytest.MonkeyPatch) -> None:
    """Point service environments at the test cache, unless the caller chose a place."""
    if not os.environ.get(venvs.VENVS_ENV):
        mp.setenv(venvs.VENVS_ENV, str(CACHE))


@pytest.fixture(scope="session")
def label_studio_server(tmp_path_factory) -> Iterator[dict[str, Any]]:
    """A Label Studio started by the local flavor's provider; its create outputs."""
    from provisioner.recipes.local.providers.label_studio import LocalLabelStudioProvider

    mp = pytest.MonkeyPatch()
    use_venv_cache(mp)
    provider = LocalLabelStudioProvider()
    props = {
        "service_dir": str(tmp_path_factory.mktemp("label-studio") / "service"),
        "listen_port": 0,
        "username": "admin@provisioner.local",
    }
    outs = provider.create(props).outs
    try:
        yield outs
    finally:
        provider.delete(outs["service_dir"], outs)
        mp.undo()
