"""The local image builder's buildah strategy: a user's Dockerfile built with
``buildah bud --isolation chroot``; the CA bundle reaches RUN steps as a build secret only."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from provisioner.runtime import connect
from provisioner.runtime.images.buildah import ca_bundle
from tests.runtime.conftest import make_stack
from tests.runtime.images.helpers import project, run_in_image, with_builder

pytestmark = pytest.mark.slow

DOCKERFILE = """\
ARG BASE_IMAGE
FROM $BASE_IMAGE
RUN --mount=type=secret,id=ca-bundle,target=/run/secrets/ca-bundle \\
    sh -c 'test -s /run/secrets/ca-bundle && wc -c < /run/secrets/ca-bundle > /ca-bundle-size'
COPY app /app
ENV PYTHONPATH=/app
"""


def test_user_dockerfile_gets_the_ca_bundle_as_a_secret_never_in_the_image(
    tmp_path, oci_registry, base_image
):
    bundle = ca_bundle()
    assert bundle is not None, "this machine has no CA bundle"
    root = project(tmp_path / "proj")
    (tmp_path / "docker").mkdir()
    dockerfile = tmp_path / "docker" / "Dockerfile"
    dockerfile.write_text(DOCKERFILE)
    stack = with_builder(
        make_stack("local", root=tmp_path),
        oci_registry,
        base_image,
        strategy="buildah",
        dockerfile=str(dockerfile),
    )
    with connect(stack) as conn:
        built = conn.image_builder.build(source_root=root)
    assert built.strategy == "buildah" and not built.skipped

    out = run_in_image(
        built.pinned,
        "sh",
        "-c",
        "cat /ca-bundle-size; test -e /run/secrets/ca-bundle && echo LEAKED; "
        "grep -c GREETING /app/greet_pipes.py",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(bundle.stat().st_size), "2"]
    inspect = subprocess.run(
        [shutil.which("buildah"), "inspect", "--type", "image", built.pinned],
        capture_output=True,
        text=True,
    )
    history = json.dumps(json.loads(inspect.stdout).get("History") or [])
    assert "BEGIN CERTIFICATE" not in history and str(bundle) not in history

    with connect(stack) as conn:
        assert conn.image_builder.build(source_root=root).skipped
