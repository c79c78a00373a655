"""The ``append`` strategy: push a dependency layer and a code layer onto a base image that
is already in a registry, over the OCI distribution API (no daemon, no root).

A code change re-pushes only the code layer: the dependency layer is cached on this machine
by what it is built from, and the registry already holds its blob.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from provisioner.errors import OperationError
from provisioner.runtime.images.inputs import CODE_DIR, DEPS_DIR, BuildInputs
from provisioner.runtime.images.layers import EPOCH, Layer, tree_files, write_layer
from provisioner.runtime.images.oci import CONFIG_TYPE, LAYER_TYPE, RegistryClient, sha256
from provisioner.runtime.orchestrators.image_digest import ImageRef

#: The base image label that names its Python (``3.11``); official python images set
#: ``PYTHON_VERSION`` in their environment instead, which is read too.
PYTHON_LABEL = "dev.provisioner.python"
#: Wheels for these platforms (pip also takes older manylinux tags of the same family).
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_28_x86_64")

Progress = Callable[[str], None]


class IncompatibleBaseError(OperationError):
    """The base image's Python is unknown or differs from the running one."""


@dataclass(frozen=True)
class Base:
    """The base image as the registry holds it."""

    ref: ImageRef
    client: RegistryClient
    manifest: dict
    media_type: str
    digest: str
    config: dict
    python: str | None


def read_base(ref: ImageRef, client: RegistryClient) -> Base:
    """The base image's manifest, config and Python version.

    Raises:
        RegistryError: the registry cannot be reached, or has no such image.
    """
    from provisioner.runtime.images.oci import RegistryError

    found = client.get_manifest(ref.repository, ref.digest or ref.tag or "latest")
    if found is None:
        raise RegistryError(
            f"the base image {ref.name}:{ref.tag} is not in registry {ref.registry}",
            hint="push the base image first, or set the image builder's base_image",
        )
    manifest = found.data
    config = json.loads(client.get_blob(ref.repository, manifest["config"]["digest"]))
    return Base(ref, client, manifest, found.media_type, found.digest, config, python_of(config))


def python_of(config: dict) -> str | None:
    """``major.minor`` of the image's Python, from its label or ``PYTHON_VERSION``."""
    cfg = config.get("config") or {}
    label = (cfg.get("Labels") or {}).get(PYTHON_LABEL)
    if label:
        return ".".join(label.split(".")[:2])
    for env in cfg.get("Env") or []:
        if env.startswith("PYTHON_VERSION="):
            return ".".join(env.split("=", 1)[1].split(".")[:2])
    return None


def running_python() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def deps_layer(
    inputs: BuildInputs,
    key: str,
    python: str,
    platforms: tuple[str, ...],
    cache: Path,
    progress: Progress,
) -> Layer:
    """The dependency layer: wheels for the image's platform (``pip install --target
    --platform --only-binary=:all:``) and provisioner itself; built once per ``key``.

    Raises:
        OperationError: pip cannot find a wheel for a requirement on the image's platform.
    """
    out = cache / f"deps-{key[:32]}.tar.gz"
    meta = out.with_suffix(".json")
    if out.is_file() and meta.is_file():
        data = json.loads(meta.read_text())
        progress("dependency layer: cached")
        return Layer(out, data["digest"], data["diff_id"], out.stat().st_size)
    with tempfile.TemporaryDirectory(prefix="provisioner-deps-") as tmp:
        target = Path(tmp) / "site"
        cmd = install_command(inputs.requirements, target, python, platforms)
        progress(
            f"dependency layer: {Path(cmd[0]).name} install {len(inputs.requirements)} requirements"
        )
        proc = subprocess.run(cmd, capture_output=True, text=True, env=_pip_env())
        if proc.returncode != 0:
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
            raise OperationError(
                f"cannot fetch the step image's dependencies as wheels for Python {python} "
                f"on {platforms[0]}:\n{tail}",
                hint="a requirement without a binary wheel needs the image builder's "
                "`strategy: buildah` (a Dockerfile with RUN steps)",
            )
        shutil.rmtree(target / "bin", ignore_errors=True)  # console scripts point at this host
        for name, path in inputs.provisioner_files:
            dest = target / name.removeprefix(f"{DEPS_DIR}/")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
        info = target / f"provisioner-{inputs.provisioner_version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: provisioner\nVersion: {inputs.provisioner_version}\n"
        )
        (info / "top_level.txt").write_text("provisioner\n")
        if python == running_python():
            progress("dependency layer: compiling bytecode")
            compile_bytecode(target)
        files = tree_files(target, DEPS_DIR, bytecode=True)
        progress("dependency layer: compressing")
        layer = write_layer(files, out, compresslevel=1)
    meta.write_text(json.dumps({"digest": layer.digest, "diff_id": layer.diff_id}))
    return layer


def compile_bytecode(root: Path) -> None:
    """Compile ``root``'s modules once, here, so no pod compiles them at every start. The
    ``unchecked-hash`` pycs do not depend on mtimes (the layer stays reproducible) and hold for
    any patch release of the same Python (one bytecode magic number per minor version)."""
    cmd = [sys.executable, "-m", "compileall", "-q", "-j", "0"]
    subprocess.run(
        [*cmd, "--invalidation-mode", "unchecked-hash", str(root)],
        capture_output=True,
        check=False,  # a module that does not compile (py2 leftovers, tests) stays source-only
    )


