"""The base of every component client a step uses, and the errors of building one."""

from __future__ import annotations

import importlib
import sys
import threading
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.integrations import INTEGRATIONS, MissingIntegrationError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from provisioner.runtime.records import RunRecord, StepRecord
    from provisioner.stackconfig import ComponentConnection, StackConfig

ModelT = TypeVar("ModelT", bound="BaseModel")


class MissingComponentError(UserInputError):
    """The stack has no component of the type a step or caller asked for."""

    def __init__(self, stack: str, type_: ComponentType) -> None:
        super().__init__(
            f"stack {stack!r} has no {type_}",
            hint=(
                f"Add one to the stack definition (components: {type_}: flavor: ...), "
                f"redeploy, and hand out the new stack config; `provisioner component list` "
                f"shows the {type_} flavors of each cloud."
            ),
        )
        self.type = type_


class StackComponent:
    """Base of a flavor's runtime implementation (what ``Flavor.implementation`` names).

    A subclass is built once per stack connection, on first use, from its component's
    connection in the stack config. Its constructor must be cheap and must not import the
    component's SDK: import it on first use with :func:`import_sdk`.

    Attributes:
        type: the component type this class implements.
        flavor: the component's flavor name, from the stack config.
        config: the component's connection config (a copy).
        stack: the whole stack config (auth references, endpoints, other components).
    """

    type: ClassVar[ComponentType]
    #: Built when a pipeline run starts (not only on first use), so its run hooks see
    #: every run and step: an experiment tracker that records each run does.
    observes_runs: ClassVar[bool] = False

    def __init__(self, connection: ComponentConnection, stack: StackConfig) -> None:
        self.flavor = connection.flavor
        self.config: dict[str, Any] = dict(connection.config)
        self.stack = stack

    @classmethod
    def from_connection(cls, connection: ComponentConnection, stack: StackConfig) -> Self:
        """Build the client (the resolver calls this; override to validate the connection)."""
        return cls(connection, stack)

    def parse_config(self, model: type[ModelT]) -> ModelT:
        """The connection config checked against ``model`` (strictly, as the stack config
        loader checks it).

        Raises:
            UserInputError: naming the stack, the component and the bad field.
        """
        from pydantic import ValidationError

        from provisioner.catalog.flavor import validate_data

        try:
            return validate_data(model, self.config)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"]) or "config"
            raise UserInputError(
                f"stack {self.stack.name!r}: {self.type}.config.{loc}: {first['msg']}",
                hint=f"fix the {self.type} ({self.flavor}) block of the stack definition and "
                "redeploy",
            ) from None

    def close(self) -> None:
        """Release what the client holds (connections, threads); the default holds nothing."""

    # -- run hooks: the runner calls these on every client built for the run ---------------

    def on_run_start(self, run: RunRecord) -> None:
        """A pipeline run starts (its record is about to be written first)."""

    def on_step_start(self, run: RunRecord, step: StepRecord) -> None:
        """A step of the run starts executing (in the process that runs it)."""

    def on_step_end(self, run: RunRecord, step: StepRecord) -> None:
        """A step ended: ``step.status``, ``duration`` and ``error`` are final."""

    def on_run_end(self, run: RunRecord) -> None:
        """The run ended: ``run.status`` is final (the record is written after this)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.type}/{self.flavor} of stack {self.stack.name!r}>"


#: First imports of component SDKs, one at a time. Steps run in threads, and two SDKs first
#: imported at once in two of them can both parse Python source into ASTs as they load (feast
#: through typeguard's instrumentation, for one); CPython 3.11's AST constructor keeps its
#: depth counter per interpreter, not per thread, and then fails with "AST constructor
#: recursion depth mismatch" (seen on 3.11.7; python/cpython#106905 has the symptom).
_FIRST_IMPORTS = threading.RLock()


def import_sdk(module: str, integration: str) -> ModuleType:
    """Import a component's SDK on first use (one first import at a time in the process).

    Raises:
        MissingIntegrationError: the module is not installed; names the install command.
    """
    loaded = sys.modules.get(module)
    if loaded is not None and not getattr(loaded.__spec__, "_initializing", False):
        return loaded  # imported already, and not still running its import in a thread
    try:
        with _FIRST_IMPORTS:
            return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and not module.startswith(exc.name) and not exc.name.startswith(module):
            raise  # the SDK is there but one of its own imports is broken: show that
        raise missing_integration(module, integration) from None


def missing_integration(module: str, integration: str) -> MissingIntegrationError:
    """The error for a missing ``module`` that the ``integration`` installs."""
    integ = INTEGRATIONS.get(integration)
    hint = (
        integ.hint.capitalize() + "."
        if integ
        else f"Install it with `provisioner integration install {integration}`."
    )
    return MissingIntegrationError(
        f"{module} is not installed (the {integration} integration provides it)", hint=hint
    )
