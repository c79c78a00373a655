"""The ``buildah`` strategy: a generated or the user's Dockerfile, built with
``buildah bud --isolation chroot`` (no daemon), exported with ``buildah push dir:`` and
uploaded over the OCI distribution API.

A build that needs PyPI gets this machine's CA bundle and pip config as build secrets
(``RUN --mount=type=secret,id=ca-bundle``, ``id=pip-conf``): never as build args, which the
image history records, and never copied into a layer.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from provisioner.errors import OperationError, UserInputError
from provisioner.runtime.images.inputs import CODE_DIR, DEPS_DIR, BuildInputs
from provisioner.runtime.orchestrators.image_digest import is_loopback

Progress = Callable[[str], None]
#: Where a RUN step finds the build secrets.
CA_SECRET = "ca-bundle"
PIP_SECRET = "pip-conf"
_CA_FILES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")

DOCKERFILE = """\
FROM {base}
COPY requirements.txt /opt/provisioner/requirements.txt
# the wheels come in through a bind mount, never into a layer; no network needed
RUN --mount=type=bind,source=wheels,target=/tmp/wheels \\
    python3 -m venv /tmp/pip && /tmp/pip/bin/pip install --quiet --no-index \\
      --disable-pip-version-check --no-compile --find-links /tmp/wheels \\
      --target /{deps} -r /opt/provisioner/requirements.txt && rm -rf /tmp/pip
COPY provisioner /{deps}/
COPY app /{code}/
ENV PYTHONPATH=/{code}:/{deps} PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /{code}
"""


def buildah() -> str:
    """The buildah binary.

    Raises:
        OperationError: buildah is not installed.
    """
    path = shutil.which("buildah")
    if path is None:
        raise OperationError(
            "the image builder's buildah strategy needs buildah, which is not installed",
            hint="install it with `apt-get install buildah` (or use `strategy: append`)",
        )
    return path


def ca_bundle() -> Path | None:
    """This machine's CA bundle (``PIP_CERT``, ``SSL_CERT_FILE``, or the system's)."""
    for cand in (os.environ.get("PIP_CERT"), os.environ.get("SSL_CERT_FILE"), *_CA_FILES):
        if cand and Path(cand).is_file():
            return Path(cand)
    return None


def pip_conf(into: Path) -> Path:
    """A pip config for inside the build: this machine's http(s) index URLs only (its
    ``file://`` indexes and local paths do not exist in there)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True
    )
    lines = ["[global]"]
    for line in proc.stdout.splitlines():
        key, _, value = line.partition("=")
        name = key.rsplit(".", 1)[-1]
        if name in ("index-url", "extra-index-url"):
            urls = [u for u in value.strip("'\"").split() if u.startswith(("http://", "https://"))]
            if urls:
                lines.append(f"{name} = {' '.join(urls)}")
    into.write_text("\n".join(lines) + "\n")
    into.chmod(0o600)
    return into


def authfile(into: Path, logins: dict[str, tuple[str, str]]) -> Path:
    """A containers-auth.json (mode 0600) with ``logins``: passwords never on a command line."""
    auths = {
        reg: {"auth": base64.b64encode(f"{u}:{p}".encode()).decode()}
        for reg, (u, p) in logins.items()
    }
    into.touch(mode=0o600)
    into.write_text(json.dumps({"auths": auths}))
    return into