def install_command(
    requirements: tuple[str, ...], target: Path, python: str, platforms: tuple[str, ...]
) -> list[str]:
    """uv (when installed: about ten times faster) or pip, installing wheels for the image's
    Python and platform into ``target``."""
    beside = Path(sys.executable).with_name("uv")
    uv = str(beside) if beside.is_file() else shutil.which("uv")
    if uv:
        newest = sorted(platforms, key=_glibc)[-1]
        return [
            uv, "pip", "install", "--quiet", "--target", str(target), "--only-binary", ":all:",
            "--python-version", python, "--python-platform", _uv_platform(newest),
            *requirements,
        ]  # fmt: skip
    abi = "cp" + python.replace(".", "")
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--no-warn-script-location",
        "--target",
        str(target),
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        python,
        "--abi",
        abi,
        "--abi",
        "abi3",
        "--abi",
        "none",
        *(arg for p in platforms for arg in ("--platform", p)),
        *requirements,
    ]


def _glibc(platform: str) -> tuple[int, int]:
    """(major, minor) of a manylinux platform's glibc (``manylinux2014`` is 2.17)."""
    if platform.startswith("manylinux2014"):
        return (2, 17)
    m = re.match(r"manylinux_(\d+)_(\d+)_", platform)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def _uv_platform(platform: str) -> str:
    """uv's name of a pip platform tag: ``manylinux_2_28_x86_64`` -> ``x86_64-manylinux_2_28``."""
    major, minor = _glibc(platform)
    arch = "aarch64" if platform.endswith("aarch64") else "x86_64"
    return f"{arch}-manylinux_{major}_{minor}"


def _pip_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PIP_TARGET", None)
    env.pop("PIP_PREFIX", None)
    env["PIP_NO_INPUT"] = "1"
    return env


def image_config(base: Base, layers: list[Layer], labels: dict[str, str]) -> dict:
    """The new image's config: the base's, plus the layers, the import path and labels."""
    config = copy.deepcopy(base.config)
    cfg = config.setdefault("config", {})
    env = [e for e in cfg.get("Env") or [] if not e.startswith("PYTHONPATH=")]
    env.append(f"PYTHONPATH=/{CODE_DIR}:/{DEPS_DIR}")
    env.append("PYTHONDONTWRITEBYTECODE=1")
    env.append("PYTHONUNBUFFERED=1")
    cfg["Env"] = env
    cfg["WorkingDir"] = f"/{CODE_DIR}"
    cfg["Labels"] = {**(cfg.get("Labels") or {}), **labels}
    created = datetime.fromtimestamp(EPOCH, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    config["created"] = created
    config.setdefault("rootfs", {"type": "layers", "diff_ids": []})
    config["rootfs"]["diff_ids"] = [*config["rootfs"]["diff_ids"], *(x.diff_id for x in layers)]
    history = list(config.get("history") or [])
    for what in ("dependencies and provisioner", "pipeline source")[: len(layers)]:
        history.append({"created": created, "created_by": f"provisioner image build: {what}"})
    config["history"] = history
    return config


def push(
    base: Base,
    target: RegistryClient,
    repo: str,
    tag: str,
    layers: list[Layer],
    labels: dict[str, str],
    progress: Progress,
) -> str:
    """Put the base's layers (mounted or copied), ``layers``, the config and the manifest
    into ``target``'s ``repo`` under ``tag``; the manifest's digest."""
    same = target.registry == base.ref.registry
    for layer in base.manifest["layers"]:
        digest = layer["digest"]
        if target.has_blob(repo, digest):
            continue
        if same and target.mount_blob(repo, digest, base.ref.repository):
            continue
        progress(f"copying base layer {digest[7:19]}")
        target.push_blob(repo, digest, data=base.client.get_blob(base.ref.repository, digest))
    for layer in layers:
        if target.push_blob(repo, layer.digest, path=layer.path):
            progress(f"pushed layer {layer.digest[7:19]} ({layer.size >> 10} KiB)")
        else:
            progress(f"layer {layer.digest[7:19]} already in the registry")
    config = json.dumps(image_config(base, layers, labels), sort_keys=True).encode()
    config_digest = sha256(config)
    target.push_blob(repo, config_digest, data=config)
    media = base.media_type
    manifest = {
        "schemaVersion": 2,
        "mediaType": media,
        "config": {
            "mediaType": CONFIG_TYPE[media],
            "digest": config_digest,
            "size": len(config),
        },
        "layers": [
            *base.manifest["layers"],
            *({"mediaType": LAYER_TYPE[media], "digest": x.digest, "size": x.size} for x in layers),
        ],
    }
    raw = json.dumps(manifest, sort_keys=True).encode()
    return target.put_manifest(repo, tag, raw, media)


def code_layer(inputs: BuildInputs, workdir: Path) -> Layer:
    """The code layer: the pipeline's source under ``/app``."""
    return write_layer(inputs.code, workdir / "code.tar.gz")
