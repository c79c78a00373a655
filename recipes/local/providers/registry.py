"""A managed OCI registry service (Debian's docker-registry) on 127.0.0.1, as a dynamic resource.

The registry is private to the user who deployed it: pushes and pulls need the credentials
generated at deploy (an htpasswd file for the registry, and the username and password in a
0600 credentials file that the stack config references by path, never by value); deletes are
disabled unless ``allow_delete`` is set; the service folder is 0700.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.dynamic import CheckFailure

from provisioner.errors import OperationError
from provisioner.recipes.local.providers import process
from provisioner.recipes.local.providers.service import (
    ServiceLayout,
    ServiceProvider,
    candidate_ports,
)

#: Where Debian's ``docker-registry`` package puts the binary.
DEFAULT_BINARY = "/usr/bin/docker-registry"
#: Environment variable that points at another registry binary.
BINARY_ENV = "PROVISIONER_REGISTRY_BINARY"
#: Seconds to wait for ``/v2/`` to answer after a start.
START_TIMEOUT = 15.0
INPUT_KEYS = ("service_dir", "listen_port", "allow_delete")
CONFIG_FILE = "config.yml"
DATA_DIR = "data"
HTPASSWD_FILE = "htpasswd"
CREDENTIALS_FILE = "credentials.json"
USERNAME = "provisioner"


def registry_binary() -> Path:
    """The registry binary: ``$PROVISIONER_REGISTRY_BINARY`` or Debian's path.

    Raises:
        OperationError: it does not exist or is not executable.
    """
    path = Path(os.environ.get(BINARY_ENV) or DEFAULT_BINARY)
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise OperationError(
            f"the OCI registry binary {path} is missing or not executable",
            hint="Install it with `apt-get install docker-registry`, or point "
            f"{BINARY_ENV} at a docker-registry (distribution 2.x) binary.",
        )
    return path


def _child_env() -> dict[str, str]:
    """Our environment minus ``REGISTRY_*``, which would override the config (e.g. its address)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}


