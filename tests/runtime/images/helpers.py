"""Helpers for image tests: stacks with an image builder, and running a command in an image."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from pathlib import Path

from provisioner.catalog.types import ComponentType
from provisioner.stackconfig import ComponentConnection, StackConfig

MODULE = """
from provisioner.runtime import pipeline, step

GREETING = "hello"

@step
def greet(name: str) -> str:
    return f"{GREETING} {name}"

@pipeline
def greeting(name: str = "pod"):
    greet(name)
"""


def with_builder(stack: StackConfig, registry: str, base: str, **config) -> StackConfig:
    """``stack`` plus the local container registry at ``registry`` and a local image builder."""
    stack.components[ComponentType.CONTAINER_REGISTRY] = ComponentConnection(
        flavor="local", config={"uri": registry}
    )
    stack.components[ComponentType.IMAGE_BUILDER] = ComponentConnection(
        flavor="local", config={"base_image": base, **config}
    )
    return stack


def project(root: Path, module: str = MODULE, name: str = "greet_pipes") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{name}.py").write_text(module)
    return root


def run_in_image(image: str, *command: str) -> subprocess.CompletedProcess:
    """``command`` in ``image`` (pulled from its loopback registry) with buildah."""
    exe = shutil.which("buildah")
    assert exe
    ctr = subprocess.run(
        [exe, "from", "--quiet", "--tls-verify=false", image],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    try:
        return subprocess.run(
            [exe, "run", "--isolation", "chroot", ctr, "--", *command],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        subprocess.run([exe, "rm", ctr], capture_output=True)


def manifest(image: str) -> dict:
    """The manifest of ``registry/repo:tag`` (loopback registry, no login)."""
    name, tag = image.rsplit(":", 1)
    registry, repo = name.split("/", 1)
    req = urllib.request.Request(
        f"http://{registry}/v2/{repo}/manifests/{tag}",
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())
