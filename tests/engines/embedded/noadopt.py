"""A provider without ``adopt``, and a subprocess entry point that deploys it (crash tests).

``python noadopt.py <root> <journal> [failpoint]`` deploys one Marker file under ``root``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pulumi.dynamic import Resource

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.engines.embedded.fileprovider import FileProvider


class MarkerProvider(FileProvider):
    """A FileProvider that cannot adopt what an interrupted create left."""

    adopt = None  # type: ignore[assignment]


class Marker(Resource):
    def __init__(self, name: str, path: str, journal: str) -> None:
        props = {"path": path, "content": "m", "size": None}
        super().__init__(MarkerProvider(journal), name, props)


def marker_program(root: str, journal: str):
    def program() -> None:
        Marker("m", f"{root}/m.txt", journal)

    return program


if __name__ == "__main__":
    from provisioner.engines import failpoints
    from provisioner.engines.embedded import EmbeddedEngine
    from tests.engines.embedded.noadopt import marker_program as program

    root, journal, *rest = sys.argv[1:]
    if rest:
        os.environ[failpoints.ENV_VAR] = rest[0]
    EmbeddedEngine().up_program("dev", program(root, journal))
