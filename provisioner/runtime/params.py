"""Pipeline parameters: ``NAME=VALUE`` strings and Python values, checked against the signature."""

from __future__ import annotations

import functools
import inspect
import json
from typing import TYPE_CHECKING, Any

from provisioner.runtime.errors import PipelineDefinitionError

if TYPE_CHECKING:
    from provisioner.runtime.pipeline import Pipeline

_MISSING = object()


def type_name(hint: Any) -> str:
    """A type hint as a user reads it: ``int``, ``list[str]``, ``Optional[int]``."""
    if isinstance(hint, type) and not getattr(hint, "__args__", None):
        return hint.__name__
    return str(hint).replace("typing.", "")


@functools.lru_cache(maxsize=1024)
def _adapter(hint: Any) -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(hint)


def _first_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        found = errors()
        if found:
            return str(found[0].get("msg", exc))
    return str(exc)


def _accepted_names(pipeline: Pipeline) -> tuple[list[str], bool]:
    """The pipeline's parameter names, and whether it takes any name (``**kwargs``)."""
    names, open_ended = [], False
    for name, param in pipeline.signature.parameters.items():
        if param.kind is param.VAR_KEYWORD:
            open_ended = True
        elif param.kind is not param.VAR_POSITIONAL:
            names.append(name)
    return names, open_ended


def _unknown(pipeline: Pipeline, name: str, names: list[str]) -> PipelineDefinitionError:
    have = ", ".join(names) if names else "none"
    return PipelineDefinitionError(
        f"pipeline {pipeline.name!r} has no parameter {name!r} (its parameters: {have})"
    )


def check_names(pipeline: Pipeline, parameters: dict[str, Any]) -> None:
    """Refuse unknown parameter names and missing required ones, naming them.

    Raises:
        PipelineDefinitionError: an unknown or a missing parameter.
    """
    names, open_ended = _accepted_names(pipeline)
    if not open_ended:
        for name in parameters:
            if name not in names:
                raise _unknown(pipeline, name, names)
    for name, param in pipeline.signature.parameters.items():
        if (
            param.default is inspect.Parameter.empty
            and param.kind not in (param.VAR_KEYWORD, param.VAR_POSITIONAL)
            and name not in parameters
        ):
            raise PipelineDefinitionError(
                f"pipeline {pipeline.name!r} needs parameter {name!r} (pass -p {name}=VALUE, "
                "or parameters={...} from Python)"
            )


def check_value(pipeline: Pipeline, name: str, value: Any) -> None:
    """Check a Python value against the parameter's type hint (lax, as pydantic converts).

    Raises:
        PipelineDefinitionError: the value does not fit, naming the pipeline parameter.
    """
    hint = pipeline.type_hints.get(name)
    if hint is None or hint is Any:
        return
    try:
        adapter = _adapter(hint)
    except Exception:  # a hint pydantic cannot check (a class of the user's)
        return
    try:
        adapter.validate_python(value)
    except Exception as exc:
        raise PipelineDefinitionError(
            f"pipeline {pipeline.name!r}: parameter {name!r} expects {type_name(hint)}, got "
            f"{value!r} ({_first_error(exc)})"
        ) from None


def _from_text(pipeline: Pipeline, name: str, raw: str) -> Any:
    """A command-line value: JSON if it parses and fits the hint, else the plain string."""
    try:
        parsed: Any = json.loads(raw)
    except ValueError:
        parsed = _MISSING
    hint = pipeline.type_hints.get(name)
    if hint is None or hint is Any:
        return raw if parsed is _MISSING else parsed
    try:
        adapter = _adapter(hint)
    except Exception:
        return raw if parsed is _MISSING else parsed
    problem = None
    candidates = [] if parsed is _MISSING else [(parsed, raw)]
    if not isinstance(parsed, str):  # '"x"' is the string x; anything else may be text
        candidates.append((raw, json.dumps(raw)))
    for value, text in candidates:
        try:
            adapter.validate_json(text, strict=True)
        except Exception as exc:
            problem = problem or _first_error(exc)
            continue
        return value
    raise PipelineDefinitionError(
        f"-p {name}={raw}: pipeline {pipeline.name!r} parameter {name!r} expects "
        f"{type_name(hint)}, got {raw!r} ({problem})"
    )


def parse_cli_parameters(pipeline: Pipeline, items: list[str]) -> dict[str, Any]:
    """``["n=100", "name=x"]`` -> ``{"n": 100, "name": "x"}``, checked against ``pipeline``.

    A value is read as JSON when that fits the parameter's type hint, else as a plain
    string (so ``-p name=123`` gives the string ``"123"`` for ``name: str``). Types are
    checked strictly: ``-p n=true`` is refused for ``n: int``.

    Raises:
        PipelineDefinitionError: an item without ``=``, an unknown, repeated or missing
            parameter, or a value that does not fit its type hint; each names the parameter.
    """
    names, open_ended = _accepted_names(pipeline)
    params: dict[str, Any] = {}
    given: dict[str, str] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise PipelineDefinitionError(f"--param {item!r}: expected NAME=VALUE")
        if key in given:
            raise PipelineDefinitionError(
                f"pipeline parameter {key!r} is given twice (-p {given[key]}, -p {item}); "
                "pass it once"
            )
        if key not in names and not open_ended:
            raise _unknown(pipeline, key, names)
        given[key] = item
        params[key] = _from_text(pipeline, key, raw)
    check_names(pipeline, params)
    return params
