"""The build context the cloud image builders (CodeBuild, Cloud Build, ACR Tasks) send: a
generated Dockerfile, ``requirements.txt``, the pipeline's source under ``app/`` and
provisioner under ``provisioner/``."""

from __future__ import annotations

from provisioner.runtime.images import inputs

DOCKERFILE = """\
ARG BASE_IMAGE={base}
FROM $BASE_IMAGE
COPY requirements.txt /opt/provisioner/requirements.txt
RUN pip install --no-cache-dir --disable-pip-version-check --target /{deps} \\
      -r /opt/provisioner/requirements.txt
COPY provisioner /{deps}/
COPY app /{code}/
ENV PYTHONPATH=/{code}:/{deps} PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /{code}
"""


def context_entries(ins: inputs.BuildInputs, base: str) -> list[tuple[str, bytes]]:
    """(path in the context, content), sorted."""
    prefix = f"{inputs.DEPS_DIR}/"
    entries: list[tuple[str, bytes]] = [
        (
            "Dockerfile",
            DOCKERFILE.format(base=base, deps=inputs.DEPS_DIR, code=inputs.CODE_DIR).encode(),
        ),
        ("requirements.txt", ("\n".join(ins.requirements) + "\n").encode()),
        (
            f"provisioner/provisioner-{ins.provisioner_version}.dist-info/METADATA",
            f"Metadata-Version: 2.1\nName: provisioner\nVersion: {ins.provisioner_version}\n".encode(),
        ),
    ]
    entries += [(name, path.read_bytes()) for name, path in ins.code]
    entries += [
        (f"provisioner/{name.removeprefix(prefix)}", path.read_bytes())
        for name, path in ins.provisioner_files
    ]
    return sorted(entries)
