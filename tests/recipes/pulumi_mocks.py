"""The Pulumi mocks harness every cloud's recipe tests share: a monitor that records every
registration, the run loop, and the invariants all clouds keep. Each cloud's ``harness.py``
adds its mocks (what the cloud computes) and its own checks (tags, IAM)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pulumi
from google.protobuf import json_format
from pulumi.runtime import rpc, settings
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, Mocks

from provisioner.catalog.flavor import RecipeContext
from provisioner.spec.models import AWSStack, AzureStack, GCPStack

STACK = "ml"

#: Maps whose keys are user data (tag keys, labels), not property names.
FREE_FORM_KEYS = frozenset({"tags", "tagsAll", "labels", "resourceLabels"})


def stack_ctx(
    model: type[AWSStack | GCPStack | AzureStack],
    name: str,
    tags: dict[str, str] | None,
    **fields: Any,
) -> RecipeContext:
    """A RecipeContext for a stack (of ``model``, with ``fields``) with no components built yet."""
    spec = model.model_validate(
        {"name": name, "tags": tags or {"team": "ml"}, "components": {}, **fields}
    )
    return RecipeContext(spec=spec)


class RecordingMocks(Mocks):
    """A cloud's mocks: its ``call`` keeps every data-source call in ``calls``."""

    def __init__(self) -> None:
        self.calls: list[MockCallArgs] = []


@dataclass
class Registration:
    """One RegisterResource request as the engine would see it."""

    type: str
    name: str
    urn: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    dependencies: set[str]
    property_dependencies: dict[str, set[str]]
    outputs: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    provider: str = ""

    def policy(self, key: str = "policy") -> dict[str, Any]:
        """A JSON policy input, parsed."""
        return json.loads(self.inputs[key])


class RecordingMonitor(MockMonitor):
    """A MockMonitor that keeps every registration with its parent and dependencies."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.component_outputs: dict[str, dict[str, Any]] = {}

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append(
                Registration(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent=request.parent,
                    custom=bool(request.custom),
                    inputs=rpc.deserialize_properties(request.object),
                    dependencies=set(request.dependencies),
                    property_dependencies={
                        k: set(v.urns) for k, v in request.propertyDependencies.items()
                    },
                    outputs=rpc.deserialize_properties(response.object) if request.custom else {},
                    id=response.id,
                    provider=request.provider,
                )
            )
        return response

    def RegisterResourceOutputs(self, request):
        self.component_outputs[request.urn] = rpc.deserialize_properties(request.outputs)
        return super().RegisterResourceOutputs(request)


class WholeRequests(RecordingMonitor):
    """Keeps whole every registration and data source call whose type token starts with one of
    ``PREFIXES``, as the engine gets it (all but where in the source it came from), to hold a
    thin resource layer's requests equal to the typed SDK's. A subclass names its prefixes."""

    PREFIXES: ClassVar[tuple[str, ...]] = ()
    seen: ClassVar[list[dict[str, Any]]] = []

    @staticmethod
    def whole(request) -> dict[str, Any]:
        whole = json_format.MessageToDict(request, preserving_proto_field_name=True)
        for where in ("sourcePosition", "source_position", "stackTrace", "stack_trace"):
            whole.pop(where, None)
        # dependencies are sets: the SDK lists them in whatever order its awaits finished
        whole["dependencies"] = sorted(whole.get("dependencies", []))
        for deps in whole.get("propertyDependencies", {}).values():
            deps["urns"] = sorted(deps.get("urns", []))
        return whole

    def RegisterResource(self, request):
        if request.type.startswith(self.PREFIXES):
            type(self).seen.append({"kind": "register", **self.whole(request)})
        return super().RegisterResource(request)

    def Invoke(self, request):
        if request.tok.startswith(self.PREFIXES):
            type(self).seen.append({"kind": "invoke", **self.whole(request)})
        return super().Invoke(request)


@dataclass
class Run:
    """What a program registered under the mocks, and the connections it produced."""

    result: Any
    registrations: list[Registration]
    component_outputs: dict[str, dict[str, Any]]
    calls: list[MockCallArgs]
    connections: dict[str, dict[str, Any]] = field(default_factory=dict)
    connection_is_secret: dict[str, bool] = field(default_factory=dict)
    stack_outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def custom(self) -> list[Registration]:
        return [r for r in self.registrations if r.custom]

    def of_type(self, token: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == token]

    def one(self, token: str, name: str | None = None) -> Registration:
        found = [r for r in self.of_type(token) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {token} {name or ''}, got {[r.name for r in found]}"
        return found[0]

    def by_urn(self, urn: str) -> Registration:
        return next(r for r in self.registrations if r.urn == urn)

    def under(self, component: Registration) -> list[Registration]:
        """Every resource in the component's subtree."""
        out, frontier = [], {component.urn}
        while frontier:
            children = [r for r in self.registrations if r.parent in frontier]
            out += children
            frontier = {r.urn for r in children}
        return out

    def types_under(self, component: Registration) -> set[str]:
        return {r.type for r in self.under(component)}


