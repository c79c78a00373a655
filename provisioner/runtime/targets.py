"""Find a pipeline from ``module:attr`` or ``path/to/file.py:attr``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.errors import UserInputError
from provisioner.runtime.imports import import_file, import_module
from provisioner.runtime.pipeline import Pipeline

if TYPE_CHECKING:
    from provisioner.runtime.records import RunRecord


def load_pipeline(target: str) -> Pipeline:
    """Import the pipeline that ``target`` names.

    ``module.path:attr`` imports a module (the current directory is searched first, as
    for ``python -m``); ``path/to/file.py:attr`` imports that file under a stable module
    name (its stem, inside its packages; see
    :func:`provisioner.runtime.imports.module_name_for`), with its folder on ``sys.path``.

    Raises:
        UserInputError: bad form, missing module, file or attribute, not a pipeline, or
            code that fails at import (SyntaxError, ImportError, SystemExit, ...).
    """
    ref, sep, attr = target.rpartition(":")
    if not sep or not ref or not attr:
        raise UserInputError(f"{target!r}: expected module:pipeline or path/to/file.py:pipeline")
    if ref.endswith(".py") or "/" in ref or "\\" in ref:
        module = import_file(Path(ref))
    else:
        try:
            module = import_module(ref)
        except UserInputError as exc:
            raise UserInputError(f"{target!r}: {exc.message}", hint=exc.hint) from None
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise UserInputError(f"{target!r}: {ref} has no attribute {part!r}") from None
    if not isinstance(obj, Pipeline):
        raise UserInputError(f"{target!r} is not a @pipeline (it is {type(obj).__name__})")
    return obj


def run_target(
    target: str,
    stack: str | Path,
    *,
    parameters: dict[str, Any] | None = None,
    cache: bool | None = None,
) -> RunRecord:
    """Load the pipeline ``target`` names and run it on ``stack``; a failed run is returned.

    Raises:
        UserInputError: a bad target, stack or parameters.
        ArtifactStoreError: the store cannot be reached.
    """
    from provisioner.runtime.runner import run_pipeline

    return run_pipeline(
        load_pipeline(target), stack, parameters=parameters, cache=cache, raise_on_failure=False
    )
