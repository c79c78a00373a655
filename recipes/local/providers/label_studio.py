"""A managed Label Studio server on 127.0.0.1, as a dynamic resource.

Label Studio pins Django 5.2, ``pytz<2023`` and more, so it runs from its own virtual
environment (:mod:`.venvs`). Its admin user and API token are generated at create and live
only in the resource's outputs under ``credentials``, which the recipe passes in as a secret
(so the engine encrypts it in state); they reach the server through its environment on
start, never through its command line or a file. Sign-up without an invite link, analytics,
the version check and Sentry are off; the server binds 127.0.0.1 only.

A fresh Label Studio data dir takes 40+ s of migrations on first start; a migrated, empty
data dir (the *seed*) is built once per environment and copied, so a deploy starts in
seconds. The seed holds no user, token or secret key: each server makes its own.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CreateResult, DiffResult, UpdateResult

from provisioner.errors import OperationError
from provisioner.recipes.local.providers import process, venvs
from provisioner.recipes.local.providers.service import (
    ServiceLayout,
    ServiceProvider,
    candidate_ports,
)

#: What the server's environment is built from (its key names the environment and the seed).
REQUIREMENTS: tuple[str, ...] = ("label-studio>=1.23,<1.24",)
VENV_NAME = "label-studio"
#: Seconds to wait for ``/health`` after a start (a copied seed starts in 5-8 s on an idle
#: machine; a busy one is several times slower).
START_TIMEOUT = 300.0
#: Seconds the one-off migration of a seed may take.
SEED_TIMEOUT = 1200.0

INPUT_KEYS = ("service_dir", "listen_port", "username")
DATA_DIR = "data"
DATABASE = "label_studio.sqlite3"
SEED_DIR = "provisioner-seed"
#: Label Studio keeps its Django SECRET_KEY here; a copied seed must never carry one.
SECRET_KEY_FILE = ".env"
DEFAULT_USERNAME = "admin@provisioner.local"

#: Only these variables of ours reach the server: Label Studio reads unprefixed names such as
#: HOST, PORT, USERNAME and PASSWORD, which a shell may well have set for other reasons.
_PASSED_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR")
#: Phone-home and exposure settings of every start.
QUIET_ENV = {
    "LABEL_STUDIO_COLLECT_ANALYTICS": "false",
    "COLLECT_ANALYTICS": "false",
    "LATEST_VERSION_CHECK": "false",
    "SENTRY_DSN": "",
    "FRONTEND_SENTRY_DSN": "",
    "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
    "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
}


def server_env(
    home_dir: Path, data_dir: Path, credentials: dict[str, str] | None
) -> dict[str, str]:
    """The server's whole environment: a few of ours, its data dir, quiet settings, the admin."""
    env = {k: os.environ[k] for k in _PASSED_ENV if k in os.environ}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.update(QUIET_ENV)
    env["HOME"] = str(home_dir)
    env["LABEL_STUDIO_BASE_DATA_DIR"] = str(data_dir)
    env["DJANGO_SETTINGS_MODULE"] = "label_studio.core.settings.label_studio"
    if credentials:
        env["LABEL_STUDIO_USERNAME"] = credentials["username"]
        env["LABEL_STUDIO_PASSWORD"] = credentials["password"]
        env["LABEL_STUDIO_USER_TOKEN"] = credentials["token"]
    return env


def new_credentials(username: str) -> dict[str, str]:
    """A random admin password and a 40-character API token (Label Studio's token length)."""
    return {
        "username": username,
        "password": secrets.token_urlsafe(24),
        "token": secrets.token_hex(20),
    }


def token_header(token: str) -> dict[str, str]:
    """The ``Authorization`` header of Label Studio's (legacy) API token."""
    return {"Authorization": f"Token {token}"}


def service_venv() -> Path:
    """Label Studio's environment, built now (about 1 GB, minutes) if none is ready."""
    return venvs.ensure_service_venv(VENV_NAME, REQUIREMENTS)


