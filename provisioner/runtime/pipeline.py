"""The ``@pipeline`` decorator: compose steps into a graph of invocations."""

from __future__ import annotations

import contextvars
import functools
import inspect
import json
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

from provisioner.runtime.errors import PipelineDefinitionError
from provisioner.runtime.hooks import Hook, check_hook
from provisioner.runtime.keys import check_name
from provisioner.runtime.step import OutputRef, Step

if TYPE_CHECKING:
    from pathlib import Path

    from provisioner.runtime.records import RunRecord
    from provisioner.stackconfig import StackConfig

_builder: contextvars.ContextVar[_GraphBuilder | None] = contextvars.ContextVar(
    "provisioner_pipeline_builder", default=None
)


@dataclass
class Invocation:
    """One call of a step inside a pipeline.

    Attributes:
        name: unique in the pipeline (the step's name, suffixed ``_2``, ``_3`` on reuse).
        step: the step.
        parameters: literal, JSON-able arguments.
        inputs: arguments that are outputs of other invocations.
    """

    name: str
    step: Step
    parameters: dict[str, Any]
    inputs: dict[str, OutputRef]
    upstream: list[str] = field(default_factory=list)


def current_builder() -> _GraphBuilder | None:
    """The pipeline being defined in this context, if any."""
    return _builder.get()


@functools.lru_cache(maxsize=1024)
def _adapter(annotation: Any) -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(annotation)


def _check_parameter(step: Step, pname: str, value: Any) -> Any:
    """Validate a literal parameter against its type hint; it must be JSON-able."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        raise PipelineDefinitionError(
            f"step {step.name!r}: parameter {pname!r} must be JSON-able (got "
            f"{type(value).__name__}); pass other values as outputs of a step"
        ) from None
    hint = step.type_hints.get(pname)
    if hint is None or hint is Any:
        return value
    from pydantic import ValidationError

    try:
        return _adapter(hint).validate_python(value)
    except ValidationError as exc:
        msg = exc.errors()[0]["msg"] if exc.errors() else str(exc)
        raise PipelineDefinitionError(
            f"step {step.name!r}: parameter {pname!r}={value!r} does not fit {hint}: {msg}"
        ) from None
    except Exception:  # a hint pydantic cannot check (a class of the user's)
        return value


class _GraphBuilder:
    """Collects invocations while a pipeline function runs."""

    def __init__(self) -> None:
        self.invocations: dict[str, Invocation] = {}

    def add(self, step: Step, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            bound = step.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise PipelineDefinitionError(f"step {step.name!r}: {exc}") from None
        bound.apply_defaults()
        name = step.name
        n = 2
        while name in self.invocations:
            name = f"{step.name}_{n}"
            n += 1
        params: dict[str, Any] = {}
        inputs: dict[str, OutputRef] = {}
        for pname, value in bound.arguments.items():
            if isinstance(value, OutputRef):
                if value.invocation not in self.invocations:
                    raise PipelineDefinitionError(
                        f"step {name!r}: {pname!r} is from another pipeline"
                    )
                inputs[pname] = value
            elif (
                isinstance(value, tuple) and value and all(isinstance(v, OutputRef) for v in value)
            ):
                raise PipelineDefinitionError(
                    f"step {name!r}: {pname!r} got all outputs of a multi-output step; pass one"
                )
            elif value is inspect.Parameter.empty:
                raise PipelineDefinitionError(f"step {name!r}: missing argument {pname!r}")
            else:
                params[pname] = _check_parameter(step, pname, value)
        upstream = sorted({ref.invocation for ref in inputs.values()})
        self.invocations[name] = Invocation(name, step, params, inputs, upstream)
        refs = tuple(OutputRef(name, out) for out in step.outputs)
        return refs[0] if len(refs) == 1 else refs


class Pipeline:
    """A pipeline: a function that calls steps. Run it with :meth:`run`."""

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        name: str | None = None,
        cache: bool = True,
        retries: int = 0,
        pickle: bool | None = None,
        on_failure: Hook | None = None,
        on_success: Hook | None = None,
        requirements: Sequence[str] = (),
    ) -> None:
        self.func = func
        self.requirements = tuple(requirements)
        self.name = check_name(name or func.__name__, "pipeline name")
        self.cache = cache
        self.retries = retries
        self.pickle = pickle
        self.on_failure = check_hook(on_failure, f"on_failure of pipeline {self.name!r}")
        self.on_success = check_hook(on_success, f"on_success of pipeline {self.name!r}")
        self.signature = inspect.signature(func)
        functools.update_wrapper(self, func)

    @functools.cached_property
    def type_hints(self) -> dict[str, Any]:
        """The function's resolved type hints ({} when they cannot be resolved)."""
        try:
            return typing.get_type_hints(self.func)
        except Exception:  # unresolvable forward references: no type checks
            return {}

    def bind_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        """The pipeline's parameters with defaults applied.

        Raises:
            PipelineDefinitionError: unknown or missing parameters, values that do not fit
                their type hints, or non-JSON-able values; each names the parameter.
        """
        from provisioner.runtime.params import check_names, check_value

        check_names(self, parameters)
        try:
            bound = self.signature.bind(**parameters)
        except TypeError as exc:
            raise PipelineDefinitionError(f"pipeline {self.name!r}: {exc}") from None
        for key, value in parameters.items():
            check_value(self, key, value)
        bound.apply_defaults()
        for key, value in bound.arguments.items():
            try:
                json.dumps(value)
            except (TypeError, ValueError):
                raise PipelineDefinitionError(
                    f"pipeline {self.name!r}: parameter {key!r} must be JSON-able"
                ) from None
        return dict(bound.arguments)

    def build(self, parameters: dict[str, Any] | None = None) -> list[Invocation]:
        """Run the pipeline function to get its step invocations, in definition order.

        Raises:
            PipelineDefinitionError: bad parameters, bad wiring, or no steps.
        """
        params = self.bind_parameters(parameters or {})
        builder = _GraphBuilder()
        token = _builder.set(builder)
        try:
            self.func(**params)
        finally:
            _builder.reset(token)
        if not builder.invocations:
            raise PipelineDefinitionError(f"pipeline {self.name!r} calls no steps")
        return list(builder.invocations.values())

    def run(
        self,
        stack: StackConfig | str | Path | None = None,
        *,
        parameters: dict[str, Any] | None = None,
        cache: bool | None = None,
        run_id: str | None = None,
        raise_on_failure: bool = True,
    ) -> RunRecord:
        """Run on a stack; see :func:`provisioner.runtime.run_pipeline`."""
        from provisioner.runtime.runner import run_pipeline

        return run_pipeline(
            self,
            stack,
            parameters=parameters,
            cache=cache,
            run_id=run_id,
            raise_on_failure=raise_on_failure,
        )

    def __repr__(self) -> str:
        return f"<pipeline {self.name}>"


