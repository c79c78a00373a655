"""The resource monitor the SDK talks to: a MockMonitor subclass that feeds a Deployment."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from google.protobuf import empty_pb2, struct_pb2
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


_PLAIN = (str, bool, int, float)


def _is_plain(value: Any) -> bool:
    """True if ``value`` is JSON-shaped: what a protobuf Struct holds as it is."""
    if value is None or isinstance(value, _PLAIN):
        return True
    if type(value) is dict:
        return all(type(k) is str and _is_plain(v) for k, v in value.items())
    if type(value) is list:
        return all(_is_plain(v) for v in value)
    return False


def _serialize(values: dict[str, Any]) -> struct_pb2.Struct:
    """``values`` as the SDK's ``rpc.serialize_properties`` sends them.

    JSON-shaped values (secrets and unknowns become such dicts and strings) go straight into
    the Struct, as the SDK would put them, keys whose value is None left out; anything else
    (assets, for example) goes through the SDK's own serializer.
    """
    wire = to_rpc(values)
    if _is_plain(wire):
        struct = struct_pb2.Struct()
        for key, value in wire.items():
            if value is not None:
                struct[key] = value
        return struct
    return _sync_await(rpc.serialize_properties(wire, {}))


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
        self._local = threading.local()
        self._loops: list[asyncio.AbstractEventLoop] = []
        self._loops_lock = threading.Lock()

    def _thread_loop(self) -> None:
        """Give this executor thread an event loop (deserializing needs one), once per thread.

        The SDK calls the monitor from its executor threads, which have none. The SDK's own
        helper leaves a new loop behind in every thread; one per request would cost a
        selector and a socket pair each time. :meth:`close` closes them after the run.
        """
        if getattr(self._local, "ready", False):
            return
        try:
            asyncio.get_event_loop()
        except RuntimeError:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            with self._loops_lock:
                self._loops.append(loop)
        self._local.ready = True

    def close(self) -> None:
        """Close the event loops made for executor threads (call when the run has ended)."""
        with self._loops_lock:
            loops, self._loops = self._loops, []
        for loop in loops:
            loop.close()

    def RegisterResource(self, request: Any) -> Any:
        self._thread_loop()
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
        self._thread_loop()
        outputs = from_rpc(rpc.deserialize_properties(request.outputs, keep_unknowns=True))
        self.deployment.register_outputs(request.urn, outputs)
        return empty_pb2.Empty()

    def Invoke(self, request: Any) -> Any:
        self._thread_loop()
        if request.tok == "pulumi:pulumi:getResource":
            return super().Invoke(request)
        args = plain(from_rpc(rpc.deserialize_properties(request.args)))
        result = self.deployment.invoke(request.tok, args)
        return resource_pb2.ResourceInvokeResponse(failures=None, **{"return": _serialize(result)})

    def ReadResource(self, request: Any) -> Any:
        raise EngineUnavailableError(
            f"{request.name}: reading an existing resource ({request.type}) with .get() "
            "needs the Pulumi engine",
            hint=CLI_HINT,
        )
