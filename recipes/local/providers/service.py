"""The base of a managed local service: one detached server process on 127.0.0.1 whose pid
and port live in a state file in its service dir, behind a Pulumi dynamic provider."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar, cast

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from provisioner.recipes.local.providers import process

STATE_FILE = "state.json"
#: Port attempts when the port is picked automatically and is taken in the meantime.
PORT_ATTEMPTS = 3


@dataclass(frozen=True)
class ServiceLayout:
    """The files of one service under its service dir: its state file and its log."""

    root: Path

    #: The log's name in the service dir.
    LOG_FILE: ClassVar[str] = "service.log"

    @property
    def log(self) -> Path:
        return self.root / self.LOG_FILE

    @property
    def state(self) -> Path:
        return self.root / STATE_FILE

    def make_root(self) -> None:
        """Create the service folder private to this user (0700), or tighten it."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.root, 0o700)

    def read_state(self) -> dict[str, Any]:
        try:
            return json.loads(self.state.read_text())
        except (OSError, ValueError):
            return {}

    def write_state(self, state: dict[str, Any]) -> None:
        tmp = self.state.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2, sort_keys=True))
        os.replace(tmp, self.state)


def candidate_ports(wanted: int, prefer_port: int | None) -> Iterator[int]:
    """The ports a start tries in turn: ``wanted`` alone when set; otherwise ``prefer_port``
    first if it is free within 2 s, then free ones, :data:`PORT_ATTEMPTS` in all."""
    if wanted:
        yield wanted
        return
    for attempt in range(PORT_ATTEMPTS):
        if attempt == 0 and prefer_port and process.wait_port_free(int(prefer_port), 2.0):
            yield int(prefer_port)
        else:
            yield process.free_port()


L = TypeVar("L", bound=ServiceLayout)