@overload
def pipeline(func: Callable[..., Any], /) -> Pipeline: ...


@overload
def pipeline(
    *,
    name: str | None = None,
    cache: bool = True,
    retries: int = 0,
    pickle: bool | None = None,
    on_failure: Hook | None = None,
    on_success: Hook | None = None,
    requirements: Sequence[str] = (),
) -> Callable[[Callable[..., Any]], Pipeline]: ...


def pipeline(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    cache: bool = True,
    retries: int = 0,
    pickle: bool | None = None,
    on_failure: Hook | None = None,
    on_success: Hook | None = None,
    requirements: Sequence[str] = (),
) -> Pipeline | Callable[[Callable[..., Any]], Pipeline]:
    """Make a function that calls steps a pipeline. Use as ``@pipeline`` or ``@pipeline(...)``.

    Args:
        func: the function (when used without parentheses).
        name: the pipeline's name (default: the function's name).
        cache: default caching for its steps (a step's own ``cache=False`` still wins).
        retries: default retries for steps that do not set their own.
        pickle: default pickle policy for steps that do not set their own.
        on_failure: called when a run fails (not when it is cancelled): a callable, given
            the run record if it takes an argument, or ``"alerter"`` to post the pipeline,
            run id, failed step and error through the stack's alerter. A failing hook is
            logged; it never changes the run's outcome.
        on_success: called when a run completes; the same forms as ``on_failure``.
        requirements: pip requirements its steps import, installed into its step image
            (beside a ``requirements.txt`` or ``pyproject.toml`` of its project).
    """

    def wrap(f: Callable[..., Any]) -> Pipeline:
        return Pipeline(
            f,
            name=name,
            cache=cache,
            retries=retries,
            pickle=pickle,
            on_failure=on_failure,
            on_success=on_success,
            requirements=requirements,
        )

    return wrap(func) if func is not None else wrap
