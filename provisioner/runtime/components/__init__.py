"""The stack's components as objects: the contract between a stack config and a step.

Inside a step, ``get_step_context().experiment_tracker`` (and every other component type);
outside one, ``connect("stack.yaml").model_registry``. Each client is built on first use by
its flavor's runtime implementation (:attr:`Flavor.implementation`, a
:class:`StackComponent` subclass), and imports its SDK lazily.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.catalog.types import ComponentType
from provisioner.errors import CatalogError, UserInputError
from provisioner.runtime.components.base import (
    MissingComponentError,
    StackComponent,
    import_sdk,
    missing_integration,
)

if TYPE_CHECKING:
    from provisioner.catalog.flavor import Flavor
    from provisioner.stackconfig import StackConfig

log = logging.getLogger(__name__)

__all__ = [
    "Components",
    "ConnectedStack",
    "MissingComponentError",
    "StackComponent",
    "connect",
    "import_sdk",
    "missing_integration",
    "resolve_flavor",
]


def resolve_flavor(stack: StackConfig, type_: ComponentType) -> Flavor:
    """The flavor of the stack's component of ``type_``.

    A flavor offered on the stack's cloud wins; a flavor that needs no infrastructure may
    be registered on one cloud only (a webhook alerter, a data validator), so any cloud's
    flavor of that name with a runtime implementation is taken next.

    Raises:
        MissingComponentError: the stack has no such component.
        UserInputError: no flavor of that name exists, or it has no runtime side.
    """
    from provisioner.catalog.registry import registry

    comp = stack.component(type_)
    if comp is None:
        raise MissingComponentError(stack.name, type_)
    reg = registry()
    try:
        flavor = reg.get(type_, comp.flavor, stack.cloud)
    except CatalogError as exc:
        others = [f for f in reg.all() if f.type == type_ and f.name == comp.flavor]
        others = [f for f in others if f.implementation]
        if not others:
            raise UserInputError(
                f"stack {stack.name!r}: {exc}",
                hint="Install the package that provides this flavor in this environment.",
            ) from None
        flavor = others[0]
    if flavor.implementation is None:
        raise UserInputError(
            f"stack {stack.name!r}: the {type_} flavor {comp.flavor!r} has nothing the runtime "
            "can use from a step (its flavor declares no runtime implementation)"
        )
    return flavor


class Components:
    """Builds and caches one client per component type, for one stack config.

    Thread-safe: concurrent steps of a run share one client per type.
    """

    def __init__(self, stack: StackConfig) -> None:
        self.stack = stack
        self._clients: dict[ComponentType, Any] = {}
        self._silenced: set[ComponentType] = set()
        self._lock = threading.RLock()

    def get(self, type_: ComponentType | str) -> Any:
        """The client of the stack's component of ``type_``, built on first use.

        Raises:
            MissingComponentError: the stack has no such component.
            MissingIntegrationError: the flavor's package is not installed.
        """
        type_ = ComponentType(type_)
        with self._lock:
            client = self._clients.get(type_)
            if client is None:
                client = self._build(type_)
                self._clients[type_] = client
            return client

    def has(self, type_: ComponentType | str) -> bool:
        """Whether the stack has a component of ``type_``."""
        return self.stack.component(type_) is not None

    def built(self) -> dict[ComponentType, Any]:
        """The clients built so far (to close them, or to notify them of run events)."""
        with self._lock:
            return dict(self._clients)

    def build_observers(self) -> None:
        """Build now every client whose class observes runs (see ``observes_runs``).

        A component whose flavor has no runtime side, or whose package is missing, is left
        for first use (which raises the clear error).
        """
        for type_ in self.stack.components:
            with self._lock:
                if type_ in self._clients:
                    continue
            try:
                impl = resolve_flavor(self.stack, type_).load_implementation()
            except (UserInputError, ImportError):
                continue
            if getattr(impl, "observes_runs", False):
                self.get(type_)

    def notify(self, hook: str, *args: Any) -> None:
        """Call ``hook(*args)`` (``on_run_start``, ``on_step_end``, ...) on every built client.

        A hook that fails is logged and never fails the run: tracking is a record of the
        run, not part of it.
        """
        for type_, client in self.built().items():
            method = getattr(client, hook, None)
            if not callable(method) or type_ in self._silenced:
                continue
            try:
                method(*args)
            except Exception as exc:
                # one warning, then quiet: a tracker that is down stays down for this run, and
                # each further call would wait for its retries again
                self._silenced.add(type_)
                log.warning(
                    "%s %s failed: %s (its run events are skipped for the rest of the run)",
                    type_,
                    hook,
                    exc,
                )

    def close(self) -> None:
        """Close every client built so far."""
        for client in self.built().values():
            close = getattr(client, "close", None)
            if callable(close):
                close()
        with self._lock:
            self._clients.clear()

    def _build(self, type_: ComponentType) -> Any:
        flavor = resolve_flavor(self.stack, type_)
        comp = self.stack.component(type_)
        assert comp is not None  # resolve_flavor raised otherwise
        try:
            impl = flavor.load_implementation()
        except ModuleNotFoundError as exc:
            from provisioner.integrations import INTEGRATIONS

            name = exc.name or "?"
            owner = next(
                (
                    i.name
                    for i in INTEGRATIONS.values()
                    if any(name.startswith(m.split(".")[0]) for m in i.modules)
                ),
                None,
            )
            if owner is None:
                raise
            raise missing_integration(name, owner) from None
        if hasattr(impl, "from_connection"):
            return impl.from_connection(comp, self.stack)
        return impl(comp, self.stack)


class _ComponentAccess:
    """The twelve component types as attributes, read through :meth:`_components`."""

    def _components(self) -> Components:  # pragma: no cover - overridden
        raise NotImplementedError

    def component_client(self, type_: ComponentType | str) -> Any:
        """The client of any component type (the attributes below call this)."""
        return self._components().get(type_)

    @property
    def experiment_tracker(self) -> Any:
        return self.component_client(ComponentType.EXPERIMENT_TRACKER)

    @property
    def model_registry(self) -> Any:
        return self.component_client(ComponentType.MODEL_REGISTRY)

    @property
    def model_deployer(self) -> Any:
        return self.component_client(ComponentType.MODEL_DEPLOYER)

    @property
    def alerter(self) -> Any:
        return self.component_client(ComponentType.ALERTER)

    @property
    def step_operator(self) -> Any:
        return self.component_client(ComponentType.STEP_OPERATOR)

    @property
    def data_validator(self) -> Any:
        return self.component_client(ComponentType.DATA_VALIDATOR)

    @property
    def feature_store(self) -> Any:
        return self.component_client(ComponentType.FEATURE_STORE)

    @property
    def annotator(self) -> Any:
        return self.component_client(ComponentType.ANNOTATOR)

    @property
    def image_builder(self) -> Any:
        return self.component_client(ComponentType.IMAGE_BUILDER)


class ConnectedStack(_ComponentAccess):
    """A stack, connected from outside any step: ``connect("stack.yaml").model_registry``.

    Attributes:
        config: the stack config it was built from.
    """

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.components = Components(config)

    @property
    def name(self) -> str:
        return self.config.name

    def _components(self) -> Components:
        return self.components

    def close(self) -> None:
        self.components.close()

    def __enter__(self) -> ConnectedStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<ConnectedStack {self.config.name!r}>"


def connect(stack: str | Path | StackConfig) -> ConnectedStack:
    """Connect to a stack by name, stack config path, or a loaded :class:`StackConfig`.

    Raises:
        NotFoundError: no such stack or file.
        SpecError: the stack config is invalid.
    """
    from provisioner.stackconfig import StackConfig, load_stack_config

    config = stack if isinstance(stack, StackConfig) else load_stack_config(stack)
    return ConnectedStack(config)