def run_program(
    mocks: RecordingMocks,
    build: Callable[[], Any],
    *,
    connections: Callable[[Any], dict[str, Any]] | None = None,
) -> Run:
    """Run ``build`` as a Pulumi program under ``mocks`` (not a preview).

    ``connections(result)`` names the components whose ``connection`` to resolve; by default
    the result itself is the one component, named "main".
    """
    monitor = RecordingMonitor(mocks)
    settings.ROOT.set(None)  # the root stack is process-global: start a fresh one
    pulumi.runtime.set_mocks(
        mocks, project="provisioner", stack=STACK, preview=False, monitor=monitor
    )
    holder: dict[str, Any] = {}
    secret_flags: dict[str, bool] = {}

    @pulumi.runtime.test
    def program():
        result = holder["result"] = build()
        named = connections(result) if connections else {"main": result}
        outs = {key: pulumi.Output.from_input(comp.connection) for key, comp in named.items()}

        async def secretness() -> None:
            for key, out in outs.items():
                secret_flags[key] = await out.is_secret()

        root = settings.get_root_resource()
        exported = pulumi.Output.from_input(dict(getattr(root, "outputs", {}) or {}))
        flags = pulumi.Output.from_input(secretness())
        return pulumi.Output.all(pulumi.Output.all(**outs), exported, flags).apply(
            lambda v: holder.update(connections=v[0], stack_outputs=v[1])
        )

    program()
    return Run(
        result=holder["result"],
        registrations=monitor.registrations,
        component_outputs=monitor.component_outputs,
        calls=mocks.calls,
        connections=holder["connections"],
        connection_is_secret=secret_flags,
        stack_outputs=holder["stack_outputs"],
    )


# --- checks applied to every resource of every test ---------------------------------------

_SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")


def snake_case_keys(value: Any, path: str = "") -> list[str]:
    """Paths of snake_case keys in serialized inputs.

    The Pulumi SDK turns the keys of typed args (and of known nested dicts) into the engine's
    camelCase; a key it does not know, such as a typo in a plain nested dict, passes through
    unchanged and the provider ignores it. Keys of free-form maps (tags, labels) are data.
    """
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if _SNAKE.match(str(key)):
                found.append(where)
            if key not in FREE_FORM_KEYS:
                found += snake_case_keys(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += snake_case_keys(item, f"{path}[{i}]")
    return found


def check_tree(r: Run, cloud: str) -> list[Registration]:
    """The shape every cloud's recipes keep: components of ``provisioner:<cloud>:``, no
    snake_case input key, every resource under a component, named after its parent.

    Returns:
        The components.
    """
    prefix = f"provisioner:{cloud}:"
    components = [x for x in r.registrations if not x.custom]
    assert all(c.type.startswith(prefix) for c in components), [c.type for c in components]
    for res in r.registrations:
        assert not snake_case_keys(res.inputs), (res.type, res.name, snake_case_keys(res.inputs))
        if res.custom:
            parent = r.by_urn(res.parent)
            assert not parent.custom and parent.type.startswith(prefix), res.name
        if res.parent and not res.parent.split("::")[-2].endswith(":Stack"):
            assert res.name.startswith(r.by_urn(res.parent).name + "-"), (res.name, res.parent)
    return components


def check_outputs(
    r: Run, components: list[Registration], without_connection: Collection[str] = ()
) -> None:
    """Every component registers its outputs, with a connection (but the types named in
    ``without_connection``); no connection holds a secret."""
    for comp in components:
        outputs = r.component_outputs.get(comp.urn)
        assert outputs is not None, f"{comp.type} {comp.name} never called register_outputs"
        if comp.type not in without_connection:
            assert "connection" in outputs, comp.name
    assert not any(r.connection_is_secret.values()), "a connection holds a secret"
