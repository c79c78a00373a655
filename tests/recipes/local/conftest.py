"""Fixtures for local recipe tests: an isolated provisioner home, a recording mock monitor."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime.mocks import MockMonitor

from provisioner import home
from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.local.providers import process
from provisioner.spec.models import LocalStack


@pytest.fixture(autouse=True)
def no_leaked_registries(tmp_path: Path, provisioner_home: Path) -> Iterator[None]:
    """Stop any registry or Label Studio a test started under its folders, even when the test
    failed."""
    yield
    for root in (tmp_path, Path(provisioner_home)):
        for state_file in root.rglob("state.json"):
            config = state_file.with_name("config.yml")
            try:
                pid = json.loads(state_file.read_text()).get("pid")
            except (OSError, ValueError):
                continue
            if config.exists():
                process.stop_process(pid, str(config))
            elif state_file.with_name("label-studio.log").exists():  # a Label Studio service
                process.stop_process(pid, str(state_file.with_name("data")), timeout=15.0)


@pytest.fixture
def prov_home(tmp_path: Path) -> Iterator[Path]:
    """A fresh provisioner home for the test."""
    root = tmp_path / "home"
    home.set_home(root)
    try:
        yield root
    finally:
        home.set_home(None)


@pytest.fixture
def ctx() -> RecipeContext:
    """The context of a local stack named ``demo``."""
    spec = LocalStack(
        name="demo",
        cloud="local",
        tags={"env": "test"},
        components={"orchestrator": {"flavor": "local"}},
    )
    return RecipeContext(spec=spec)


class LocalMocks(pulumi.runtime.Mocks):
    """Answers like the providers would: a directory is created, a registry gets a port."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, dict[str, Any]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.inputs[args.name] = dict(args.inputs)
        state = dict(args.inputs)
        if args.typ.endswith(":LocalDirectory"):
            state["created"] = True
            return state["path"], state
        if args.typ.endswith(":LocalRegistryService"):
            port = int(state.get("listen_port") or 0) or 5123
            state.update(port=port, uri=f"127.0.0.1:{port}", pid=4242, running=True)
            state["data_dir"] = str(Path(state["service_dir"]) / "data")
            state["credentials_file"] = str(Path(state["service_dir"]) / "credentials.json")
            return state["service_dir"], state
        if args.typ.endswith(":LocalLabelStudioService"):
            port = int(state.get("listen_port") or 0) or 8089
            state.update(port=port, url=f"http://127.0.0.1:{port}", pid=4343, running=True)
            state["credentials"] = {"username": state["username"], "password": "pw", "token": "tk"}
            return state["service_dir"], state
        if args.typ.endswith(":LocalMLflowServer"):
            port = int(state.get("listen_port") or 0) or 5500
            state.update(port=port, tracking_uri=f"http://127.0.0.1:{port}", pid=4343)
            state.update(venv="/venvs/mlflow-abc", running=True)
            return state["service_dir"], state
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


@dataclass
class Registration:
    """One RegisterResource request as the monitor saw it."""

    type: str
    name: str
    parent: str
    custom: bool
    urn: str
    inputs: dict[str, Any] = field(default_factory=dict)


class RecordingMonitor(MockMonitor):
    """A MockMonitor that records every registration with its parent URN."""

    def __init__(self, mocks: LocalMocks) -> None:
        super().__init__(mocks)
        self.local_mocks = mocks
        self.registrations: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            inputs = self.local_mocks.inputs.get(request.name, {})
            self.registrations.append(
                Registration(
                    request.type, request.name, request.parent, request.custom, response.urn, inputs
                )
            )
        return response

    def by_name(self, name: str) -> Registration:
        found = [r for r in self.registrations if r.name == name]
        assert len(found) == 1, f"{name!r} registered {len(found)} times: {self.registrations}"
        return found[0]


@pytest.fixture
def monitor() -> RecordingMonitor:
    """Pulumi runtime mocks whose monitor records registrations."""
    # The SDK's mocks use the current event loop; an engine run earlier in this process may
    # have left none set, so give each test its own (left current and open for what follows).
    asyncio.set_event_loop(asyncio.new_event_loop())
    mocks = LocalMocks()
    mon = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="provisioner", stack="demo", preview=False, monitor=mon)
    return mon


@pytest.fixture
def deploy(monitor: RecordingMonitor) -> Callable[[Callable[[], Any]], dict[str, Any]]:
    """Run a recipe under the mocks; return the resource and its resolved ``connection``."""

    def run(build: Callable[[], Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}

        @pulumi.runtime.test
        def program() -> pulumi.Output[Any]:
            resource = build()
            result["resource"] = resource
            return pulumi.Output.from_input(resource.connection).apply(
                lambda conn: result.update(connection=conn)
            )

        program()
        return result

    return run
