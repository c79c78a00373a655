"""The ``@step`` decorator: a typed Python function with parameters and named outputs."""

from __future__ import annotations

import functools
import hashlib
import inspect
import re
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, overload

from provisioner.runtime.errors import PipelineDefinitionError
from provisioner.runtime.keys import check_name


@dataclass(frozen=True)
class OutputRef:
    """A step output inside a pipeline definition: what the step call returns.

    Attributes:
        invocation: the step invocation's name in the pipeline.
        output: the output's name.
    """

    invocation: str
    output: str

    def __iter__(self):  # a clear error instead of unpacking a single output by accident
        raise PipelineDefinitionError(
            f"step {self.invocation!r} has one output ({self.output!r}); declare several with "
            "@step(outputs=(...)) to unpack it"
        )


_QUANTITY = re.compile(r"(\d+(\.\d*)?|\.\d+)([KMGTPE]i|[mkMGTPE])?")


@dataclass(frozen=True)
class Resources:
    """What one step needs from the machine it runs on (the kubernetes orchestrator's pod).

    Attributes:
        cpu: CPU request, in Kubernetes units: ``"500m"``, ``"2"`` or a number of cores.
        memory: memory request and limit: ``"512Mi"``, ``"4Gi"``.
        gpu: whole GPUs (``nvidia.com/gpu``), requested and limited.
        cpu_limit: a CPU limit (none by default: a step may burst).
        memory_limit: a memory limit above the request (default: the request).
    """

    cpu: str | float | None = None
    memory: str | None = None
    gpu: int = 0
    cpu_limit: str | float | None = None
    memory_limit: str | None = None

    def check(self, step: str) -> None:
        """Raise PipelineDefinitionError for a value Kubernetes would not take."""
        for field_name in ("cpu", "memory", "cpu_limit", "memory_limit"):
            value = getattr(self, field_name)
            if value is not None and not _QUANTITY.fullmatch(str(value)):
                raise PipelineDefinitionError(
                    f"step {step!r}: resources.{field_name} {value!r} is not a Kubernetes "
                    'quantity (e.g. cpu="500m" or 2, memory="4Gi")'
                )
        if not isinstance(self.gpu, int) or isinstance(self.gpu, bool) or self.gpu < 0:
            raise PipelineDefinitionError(
                f"step {step!r}: resources.gpu must be a whole number >= 0"
            )


@dataclass(frozen=True)
class StepOptions:
    """Per-step settings.

    Attributes:
        name: the step's name (default: the function's name).
        outputs: names of the outputs; several names mean the function returns a tuple.
        cache: reuse earlier outputs when code, inputs and parameters are unchanged.
        retries: extra attempts after a failure (None: the pipeline's default).
        retry_delay: seconds before the first retry; doubled on each later one.
        pickle: True stores values no serializer handles with pickle silently; None does so
            with a warning; False refuses them.
        cache_version: bump to invalidate the cache when something the code hash does not
            cover has changed (a library, a data file; see :mod:`provisioner.runtime.codehash`).
        resources: CPU, memory and GPUs for the step's pod (remote orchestrators and the
            kubernetes step operator; the process step operator limits memory with it).
        step_operator: run this step on the stack's step operator instead of the
            orchestrator.
    """

    name: str
    outputs: tuple[str, ...] = ("output",)
    cache: bool = True
    retries: int | None = None
    retry_delay: float = 1.0
    pickle: bool | None = None
    cache_version: str = ""
    resources: Resources | None = None
    step_operator: bool = False