class _Layout(ServiceLayout):
    """The files of one registry service under its service dir."""

    LOG_FILE = "registry.log"

    @property
    def data(self) -> Path:
        return self.root / DATA_DIR

    @property
    def config(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def htpasswd(self) -> Path:
        return self.root / HTPASSWD_FILE

    @property
    def credentials(self) -> Path:
        return self.root / CREDENTIALS_FILE

    def read_credentials(self) -> tuple[str, str] | None:
        try:
            data = json.loads(self.credentials.read_text())
            return str(data["username"]), str(data["password"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def ensure_credentials(self) -> tuple[str, str]:
        """The registry's username and password, generated once (0600 files)."""
        found = self.read_credentials()
        if found is not None and self.htpasswd.is_file():
            return found
        import bcrypt

        password = secrets.token_urlsafe(24)
        # The registry checks the bcrypt hash on every request. The password is 192 random
        # bits, so no cost factor makes guessing harder; the lowest one keeps requests fast.
        hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
        _write_private(self.htpasswd, f"{USERNAME}:{hashed}\n")
        _write_private(
            self.credentials, json.dumps({"username": USERNAME, "password": password}) + "\n"
        )
        return USERNAME, password


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, readable by this user only (0600)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def auth_header(credentials: tuple[str, str]) -> dict[str, str]:
    """The HTTP basic ``Authorization`` header for the registry's credentials."""
    token = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _write_config(layout: _Layout, port: int, allow_delete: bool) -> None:
    config = {
        "version": 0.1,
        "log": {"level": "info", "formatter": "text"},
        "storage": {
            "filesystem": {"rootdirectory": str(layout.data)},
            "delete": {"enabled": bool(allow_delete)},
        },
        "auth": {"htpasswd": {"realm": "provisioner", "path": str(layout.htpasswd)}},
        "http": {"addr": f"127.0.0.1:{port}", "headers": {"X-Content-Type-Options": ["nosniff"]}},
    }
    _write_private(layout.config, yaml.safe_dump(config, sort_keys=False))


class LocalRegistryProvider(ServiceProvider[_Layout]):
    """Runs docker-registry detached on 127.0.0.1 with filesystem storage in its service dir.

    Inputs: ``service_dir`` (absolute; holds config, log, state file and data),
    ``listen_port`` (0 picks a free port) and ``allow_delete``. Outputs: ``port``, ``uri``,
    ``pid``, ``data_dir``, ``running`` and file paths. The id is the service dir. The state
    file in the service dir (pid, port, binary) is written before create returns, so a lost
    create can be adopted.
    """

    LAYOUT = _Layout
    INPUT_KEYS = INPUT_KEYS
    ADDRESS_KEY = "uri"

    def _check_more(self, news: dict[str, Any]) -> list[CheckFailure]:
        if not isinstance(news.get("allow_delete", False), bool):
            return [CheckFailure("allow_delete", "must be true or false")]
        return []

    def _address(self, port: int) -> str:
        return f"127.0.0.1:{port}"

    def _more_outs(
        self, props: dict[str, Any], layout: _Layout, state: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "allow_delete": bool(props.get("allow_delete", False)),
            "data_dir": str(layout.data),
            "config_file": str(layout.config),
            "credentials_file": str(layout.credentials),
            "binary": state.get("binary"),
        }

    def _marker(self, layout: _Layout, state: dict[str, Any]) -> str:
        return str(layout.config)

    def _alive(self, layout: _Layout, state: dict[str, Any], props: dict[str, Any]) -> bool:
        pid, port = state.get("pid"), state.get("port")
        credentials = layout.read_credentials()
        return bool(
            port
            and credentials
            and process.pid_alive(pid, str(layout.config))
            and process.http_ok(int(port), "/v2/", headers=auth_header(credentials))
        )

    def _ensure_running(
        self, props: dict[str, Any], layout: _Layout, prefer_port: int | None
    ) -> dict[str, Any]:
        """Return the state of a live registry for ``layout``, starting one if needed."""
        state = layout.read_state()
        wanted = int(props.get("listen_port") or 0)
        allow_delete = bool(props.get("allow_delete", False))
        layout.make_root()
        had_auth = layout.read_credentials() is not None and layout.htpasswd.is_file()
        headers = auth_header(layout.ensure_credentials())
        if had_auth and process.pid_alive(state.get("pid"), str(layout.config)):
            port = state.get("port")
            if (
                wanted in (0, port)
                and state.get("allow_delete", False) == allow_delete
                and process.wait_http_ok(state["pid"], int(port), "/v2/", START_TIMEOUT, headers)
            ):
                return state
        if process.pid_alive(state.get("pid"), str(layout.config)):
            self._stop_pid(state.get("pid"), layout, state)
        binary = registry_binary()
        layout.data.mkdir(parents=True, exist_ok=True, mode=0o700)
        last_error, exited, port = "", False, wanted
        for port in candidate_ports(wanted, prefer_port):
            _write_config(layout, port, allow_delete)
            started = time.monotonic()
            pid = process.spawn_detached(
                [str(binary), "serve", str(layout.config)], layout.log, layout.root, _child_env()
            )
            state = {
                "pid": pid,
                "port": port,
                "binary": str(binary),
                "started_at": time.time(),
                "allow_delete": allow_delete,
            }
            layout.write_state(state)
            if process.wait_http_ok(pid, port, "/v2/", START_TIMEOUT, headers):
                state["start_seconds"] = round(time.monotonic() - started, 3)
                layout.write_state(state)
                return state
            exited = not process.pid_alive(pid)
            last_error = process.tail(layout.log)
            self._stop_pid(pid, layout, state)
            if "address already in use" not in last_error:
                break
        if exited and "address already in use" in last_error:
            raise OperationError(
                f"the OCI registry in {layout.root} could not listen on 127.0.0.1:{port}: "
                f"the port is taken (bind: address already in use); last log lines:\n"
                f"{last_error}",
                hint="Choose another `port` in the component's config (0 picks a free one), "
                "or stop what listens there.",
            )
        if exited:
            raise OperationError(
                f"the OCI registry in {layout.root} exited at once; last log lines:\n{last_error}"
            )
        raise OperationError(
            f"the OCI registry in {layout.root} did not answer on 127.0.0.1 within "
            f"{START_TIMEOUT:.0f} s; last log lines:\n{last_error}",
        )


@dataclass(frozen=True)
class LocalRegistryServiceArgs:
    """Inputs of a LocalRegistryService.

    Attributes:
        service_dir: absolute folder for the service's config, log, state and data.
        listen_port: port on 127.0.0.1; 0 picks a free one.
        allow_delete: let clients delete images (off: pushed images can only be added to).
    """

    service_dir: str
    listen_port: int = 0
    allow_delete: bool = False


class LocalRegistryService(
    pulumi.dynamic.Resource, module="provisioner", name="LocalRegistryService"
):
    """A docker-registry process on 127.0.0.1, managed by LocalRegistryProvider."""

    port: pulumi.Output[int]
    uri: pulumi.Output[str]
    pid: pulumi.Output[int]
    data_dir: pulumi.Output[str]
    credentials_file: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: LocalRegistryServiceArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "service_dir": args.service_dir,
            "listen_port": args.listen_port,
            "allow_delete": args.allow_delete,
            **{k: None for k in ("port", "uri", "pid", "data_dir", "config_file", "log_file")},
            "credentials_file": None,
            **{k: None for k in ("binary", "running")},
        }
        super().__init__(LocalRegistryProvider(), name, props, opts)
