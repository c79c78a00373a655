"""The test base image: Debian bookworm minbase with Python (mmdebstrap, built once and cached
outside the clone by scripts/test-base-image.sh), pushed as one layer to a real docker-registry."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from provisioner.runtime.images.append import PYTHON_LABEL
from provisioner.runtime.images.oci import OCI_MANIFEST, RegistryClient, sha256

ROOT = Path(__file__).resolve().parents[3]
BASE_REPO = "base/bookworm-python"
BASE_TAG = "3.11"


def base_rootfs() -> Path:
    """The cached rootfs tar (built on first use: about 100 s), under the real user's
    ``~/.cache/provisioner-test`` (tests run with a scratch ``HOME``)."""
    assert shutil.which("mmdebstrap"), "install mmdebstrap: scripts/test.sh does"
    cache = os.environ.get("PROVISIONER_TEST_CACHE") or str(
        Path(pwd.getpwuid(os.getuid()).pw_dir) / ".cache" / "provisioner-test"
    )
    out = subprocess.run(
        [str(ROOT / "scripts" / "test-base-image.sh")],
        env={**os.environ, "PROVISIONER_TEST_CACHE": cache},
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return Path(out.stdout.strip().splitlines()[-1])


def _gzipped(tar: Path) -> tuple[Path, str, str]:
    """The rootfs as a gzipped layer beside the tar (cached): (path, digest, diff_id)."""
    gz, meta = tar.with_suffix(".tar.gz"), tar.with_suffix(".layer.json")
    if gz.is_file() and meta.is_file():
        data = json.loads(meta.read_text())
        return gz, data["digest"], data["diff_id"]
    raw = tar.read_bytes()
    tmp = gz.with_suffix(".partial")
    with open(tmp, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, compresslevel=1) as z:
        z.write(raw)
    tmp.replace(gz)
    digest = "sha256:" + hashlib.sha256(gz.read_bytes()).hexdigest()
    diff_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    meta.write_text(json.dumps({"digest": digest, "diff_id": diff_id}))
    return gz, digest, diff_id


def push_base(registry: str, tar: Path) -> str:
    """Push the rootfs as ``registry/BASE_REPO:BASE_TAG``; the reference."""
    gz, digest, diff_id = _gzipped(tar)
    client = RegistryClient(registry)
    client.push_blob(BASE_REPO, digest, path=gz)
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "created": "2025-01-01T00:00:00Z",
            "config": {
                "Env": [
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "LANG=C.UTF-8",
                ],
                "Cmd": ["python3"],
                "Labels": {PYTHON_LABEL: "3.11"},
            },
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            "history": [{"created": "2025-01-01T00:00:00Z", "created_by": "mmdebstrap"}],
        },
        sort_keys=True,
    ).encode()
    client.push_blob(BASE_REPO, sha256(config), data=config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": sha256(config),
            "size": len(config),
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": digest,
                "size": gz.stat().st_size,
            }
        ],
    }
    client.put_manifest(BASE_REPO, BASE_TAG, json.dumps(manifest).encode(), OCI_MANIFEST)
    return f"{registry}/{BASE_REPO}:{BASE_TAG}"