def fetch_wheels(
    inputs: BuildInputs, into: Path, python: str, platforms: tuple[str, ...], cache: Path
) -> None:
    """Copy the requirements' wheels for the image's platform into ``into``: downloaded once
    per set of requirements (``pip download``) and kept in ``cache``."""
    key = hashlib.sha256("\0".join((python, *platforms, *inputs.requirements)).encode())
    kept = cache / f"wheels-{key.hexdigest()[:32]}"
    if not kept.is_dir():
        tmp = cache / f"{kept.name}.partial"
        shutil.rmtree(tmp, ignore_errors=True)
        cmd = [
            sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
            "--only-binary=:all:", "--implementation", "cp", "--python-version", python,
            *(arg for p in platforms for arg in ("--platform", p)),
            "--dest", str(tmp), *inputs.requirements,
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
            raise OperationError(f"cannot download the step image's wheels:\n{tail}")
        tmp.replace(kept)
    shutil.copytree(kept, into)


def build(
    inputs: BuildInputs,
    *,
    base: str,
    target: str,
    logins: dict[str, tuple[str, str]],
    dockerfile: Path | None,
    python: str,
    platforms: tuple[str, ...],
    cache: Path,
    progress: Progress,
) -> str:
    """Build ``target`` (``registry/repository:tag``) from ``base`` and push it; its digest.

    Args:
        dockerfile: the user's Dockerfile (``ARG BASE_IMAGE`` names the base; its folder is the build context, and the inputs
            are added as ``app/``, ``provisioner/`` and ``requirements.txt`` beside it);
            None to generate one.

    Raises:
        UserInputError: the Dockerfile does not exist.
        OperationError: buildah fails.
    """
    exe = buildah()
    if dockerfile is not None and not dockerfile.is_file():
        raise UserInputError(f"the image builder's dockerfile {dockerfile} does not exist")
    with tempfile.TemporaryDirectory(prefix="provisioner-build-") as tmp:
        work = Path(tmp)
        ctx = work / "context"
        if dockerfile is not None:
            shutil.copytree(dockerfile.parent, ctx, symlinks=True)
            file = ctx / dockerfile.name
        else:
            ctx.mkdir()
            file = ctx / "Dockerfile"
            file.write_text(DOCKERFILE.format(base=base, deps=DEPS_DIR, code=CODE_DIR))
            progress("downloading wheels for the build")
            fetch_wheels(inputs, ctx / "wheels", python, platforms, cache)
        (ctx / "requirements.txt").write_text("\n".join(inputs.requirements) + "\n")
        for name, path in inputs.code:
            _copy(path, ctx / name)
        prefix = f"{DEPS_DIR}/"
        for name, path in inputs.provisioner_files:
            _copy(path, ctx / "provisioner" / name.removeprefix(prefix))
        info = ctx / "provisioner" / f"provisioner-{inputs.provisioner_version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: provisioner\nVersion: {inputs.provisioner_version}\n"
        )
        auth = authfile(work / "auth.json", logins)
        secrets = ["--secret", f"id={PIP_SECRET},src={pip_conf(work / 'pip.conf')}"]
        bundle = ca_bundle()
        if bundle is not None:
            secrets += ["--secret", f"id={CA_SECRET},src={bundle}"]
        insecure = is_loopback(base.split("/", 1)[0]) or is_loopback(target.split("/", 1)[0])
        tls = ["--tls-verify=false"] if insecure else []
        local = f"localhost/provisioner-build:{target.rsplit(':', 1)[-1]}"
        progress("buildah bud --isolation chroot")
        _run(
            [
                exe,
                "bud",
                "--isolation",
                "chroot",
                "--layers",  # a code change reuses the dependency RUN step
                "--quiet",
                "--authfile",
                str(auth),
                *tls,
                *secrets,
                "--build-arg",
                f"BASE_IMAGE={base}",
                "-f",
                str(file),
                "-t",
                local,
                str(ctx),
            ],
            "build the image",
        )
        progress(f"pushing {target}")
        out = work / "image"
        _run(
            [exe, "push", "--quiet", "--format", "oci", local, f"dir:{out}"],
            "export the image",
        )
        subprocess.run([exe, "rmi", local], capture_output=True)
        return push_dir(out, target, logins)


def push_dir(image: Path, target: str, logins: dict[str, tuple[str, str]]) -> str:
    """Upload an image exported with ``buildah push dir:`` over the OCI distribution API (each
    blob checked with a HEAD first, so a registry never "has" a blob it lacks); its digest."""
    from provisioner.runtime.images.oci import RegistryClient

    name, tag = target.rsplit(":", 1)
    registry, repo = name.split("/", 1)
    client = RegistryClient(registry, logins.get(registry))
    raw = (image / "manifest.json").read_bytes()
    manifest = json.loads(raw)
    for blob in [*manifest["layers"], manifest["config"]]:
        digest = blob["digest"]
        client.push_blob(repo, digest, path=image / digest.split(":", 1)[1])
    media = manifest.get("mediaType") or "application/vnd.oci.image.manifest.v1+json"
    return client.put_manifest(repo, tag, raw, media)


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)


def _run(cmd: list[str], what: str) -> None:
    env = {**os.environ, "BUILDAH_ISOLATION": "chroot"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-12:])
        raise OperationError(f"buildah cannot {what}:\n{tail}")
