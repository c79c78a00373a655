"""A managed MLflow tracking server on 127.0.0.1, as a dynamic resource.

The server runs from its own virtual environment (full ``mlflow``, pinned, built once per
home by :func:`~provisioner.recipes.local.providers.venvs.ensure_service_venv`), with a
sqlite backend in its service dir and run artifacts proxied into the stack's artifact
store. It is started with one gunicorn worker, its job runner and its telemetry off.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure

from provisioner.errors import OperationError
from provisioner.recipes.local.providers import process, venvs
from provisioner.recipes.local.providers.service import (
    ServiceLayout,
    ServiceProvider,
    candidate_ports,
)

#: What the server environment is built from (a change builds a new environment).
SERVER_REQUIREMENTS: tuple[str, ...] = ("mlflow==3.17.2",)
#: Seconds to wait for ``/health`` after a start (about 8 s on an idle 2-core machine).
START_TIMEOUT = 180.0
#: The server's WSGI runner: gunicorn, one worker with a few threads, serves the same REST API
#: as the default uvicorn with about half the time per tracking call (no ASGI-to-WSGI hop).
GUNICORN_OPTS = "--threads 4"
INPUT_KEYS = ("service_dir", "listen_port", "artifacts_destination", "requirements")
DB_FILE = "mlflow.db"

#: The server's environment: no job runner (it would start ~10 processes and 2 GB), no
#: phone-home.
SERVER_ENV = {
    "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
}


def _marker(state: dict[str, Any]) -> str:
    """What the server's command line holds (``mlflow server`` execs uvicorn, so its pid's
    command line names the port it serves, not the store)."""
    return f"--port {state.get('port')}"


def use_wal(db: Path) -> None:
    """Put the sqlite store in write-ahead-log mode (kept in the file, so the server's own
    connections use it): a commit then syncs one file instead of the journal and the
    database, which makes each tracking call cheaper. A store another process holds
    locked keeps its mode: the server works the same, only slower."""
    with (
        contextlib.suppress(sqlite3.OperationalError),
        contextlib.closing(sqlite3.connect(db, timeout=2.0)) as conn,
    ):
        conn.execute("PRAGMA journal_mode=WAL")


def server_env(venv: Path) -> dict[str, str]:
    """The environment an MLflow process from ``venv`` runs with (its bin first on PATH)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(SERVER_ENV)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    return env


class _Layout(ServiceLayout):
    """The files of one server under its service dir."""

    LOG_FILE = "mlflow.log"

    @property
    def db(self) -> Path:
        return self.root / DB_FILE


