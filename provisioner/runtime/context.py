"""What a running step can see: the stack config, its run and its own name."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.runtime.components import Components, _ComponentAccess
from provisioner.stackconfig import ComponentConnection, StackConfig

if TYPE_CHECKING:
    from provisioner.runtime.step_artifacts import StepArtifacts

_current: contextvars.ContextVar[StepContext | None] = contextvars.ContextVar(
    "provisioner_step_context", default=None
)


@dataclass(frozen=True)
class StepContext(_ComponentAccess):
    """The context of the step running in this thread.

    Every component of the stack is an attribute, built on first use by its flavor's
    runtime implementation: ``ctx.experiment_tracker.log_metrics(...)``,
    ``ctx.model_registry.register(...)``, ``ctx.alerter.post(...)``. The steps of one run
    share one client per component type.

    Attributes:
        stack: the stack config the pipeline runs on.
        run_id: the run's id.
        pipeline: the pipeline's name.
        step: the step invocation's name.
        attempt: 1 for the first attempt, 2 for the first retry, ...
        artifact_store_uri: the store the run writes to.
        components: the run's component clients (one per run, shared by its steps).
        artifacts: where :meth:`save_artifact` stores (None: this context cannot store).
    """

    stack: StackConfig
    run_id: str
    pipeline: str
    step: str
    attempt: int
    artifact_store_uri: str
    components: Components | None = field(default=None, compare=False, repr=False)
    artifacts: StepArtifacts | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.components is None:
            object.__setattr__(self, "components", Components(self.stack))

    def _components(self) -> Components:
        assert self.components is not None
        return self.components

    def save_artifact(self, name: str, value: Any) -> str:
        """Store ``value`` as an artifact of this step, besides its outputs; returns its URI.

        It is recorded in the step record (under ``artifacts``) even if the step fails
        afterwards, and reads back like an output: ``provisioner run output RUN STEP NAME``
        (``-o FILE`` writes the stored file, e.g. an HTML report saved as a ``Path``).

        Raises:
            InvalidNameError: ``name`` is not an identifier.
            PipelineDefinitionError: ``name`` is one of the step's outputs.
            SerializationError: no serializer stores ``value``.
        """
        if self.artifacts is None:
            raise UserInputError(
                f"step {self.step!r}: this step context cannot store artifacts (it was not "
                "made by a running pipeline)"
            )
        return self.artifacts.save(name, value).uri

    def component(self, type_: ComponentType | str) -> ComponentConnection | None:
        """The stack's component of that type (None if the stack has none)."""
        return self.stack.component(type_)

    def component_config(self, type_: ComponentType | str) -> dict[str, Any]:
        """The connection config of a component, e.g. ``{"tracking_uri": ...}``.

        Raises:
            UserInputError: the stack has no such component.
        """
        comp = self.stack.component(type_)
        if comp is None:
            raise UserInputError(f"stack {self.stack.name!r} has no {ComponentType(type_)}")
        return dict(comp.config)

    @property
    def experiment_tracker_uri(self) -> str | None:
        """The experiment tracker's ``tracking_uri`` (or ``uri``), if the stack has one."""
        comp = self.stack.component(ComponentType.EXPERIMENT_TRACKER)
        if comp is None:
            return None
        return comp.config.get("tracking_uri") or comp.config.get("uri")


def get_step_context() -> StepContext:
    """The context of the running step.

    Raises:
        UserInputError: called outside a running step.
    """
    ctx = _current.get()
    if ctx is None:
        raise UserInputError("get_step_context() works only inside a running step")
    return ctx


def current_step_context() -> StepContext | None:
    """The context of the running step, or None outside a step (for clients that work both
    inside and outside one, such as a validator that stores its report when it can)."""
    return _current.get()


def set_step_context(ctx: StepContext | None) -> contextvars.Token[StepContext | None]:
    """Set the current context (the orchestrator does this around each step)."""
    return _current.set(ctx)


def reset_step_context(token: contextvars.Token[StepContext | None]) -> None:
    """Undo :func:`set_step_context`."""
    _current.reset(token)