class ServiceProvider(ResourceProvider, Generic[L]):
    """Create, read, update, delete and diff of one server process in a service dir.

    The id is the service dir. Inputs: ``service_dir`` (absolute), ``listen_port`` (0 picks
    a free port) and a subclass's own; outputs add ``port``, the address, ``pid``,
    ``log_file``, ``running`` and a subclass's own. A subclass says how to start the server
    (:meth:`_ensure_running`, which writes the state file right after the spawn so a lost
    create can be adopted), how to tell it is alive and how to recognise its process.
    """

    serialize_as_secret_always = False

    #: The layout of a service dir (the class ``L``).
    LAYOUT: ClassVar[type[ServiceLayout]] = ServiceLayout
    #: Inputs a change of which is a change of the resource.
    INPUT_KEYS: ClassVar[tuple[str, ...]] = ("service_dir", "listen_port")
    #: Inputs a change of which replaces it.
    REPLACE_KEYS: ClassVar[tuple[str, ...]] = ("service_dir",)
    #: Inputs that must be absolute paths.
    PATH_KEYS: ClassVar[tuple[str, ...]] = ("service_dir",)
    #: The output that holds the server's address.
    ADDRESS_KEY: ClassVar[str] = "url"
    #: Keyword arguments of :func:`process.stop_process` for the server's process.
    STOP_OPTIONS: ClassVar[dict[str, Any]] = {}

    # -- what a service says about itself ----------------------------------------------------

    def _ensure_running(
        self, props: dict[str, Any], layout: L, prefer_port: int | None
    ) -> dict[str, Any]:
        """The state of a live server for ``layout``, starting one if needed."""
        raise NotImplementedError

    def _alive(self, layout: L, state: dict[str, Any], props: dict[str, Any]) -> bool:
        """Whether the server ``state`` records runs and answers."""
        raise NotImplementedError

    def _marker(self, layout: L, state: dict[str, Any]) -> str:
        """What the server's command line holds (a reused pid is not ours)."""
        raise NotImplementedError

    def _check_more(self, news: dict[str, Any]) -> list[CheckFailure]:
        """Failures of the subclass's own inputs."""
        return []

    def _more_outs(self, props: dict[str, Any], layout: L, state: dict[str, Any]) -> dict[str, Any]:
        """The subclass's own outputs."""
        return {}

    def _address(self, port: int) -> str:
        return f"http://127.0.0.1:{port}"

    def _restart_on_update(self, layout: L, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        """Whether an update stops the server before starting it again: a new port."""
        return news.get("listen_port") != olds.get("listen_port") and self._alive(
            layout, layout.read_state(), news
        )

    # -- the provider ------------------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = []
        for key in self.PATH_KEYS:
            value = news.get(key)
            if not isinstance(value, str) or not os.path.isabs(value):
                failures.append(CheckFailure(key, f"must be an absolute path, got {value!r}"))
        port = news.get("listen_port", 0)
        if isinstance(port, float) and port.is_integer():
            port = int(port)
            news = {**news, "listen_port": port}
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
            failures.append(CheckFailure("listen_port", f"must be 0..65535, got {port!r}"))
        failures += self._check_more(news)
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [k for k in self.INPUT_KEYS if olds.get(k) != news.get(k)]
        stopped = olds.get("running") is False
        return DiffResult(
            changes=bool(changed) or stopped,
            replaces=[k for k in changed if k in self.REPLACE_KEYS],
            stables=[],
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        layout = self._layout(props["service_dir"])
        made_root = not layout.root.exists()
        try:
            state = self._ensure_running(props, layout, prefer_port=None)
        except BaseException:
            if made_root:
                self._stop(layout)
                shutil.rmtree(layout.root, ignore_errors=True)
            raise
        return CreateResult(str(layout.root), self._outs(props, layout, state, running=True))

    def adopt(self, props: dict[str, Any]) -> CreateResult | None:
        """Take over what a create that crashed half-way left behind.

        Returns:
            None when the service dir does not exist (nothing was made). Otherwise the
            result create would have returned: a server still running from the lost create
            is kept as is (same pid and port); one that died is started again on its data.
        """
        layout = self._layout(props["service_dir"])
        if not layout.root.is_dir():
            return None
        state = self._ensure_running(props, layout, prefer_port=layout.read_state().get("port"))
        return CreateResult(str(layout.root), self._outs(props, layout, state, running=True))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        layout = self._layout(props.get("service_dir") or id_)
        if not layout.root.is_dir():
            return ReadResult("", {})
        state = layout.read_state()
        running = self._alive(layout, state, props)
        return ReadResult(id_, self._outs(props, layout, state, running))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        layout = self._layout(news["service_dir"])
        if self._restart_on_update(layout, olds, news):
            self._stop(layout)
        state = self._ensure_running(news, layout, prefer_port=olds.get("port"))
        return UpdateResult(self._outs(news, layout, state, running=True))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        layout = self._layout(props.get("service_dir") or id_)
        if not layout.root.exists():
            return
        self._stop(layout)
        if props.get("pid"):  # the server the outputs name, should the state file not
            self._stop_pid(int(props["pid"]), layout, props)
        shutil.rmtree(layout.root)
        parent = layout.root.parent
        if parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()

    # -- helpers -----------------------------------------------------------------------------

    def _layout(self, service_dir: str) -> L:
        return cast(L, self.LAYOUT(Path(service_dir)))

    def _outs(
        self, props: dict[str, Any], layout: L, state: dict[str, Any], running: bool
    ) -> dict[str, Any]:
        port = state.get("port")
        return {
            "service_dir": str(layout.root),
            "listen_port": props.get("listen_port", 0),
            "port": port,
            self.ADDRESS_KEY: self._address(port) if port else None,
            "pid": state.get("pid") if running else None,
            "log_file": str(layout.log),
            "running": running,
            **self._more_outs(props, layout, state),
        }

    def _stop_pid(self, pid: int | None, layout: L, state: dict[str, Any]) -> None:
        """Stop the server ``pid`` (``state`` names its port) if it is still ours."""
        process.stop_process(pid, self._marker(layout, state), **self.STOP_OPTIONS)

    def _stop(self, layout: L) -> None:
        """Stop the server the state file records."""
        state = layout.read_state()
        self._stop_pid(state.get("pid"), layout, state)