class LocalMLflowServerProvider(ServiceProvider[_Layout]):
    """Runs ``mlflow server`` detached on 127.0.0.1.

    Inputs: ``service_dir`` (absolute; holds the sqlite store, log and state file),
    ``listen_port`` (0 picks a free port), ``artifacts_destination`` (absolute directory
    the server writes run artifacts to) and ``requirements`` (of its environment).
    Outputs: ``port``, ``tracking_uri``, ``pid``, ``venv``, ``running``, file paths. The id
    is the service dir. The state file (pid, port, venv) is written right after the spawn,
    so a lost create can be adopted.
    """

    LAYOUT = _Layout
    INPUT_KEYS = INPUT_KEYS
    PATH_KEYS = ("service_dir", "artifacts_destination")
    ADDRESS_KEY = "tracking_uri"
    STOP_OPTIONS = {"group": True}

    def _server_command(
        self, mlflow: Path, layout: _Layout, destination: Path, port: int
    ) -> list[str]:
        """The command line that starts the server on ``port``."""
        return [
            str(mlflow),
            "server",
            "--backend-store-uri",
            f"sqlite:///{layout.db}",
            "--artifacts-destination",
            str(destination),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--gunicorn-opts",
            GUNICORN_OPTS,
        ]

    def _check_more(self, news: dict[str, Any]) -> list[CheckFailure]:
        reqs = news.get("requirements")
        if reqs is not None and not (
            isinstance(reqs, list) and reqs and all(isinstance(r, str) for r in reqs)
        ):
            return [CheckFailure("requirements", "must be a non-empty list of strings")]
        return []

    def _more_outs(
        self, props: dict[str, Any], layout: _Layout, state: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "artifacts_destination": props.get("artifacts_destination"),
            "requirements": list(props.get("requirements") or SERVER_REQUIREMENTS),
            "backend_store_uri": f"sqlite:///{layout.db}",
            "venv": state.get("venv"),
        }

    def _marker(self, layout: _Layout, state: dict[str, Any]) -> str:
        return _marker(state)

    def _restart_on_update(
        self, layout: _Layout, olds: dict[str, Any], news: dict[str, Any]
    ) -> bool:
        return any(olds.get(k) != news.get(k) for k in INPUT_KEYS if k != "service_dir")

    def _alive(self, layout: _Layout, state: dict[str, Any], props: dict[str, Any]) -> bool:
        pid, port = state.get("pid"), state.get("port")
        return bool(
            port
            and process.pid_alive(pid, _marker(state))
            and process.http_ok(int(port), "/health", timeout=5.0)
        )

    def _ensure_running(
        self, props: dict[str, Any], layout: _Layout, prefer_port: int | None
    ) -> dict[str, Any]:
        """The state of a live server for ``layout``, starting one if needed."""
        state = layout.read_state()
        wanted = int(props.get("listen_port") or 0)
        requirements = list(props.get("requirements") or SERVER_REQUIREMENTS)
        destination = Path(props["artifacts_destination"])
        layout.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        if process.pid_alive(state.get("pid"), _marker(state)):
            port = state.get("port")
            if (
                wanted in (0, port)
                and state.get("requirements") == requirements
                and state.get("artifacts_destination") == str(destination)
                and process.wait_http_ok(state["pid"], int(port), "/health", START_TIMEOUT)
            ):
                return state
            self._stop(layout)
        venv = venvs.ensure_service_venv("mlflow", requirements)
        mlflow = venvs.venv_bin(venv, "mlflow")
        destination.mkdir(parents=True, exist_ok=True)
        use_wal(layout.db)
        last_error, exited, port = "", False, wanted
        for port in candidate_ports(wanted, prefer_port):
            argv = self._server_command(mlflow, layout, destination, port)
            started = time.monotonic()
            pid = process.spawn_detached(argv, layout.log, layout.root, server_env(venv))
            state = {
                "pid": pid,
                "port": port,
                "venv": str(venv),
                "requirements": requirements,
                "artifacts_destination": str(destination),
                "started_at": time.time(),
            }
            layout.write_state(state)
            if process.wait_http_ok(pid, port, "/health", START_TIMEOUT):
                state["start_seconds"] = round(time.monotonic() - started, 3)
                layout.write_state(state)
                return state
            exited = not process.pid_alive(pid)
            last_error = process.tail(layout.log, 15)
            self._stop_pid(pid, layout, state)
            if "address already in use" not in last_error.lower():
                break
        if exited:
            raise OperationError(
                f"the MLflow server in {layout.root} exited at once; last log lines:\n{last_error}"
            )
        raise OperationError(
            f"the MLflow server in {layout.root} did not answer /health on 127.0.0.1:{port} "
            f"within {START_TIMEOUT:.0f} s; last log lines:\n{last_error}",
        )


@dataclass(frozen=True)
class LocalMLflowServerArgs:
    """Inputs of a LocalMLflowServer.

    Attributes:
        service_dir: absolute folder for the server's sqlite store, log and state.
        artifacts_destination: absolute folder the server stores run artifacts in.
        listen_port: port on 127.0.0.1; 0 picks a free one.
        requirements: what its environment is built from.
    """

    service_dir: str
    artifacts_destination: str
    listen_port: int = 0
    requirements: tuple[str, ...] = SERVER_REQUIREMENTS


class LocalMLflowServer(pulumi.dynamic.Resource, module="provisioner", name="LocalMLflowServer"):
    """An ``mlflow server`` process on 127.0.0.1, managed by LocalMLflowServerProvider."""

    port: pulumi.Output[int]
    tracking_uri: pulumi.Output[str]
    pid: pulumi.Output[int]
    venv: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: LocalMLflowServerArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "service_dir": args.service_dir,
            "artifacts_destination": args.artifacts_destination,
            "listen_port": args.listen_port,
            "requirements": list(args.requirements),
            **{
                k: None
                for k in (
                    "port",
                    "tracking_uri",
                    "pid",
                    "backend_store_uri",
                    "log_file",
                    "venv",
                    "running",
                )
            },
        }
        super().__init__(LocalMLflowServerProvider(), name, props, opts)
