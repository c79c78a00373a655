"""The local MLflow model deployer: ``mlflow models serve`` processes on 127.0.0.1.

Each deployment is recorded in the stack's artifact store (``deployments/<name>.json``),
so anyone holding the stack config can list, call, read the logs of, and stop it. A new
version replaces the old one with no gap: the new server starts on a free port and must
answer ``/health`` before the record is switched and the old server is stopped.
"""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provisioner.errors import NotFoundError, OperationError, UserInputError
from provisioner.recipes.local.providers import process
from provisioner.runtime.components.deployer import Deployment, ModelDeployer

DEPLOYMENTS = "deployments"
_NAME_OK = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def deployment_key(name: str) -> str:
    """The store key of a deployment's record."""
    if not name or not set(name) <= _NAME_OK or name.startswith("."):
        raise UserInputError(
            f"invalid deployment name {name!r}: use letters, digits, '-', '_' and '.'"
        )
    return f"{DEPLOYMENTS}/{name}.json"


def serve_env(venv: Path) -> dict[str, str]:
    """The model server's environment: its venv's bin first on PATH (it runs a bare
    ``uvicorn``, and exits 127 without it), telemetry off."""
    from provisioner.recipes.local.providers.mlflow_server import server_env

    return server_env(venv)


def post_json(url: str, payload: Any, timeout: float = 30.0) -> Any:
    """POST ``payload`` as JSON to a loopback ``url``; the decoded JSON answer.

    Raises:
        OperationError: no answer, or an error status (with the server's message).
    """
    import urllib.error
    import urllib.request

    body = json.dumps(payload).encode()
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as resp:
            return json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:500]
        raise OperationError(f"{url} answered {exc.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise OperationError(f"{url} did not answer: {exc}") from None


def invocation_payload(data: Any) -> Any:
    """The ``/invocations`` body for ``data``: a dict in MLflow's format passes as is; a
    list of rows (or an array) is sent as ``{"inputs": ...}``; a DataFrame as split."""
    if isinstance(data, dict) and {
        "inputs",
        "instances",
        "dataframe_split",
        "dataframe_records",
    } & set(data):
        return data
    if hasattr(data, "to_dict") and hasattr(data, "columns"):
        return {"dataframe_split": data.to_dict(orient="split")}
    if hasattr(data, "tolist"):
        data = data.tolist()
    return {"inputs": data}


class MLflowModelDeployer(ModelDeployer):
    """Serves versions of the stack's MLflow model registry as local processes.

    Connection: ``tracking_uri`` (the registry), ``venv`` (the environment with full
    ``mlflow`` that serves), ``service_dir`` (logs and model copies), ``start_timeout``.
    """

    def __init__(self, connection: Any, stack: Any) -> None:
        super().__init__(connection, stack)
        self.venv = Path(str(self.config.get("venv") or ""))
        self.service_dir = Path(str(self.config.get("service_dir") or ""))
        self.start_timeout = float(self.config.get("start_timeout") or 180)
        self._store: Any = None
        self._lock = threading.RLock()

    @classmethod
    def from_connection(cls, connection: Any, stack: Any) -> MLflowModelDeployer:
        missing = [k for k in ("venv", "service_dir") if not connection.config.get(k)]
        if missing:
            raise UserInputError(
                f"stack {stack.name!r}: the model_deployer's connection has no "
                f"{' and no '.join(missing)}",
                hint="Redeploy the stack to write a complete stack config.",
            )
        return cls(connection, stack)

    # -- records -----------------------------------------------------------------------------

    @property
    def store(self) -> Any:
        with self._lock:
            if self._store is None:
                from provisioner.runtime.stores import open_store

                self._store = open_store(self.stack)
            return self._store

    def _read(self, name: str) -> dict[str, Any] | None:
        key = deployment_key(name)
        if not self.store.exists(key):
            return None
        return json.loads(self.store.get_bytes(key))

    def _write(self, record: dict[str, Any]) -> None:
        data = json.dumps(record, indent=1, sort_keys=True).encode()
        self.store.put_bytes(deployment_key(record["name"]), data)

    @staticmethod
    def _alive(record: dict[str, Any]) -> bool:
        return bool(
            process.pid_alive(record.get("pid"), record.get("model_path"))
            and process.http_ok(int(record["port"]), "/health", timeout=2.0)
        )

    def _deployment(self, record: dict[str, Any]) -> Deployment:
        status = "running" if self._alive(record) else "stopped"
        return Deployment(
            name=record["name"],
            model=record["model"],
            version=str(record["version"]),
            url=record["url"],
            status=status,
            started_at=record.get("started_at"),
            details={k: record.get(k) for k in ("pid", "port", "log_file", "artifact_hash")},
        )

    # -- the contract ------------------------------------------------------------------------

    def _registry(self) -> Any:
        from provisioner.runtime.mlflow.registry import MLflowModelRegistry
        from provisioner.stackconfig import ComponentConnection

        comp = self.stack.component("model_registry") or ComponentConnection(
            flavor="mlflow", config={"tracking_uri": self.config.get("tracking_uri")}
        )
        return MLflowModelRegistry.from_connection(comp, self.stack)

    def deploy(
        self, name: str, version: str | int | None = None, alias: str | None = None
    ) -> Deployment:
        """Serve a version of registered model ``name`` (the latest when neither is given).

        The same version again returns the running deployment unchanged; another version
        starts next to the old one, and replaces it once healthy.

        Raises:
            NotFoundError: no such model, version or alias.
            OperationError: the new server did not become healthy (the old one keeps
                serving).
        """
        with self._lock:
            registry = self._registry()
            mv = registry.get(name, version=version, alias=alias)
            old = self._read(name)
            if old and str(old["version"]) == mv.version and self._alive(old):
                return self._deployment(old)
            model_path = registry.local_path(name, version=mv.version)
            record = self._start(name, mv, model_path)
            self._write(record)
            if old and old.get("pid") != record["pid"]:
                process.stop_process(old.get("pid"), old.get("model_path"), group=True)
            return self._deployment(record)

    def _start(self, name: str, mv: Any, model_path: Path) -> dict[str, Any]:
        mlflow = self.venv / "bin" / "mlflow"
        if not mlflow.exists():
            raise OperationError(
                f"the model server environment {self.venv} has no mlflow",
                hint="Redeploy the stack: its MLflow server's environment holds it.",
            )
        logs = self.service_dir / name
        logs.mkdir(parents=True, exist_ok=True)
        log_file = logs / f"v{mv.version}.log"
        port = process.free_port()
        argv = [
            str(mlflow),
            "models",
            "serve",
            "-m",
            str(model_path),
            "--env-manager",
            "local",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-w",
            "1",
        ]
        started = time.monotonic()
        pid = process.spawn_detached(argv, log_file, logs, serve_env(self.venv))
        if not process.wait_http_ok(pid, port, "/health", self.start_timeout):
            exited = not process.pid_alive(pid)
            process.stop_process(pid, str(model_path), group=True)
            why = (
                "exited" if exited else f"did not answer /health within {self.start_timeout:.0f} s"
            )
            raise OperationError(
                f"the model server for {name!r} version {mv.version} {why}; last log lines:\n"
                f"{process.tail(log_file, 15)}"
            )
        process.release(pid)
        return {
            "name": name,
            "model": mv.name,
            "version": mv.version,
            "artifact_hash": mv.artifact_hash,
            "url": f"http://127.0.0.1:{port}",
            "port": port,
            "pid": pid,
            "host": os.uname().nodename,
            "model_path": str(model_path),
            "log_file": str(log_file),
            "started_at": datetime.now(UTC).isoformat(),
            "start_seconds": round(time.monotonic() - started, 3),
        }

    def list(self) -> list[Deployment]:
        out = []
        for key in sorted(self.store.list_keys(DEPLOYMENTS)):
            if key.endswith(".json"):
                out.append(self._deployment(json.loads(self.store.get_bytes(key))))
        return out

    def get(self, name: str) -> Deployment:
        record = self._read(name)
        if record is None:
            raise NotFoundError(
                f"no deployment {name!r} on stack {self.stack.name!r}",
                hint="`provisioner deployment list` lists them",
            )
        return self._deployment(record)

    def predict(self, name: str, data: Any) -> Any:
        deployment = self.get(name)
        if deployment.status != "running":
            raise OperationError(
                f"deployment {name!r} is not running (its server is gone)",
                hint=f"deploy it again: deploy({name!r}, version={deployment.version!r})",
            )
        answer = post_json(f"{deployment.url}/invocations", invocation_payload(data))
        return answer.get("predictions", answer) if isinstance(answer, dict) else answer

    def logs(self, name: str, tail: int = 100) -> str:
        record = self._read(name)
        if record is None:
            raise NotFoundError(f"no deployment {name!r} on stack {self.stack.name!r}")
        return process.tail(Path(record["log_file"]), tail)

    def stop(self, name: str) -> None:
        with self._lock:
            record = self._read(name)
            if record is None:
                raise NotFoundError(f"no deployment {name!r} on stack {self.stack.name!r}")
            process.stop_process(record.get("pid"), record.get("model_path"), group=True)
            self.store.delete(deployment_key(name))