class Step:
    """A pipeline step wrapping a plain function.

    Called inside a ``@pipeline`` function it records an invocation and returns
    :class:`OutputRef` values; called anywhere else it just runs the function.
    """

    def __init__(self, func: Callable[..., Any], options: StepOptions) -> None:
        if not callable(func):
            raise PipelineDefinitionError(f"@step needs a function, got {func!r}")
        check_name(options.name, "step name")
        if not options.outputs:
            raise PipelineDefinitionError(f"step {options.name!r} declares no outputs")
        for out in options.outputs:
            check_name(out, f"output name of step {options.name!r}")
        if len(set(options.outputs)) != len(options.outputs):
            raise PipelineDefinitionError(f"step {options.name!r} repeats an output name")
        if options.retries is not None and options.retries < 0:
            raise PipelineDefinitionError(f"step {options.name!r}: retries must be >= 0")
        if not isinstance(options.step_operator, bool):
            raise PipelineDefinitionError(
                f"step {options.name!r}: step_operator must be True or False"
            )
        if options.resources is not None:
            if not isinstance(options.resources, Resources):
                raise PipelineDefinitionError(
                    f"step {options.name!r}: resources must be a Resources(cpu=..., memory=..., "
                    f"gpu=...), got {type(options.resources).__name__}"
                )
            options.resources.check(options.name)
        self.func = func
        self.options = options
        self.signature = inspect.signature(func)
        for pname, param in self.signature.parameters.items():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD, param.POSITIONAL_ONLY):
                raise PipelineDefinitionError(
                    f"step {options.name!r}: parameter {pname!r} must be a plain named parameter"
                )
        functools.update_wrapper(self, func)

    @property
    def name(self) -> str:
        """The step's name."""
        return self.options.name

    @property
    def outputs(self) -> tuple[str, ...]:
        """The output names."""
        return self.options.outputs

    def configure(self, **changes: Any) -> Step:
        """A copy with other options, e.g. ``train.configure(cache=False, retries=2)``."""
        if "outputs" in changes and isinstance(changes["outputs"], str):
            changes["outputs"] = (changes["outputs"],)
        try:
            return Step(self.func, replace(self.options, **changes))
        except TypeError as exc:
            raise PipelineDefinitionError(f"step {self.name!r}: {exc}") from None

    @functools.cached_property
    def code_hash(self) -> str:
        """Hash of the code the step reaches (see :mod:`provisioner.runtime.codehash`), its
        outputs and its cache version."""
        from provisioner.runtime.codehash import code_digest

        h = hashlib.sha256(code_digest(self.func).encode())
        h.update(repr((self.outputs, self.options.cache_version)).encode())
        return h.hexdigest()

    @functools.cached_property
    def type_hints(self) -> dict[str, Any]:
        """The function's resolved type hints ({} when they cannot be resolved)."""
        try:
            return typing.get_type_hints(self.func)
        except Exception:  # unresolvable forward references: no type checks
            return {}

    @property
    def function_name(self) -> str:
        """``module.qualname`` of the wrapped function."""
        return f"{self.func.__module__}.{self.func.__qualname__}"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from provisioner.runtime.pipeline import current_builder

        builder = current_builder()
        if builder is None:
            return self.func(*args, **kwargs)
        return builder.add(self, args, kwargs)

    def __repr__(self) -> str:
        return f"<step {self.name} outputs={list(self.outputs)}>"


@overload
def step(func: Callable[..., Any], /) -> Step: ...


@overload
def step(
    *,
    name: str | None = None,
    outputs: str | Sequence[str] = ("output",),
    cache: bool = True,
    retries: int | None = None,
    retry_delay: float = 1.0,
    pickle: bool | None = None,
    cache_version: str = "",
    resources: Resources | None = None,
    step_operator: bool = False,
) -> Callable[[Callable[..., Any]], Step]: ...


def step(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    outputs: str | Sequence[str] = ("output",),
    cache: bool = True,
    retries: int | None = None,
    retry_delay: float = 1.0,
    pickle: bool | None = None,
    cache_version: str = "",
    resources: Resources | None = None,
    step_operator: bool = False,
) -> Step | Callable[[Callable[..., Any]], Step]:
    """Make a function a pipeline step. Use as ``@step`` or ``@step(outputs=("a", "b"))``.

    Args:
        func: the function (when used without parentheses).
        name: the step's name (default: the function's name).
        outputs: one output name, or several; with several the function returns a tuple.
        cache: reuse outputs of an earlier identical call (same code, inputs, parameters).
        retries: extra attempts after a failure, with exponential backoff.
        retry_delay: seconds before the first retry.
        pickle: policy for values no serializer handles (see :class:`StepOptions`).
        cache_version: any string; change it to invalidate cached outputs.
        resources: what the step's pod requests, e.g. ``Resources(cpu=2, memory="8Gi", gpu=1)``.
        step_operator: run this step on the stack's step operator (its own process, a Job
            on the cluster), while the other steps stay on the orchestrator.
    """

    def wrap(f: Callable[..., Any]) -> Step:
        outs = (outputs,) if isinstance(outputs, str) else tuple(outputs)
        return Step(
            f,
            StepOptions(
                name=name or getattr(f, "__name__", ""),
                outputs=outs,
                cache=cache,
                retries=retries,
                retry_delay=retry_delay,
                pickle=pickle,
                cache_version=cache_version,
                resources=resources,
                step_operator=step_operator,
            ),
        )

    return wrap(func) if func is not None else wrap