def _package_dir(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python*/site-packages/label_studio/manage.py"))
    if not found:
        raise OperationError(f"the Label Studio environment {venv} holds no label_studio package")
    return found[0].parent


def ensure_seed(venv: Path) -> Path:
    """A migrated, empty data dir for ``venv``'s Label Studio, built once (file lock).

    Raises:
        OperationError: the migration failed; the message ends with its last lines.
    """
    seed = venv / SEED_DIR
    with open(venv / f".{SEED_DIR}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (seed / DATABASE).is_file():
            return seed
        building = venv / f".{SEED_DIR}.building"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(mode=0o700)
        argv = [str(venv / "bin" / "python"), str(_package_dir(venv) / "manage.py"), "migrate"]
        try:
            done = subprocess.run(
                [*argv, "--noinput"],
                cwd=building,
                env=server_env(building, building / DATA_DIR, None),
                capture_output=True,
                text=True,
                timeout=SEED_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise OperationError(
                f"migrating a Label Studio data dir took over {SEED_TIMEOUT:.0f} s"
            ) from None
        if done.returncode != 0:
            last = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
            raise OperationError(f"migrating a Label Studio data dir failed:\n{last}")
        (building / DATA_DIR / SECRET_KEY_FILE).unlink(missing_ok=True)
        shutil.rmtree(seed, ignore_errors=True)
        os.replace(building / DATA_DIR, seed)
        shutil.rmtree(building, ignore_errors=True)
        return seed


def _wait_up(pid: int, port: int, log: Path) -> str:
    """Wait for the server ``pid`` to listen on ``port`` and answer ``/health``.

    Returns:
        ``"up"``; ``"moved"`` when the port was busy (Label Studio then listens on another
        one, or something else answers); ``"exited"``; or ``"timeout"``.
    """
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.http_ok(port, "/health", timeout=2.0):
            return "up" if pid in process.listening_pids(port) else "moved"
        if not process.pid_alive(pid):
            return "exited"
        if f"Port {port} is in use" in process.tail(log, 200):
            return "moved"
        if time.monotonic() >= deadline:
            return "timeout"
        time.sleep(0.1)


class _Layout(ServiceLayout):
    """The files of one Label Studio service under its service dir."""

    LOG_FILE = "label-studio.log"

    @property
    def data(self) -> Path:
        return self.root / DATA_DIR


def _credentials(props: dict[str, Any]) -> dict[str, str] | None:
    found = props.get("credentials")
    if isinstance(found, dict) and {"username", "password", "token"} <= found.keys():
        return {k: str(found[k]) for k in ("username", "password", "token")}
    return None


class LocalLabelStudioProvider(ServiceProvider[_Layout]):
    """Runs ``label-studio start`` detached on 127.0.0.1 with its data in the service dir.

    Inputs: ``service_dir`` (absolute), ``listen_port`` (0 picks a free port), ``username``
    (the admin's email) and ``credentials`` (a secret placeholder the outputs fill). Outputs:
    ``port``, ``url``, ``pid``, ``data_dir``, ``running`` and ``credentials`` (username,
    password, token). The id is the service dir; its state file (pid, port, venv; no secret)
    is written before create returns. Past create, the provider's methods take the admin's
    credentials from ``props["credentials"]``.
    """

    LAYOUT = _Layout
    INPUT_KEYS = INPUT_KEYS
    REPLACE_KEYS = ("service_dir", "username")
    STOP_OPTIONS = {"timeout": 15.0}

    def _check_more(self, news: dict[str, Any]) -> list[CheckFailure]:
        username = news.get("username", DEFAULT_USERNAME)
        if not isinstance(username, str) or "@" not in username:
            return [CheckFailure("username", f"must be an email, got {username!r}")]
        return []

    def _more_outs(
        self, props: dict[str, Any], layout: _Layout, state: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "username": props.get("username") or DEFAULT_USERNAME,
            "data_dir": str(layout.data),
            "venv": state.get("venv"),
            "credentials": _credentials(props),
        }

    def _marker(self, layout: _Layout, state: dict[str, Any]) -> str:
        return str(layout.data)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = super().diff(_id, olds, news)
        # a new admin means a new server in the same folder: the old one must go first
        result.delete_before_replace = bool(result.replaces)
        return result

    def create(self, props: dict[str, Any]) -> CreateResult:
        layout = self._layout(props["service_dir"])
        if layout.root.exists():
            # Left by a create that never finished: its admin's credentials were never
            # recorded, so nothing in it is reachable; start over.
            self._stop(layout)
            shutil.rmtree(layout.root)
        credentials = new_credentials(props.get("username") or DEFAULT_USERNAME)
        return super().create({**props, "credentials": credentials})

    def adopt(self, props: dict[str, Any]) -> CreateResult | None:
        """Clean up after a create that crashed before its result was recorded.

        Its admin's credentials were lost with it, so the server it may have started cannot
        be used: it is stopped and its folder removed, and None says nothing was made (the
        next deploy creates a server afresh).
        """
        layout = self._layout(props["service_dir"])
        if layout.root.exists():
            self._stop(layout)
            shutil.rmtree(layout.root)
        return None

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        credentials = _credentials(olds)
        if credentials is None:
            raise OperationError(
                f"the Label Studio service in {news['service_dir']} has no recorded admin "
                "credentials",
                hint="Destroy and deploy the stack again to make a new server.",
            )
        return super().update(_id, olds, {**news, "credentials": credentials})

    def _alive(self, layout: _Layout, state: dict[str, Any], props: dict[str, Any]) -> bool:
        pid, port = state.get("pid"), state.get("port")
        credentials = _credentials(props)
        return bool(
            port
            and credentials
            and process.pid_alive(pid, str(layout.data))
            and pid in process.listening_pids(int(port))
            and process.http_ok(
                int(port), "/api/projects?page_size=1", headers=token_header(credentials["token"])
            )
        )

    def _ensure_running(
        self, props: dict[str, Any], layout: _Layout, prefer_port: int | None
    ) -> dict[str, Any]:
        """Return the state of a live server for ``layout``, starting one if needed."""
        credentials = _credentials(props)
        assert credentials is not None  # create and update put them in
        state = layout.read_state()
        wanted = int(props.get("listen_port") or 0)
        layout.make_root()
        if self._alive(layout, state, props) and wanted in (0, state.get("port")):
            return state
        self._stop(layout)
        venv = service_venv()
        if not (layout.data / DATABASE).is_file():
            shutil.rmtree(layout.data, ignore_errors=True)
            shutil.copytree(ensure_seed(venv), layout.data)
            os.chmod(layout.data, 0o700)
        env = server_env(layout.root, layout.data, credentials)
        headers = token_header(credentials["token"])
        last_error, port = "", wanted
        for port in candidate_ports(wanted, prefer_port):
            if not process.port_is_free(port):
                last_error = f"127.0.0.1:{port} is taken"
                continue
            argv = [
                str(venvs.venv_bin(venv, "label-studio")),
                "start",
                "--no-browser",
                "--internal-host",
                "127.0.0.1",
                "--port",
                str(port),
                "--data-dir",
                str(layout.data),
                "--enable-legacy-api-token",
            ]
            started = time.monotonic()
            pid = process.spawn_detached(argv, layout.log, layout.root, env)
            state = {"pid": pid, "port": port, "venv": str(venv), "started_at": time.time()}
            layout.write_state(state)
            outcome = _wait_up(pid, port, layout.log)
            if outcome == "up":
                if not process.http_ok(port, "/api/projects?page_size=1", 10.0, headers):
                    self._stop_pid(pid, layout, state)
                    raise OperationError(
                        f"Label Studio in {layout.root} refuses its admin's API token (was its "
                        "data dir started once without LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN?); "
                        f"log: {layout.log}"
                    )
                state["start_seconds"] = round(time.monotonic() - started, 3)
                layout.write_state(state)
                return state
            self._stop_pid(pid, layout, state)
            if outcome == "moved":
                last_error = f"127.0.0.1:{port} was taken when Label Studio started (it moved)"
                continue
            last_error = process.tail(layout.log, 15)
            if outcome == "exited":
                raise OperationError(
                    f"Label Studio in {layout.root} exited at once; last log lines:\n{last_error}"
                )
            raise OperationError(
                f"Label Studio in {layout.root} did not answer on 127.0.0.1:{port} within "
                f"{START_TIMEOUT:.0f} s; last log lines:\n{last_error}"
            )
        raise OperationError(
            f"Label Studio in {layout.root} could not get its port: {last_error}",
            hint="Choose another `port` in the annotator's config (0 picks a free one), "
            "or stop what listens there.",
        )


@dataclass(frozen=True)
class LocalLabelStudioServiceArgs:
    """Inputs of a LocalLabelStudioService.

    Attributes:
        service_dir: absolute folder for the server's data, log and state.
        listen_port: port on 127.0.0.1; 0 picks a free one.
        username: the admin's email.
    """

    service_dir: str
    listen_port: int = 0
    username: str = DEFAULT_USERNAME


class LocalLabelStudioService(
    pulumi.dynamic.Resource, module="provisioner", name="LocalLabelStudioService"
):
    """A Label Studio server on 127.0.0.1, managed by LocalLabelStudioProvider."""

    port: pulumi.Output[int]
    url: pulumi.Output[str]
    pid: pulumi.Output[int]
    data_dir: pulumi.Output[str]
    credentials: pulumi.Output[dict[str, str]]

    def __init__(
        self,
        name: str,
        args: LocalLabelStudioServiceArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "service_dir": args.service_dir,
            "listen_port": args.listen_port,
            "username": args.username,
            # A secret input: the engines keep the output of the same name secret, so the
            # credentials the provider generates are encrypted in state.
            "credentials": pulumi.Output.secret(""),
            **{k: None for k in ("port", "url", "pid", "data_dir", "log_file", "venv")},
            "running": None,
        }
        # The Pulumi engine also keeps outputs named here secret (the embedded engine keeps
        # an output secret when its input of the same name is).
        secret = pulumi.ResourceOptions(additional_secret_outputs=["credentials"])
        opts = pulumi.ResourceOptions.merge(opts, secret) if opts else secret
        super().__init__(LocalLabelStudioProvider(), name, props, opts)
