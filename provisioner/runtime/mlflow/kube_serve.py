"""The model server pod's command: fetch the version's MLflow model folder from the stack's
artifact store (with the pod's own credentials: its service account), then exec
``mlflow models serve --env-manager local`` on the pod's address."""

from __future__ import annotations

import os
import sys


def main() -> None:
    from provisioner.runtime.artifacts import ArtifactIO, StoredFiles
    from provisioner.runtime.entrypoint import ENV_STACK_CONFIG
    from provisioner.runtime.mlflow.kube_manifests import (
        ENV_MODEL_HASH,
        ENV_POD_IP,
        ENV_PORT,
        ENV_WORKERS,
    )
    from provisioner.runtime.runner import download_dir
    from provisioner.runtime.stores import open_store
    from provisioner.stackconfig import StackConfig

    text = os.environ.get(ENV_STACK_CONFIG)
    digest = os.environ.get(ENV_MODEL_HASH)
    if not text or not digest:
        sys.exit(f"model server: ${ENV_STACK_CONFIG} and ${ENV_MODEL_HASH} must be set")
    stack = StackConfig.model_validate_json(text)
    io = ArtifactIO(open_store(stack), download_dir(stack))
    path = StoredFiles(io, digest, io.manifest(digest)).local_path(None)
    print(f"model server: model {digest[:12]} at {path}", flush=True)
    argv = [
        sys.executable,
        "-m",
        "mlflow",
        "models",
        "serve",
        "-m",
        str(path),
        "--env-manager",
        "local",
        "-h",
        os.environ.get(ENV_POD_IP) or "0.0.0.0",
        "-p",
        os.environ.get(ENV_PORT) or "8080",
        "-w",
        os.environ.get(ENV_WORKERS) or "1",
    ]
    sys.stdout.flush()
    os.execv(sys.executable, argv)


if __name__ == "__main__":
    main()
