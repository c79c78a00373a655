"""The resource monitor the SDK talks to: a MockMonitor subclass that feeds a Deployment."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

from google.protobuf import empty_pb2
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.sync_await import _sync_await

from provisioner.engines.embedded.deployment import CLI_HINT, STACK_TYPE, Deployment, Registration
from provisioner.engines.embedded.values import PROVIDER_KEY, from_rpc, plain, to_rpc
from provisioner.errors import EngineUnavailableError

PROJECT = "provisioner"


def make_urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    """Pulumi's URN: the parent's type chain (``A$B$type``), the root stack excluded."""
    qualified = type_
    if parent:
        parent_type = parent.split("::")[2]
        if parent_type != STACK_TYPE:
            qualified = f"{parent_type}${type_}"
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


class NoMocks(Mocks):
    """Placeholder mocks: the monitor below answers every request itself."""

    def call(self, args: MockCallArgs) -> tuple[dict, list | None]:
        raise AssertionError("EngineMonitor answers calls itself")

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict]:
        raise AssertionError("EngineMonitor answers registrations itself")


@contextlib.contextmanager
def _thread_loop() -> Iterator[None]:
    """An event loop for this executor thread, closed afterwards.

    The SDK's own helper leaves a new loop behind in every executor thread; unclosed, those
    loops are collected at interpreter exit and print "Exception ignored" noise.
    """
    try:
        asyncio.get_event_loop()
        created = None
    except RuntimeError:
        created = asyncio.new_event_loop()
        asyncio.set_event_loop(created)
    try:
        yield
    finally:
        if created is not None:
            asyncio.set_event_loop(None)
            created.close()


def _serialize(values: dict[str, Any]) -> Any:
    return _sync_await(rpc.serialize_properties(to_rpc(values), {}))


class EngineMonitor(MockMonitor):
    """Sees every RegisterResource, Invoke and output registration of the program.

    Args:
        deployment: decides and performs the steps.
        stack: the stack's name (for URNs).
        project: the Pulumi project name.
    """

    def __init__(self, deployment: Deployment, stack: str, project: str = PROJECT) -> None:
        super().__init__(NoMocks())
        self.deployment = deployment
        self.stack = stack
        self.project = project

    def RegisterResource(self, request: Any) -> Any:
        with _thread_loop():
            return self._register_resource(request)

    def _register_resource(self, request: Any) -> Any:
        urn = make_urn(self.stack, self.project, request.parent, request.type, request.name)
        inputs = from_rpc(rpc.deserialize_properties(request.object, keep_unknowns=True))
        blob = inputs.pop(PROVIDER_KEY, None)
        reg = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent or None,
            dependencies=list(dict.fromkeys(request.dependencies)),
            inputs=inputs,
            provider=plain(blob) if blob is not None else None,
            delete_before_replace=bool(request.deleteBeforeReplace),
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            ignore_changes=list(request.ignoreChanges),
            replace_on_changes=list(request.replaceOnChanges),
            import_id=request.importId,
        )
        id_, outputs = self.deployment.register(reg)
        if reg.type == STACK_TYPE:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, id_, plain(outputs))
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=_serialize(outputs))

    def RegisterResourceOutputs(self, request: Any) -> Any:
        with _thread_loop():
            outputs = from_rpc(rpc.deserialize_properties(request.outputs, keep_unknowns=True))
            self.deployment.register_outputs(request.urn, outputs)
        return empty_pb2.Empty()

    def Invoke(self, request: Any) -> Any:
        with _thread_loop():
            if request.tok == "pulumi:pulumi:getResource":
                return super().Invoke(request)
            args = plain(from_rpc(rpc.deserialize_properties(request.args)))
            result = self.deployment.invoke(request.tok, args)
            return resource_pb2.ResourceInvokeResponse(
                failures=None, **{"return": _serialize(result)}
            )

    def ReadResource(self, request: Any) -> Any:
        raise EngineUnavailableError(
            f"{request.name}: reading an existing resource ({request.type}) with .get() "
            "needs the Pulumi engine",
            hint=CLI_HINT,
        )
