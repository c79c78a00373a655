"""Find a pipeline from ``module:attr`` or ``path/to/file.py:attr``."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.errors import UserInputError
from provisioner.runtime.pipeline import Pipeline

if TYPE_CHECKING:
    from provisioner.runtime.records import RunRecord


def load_pipeline(target: str) -> Pipeline:
    """Import the pipeline that ``target`` names.

    ``module.path:attr`` imports a module (the current directory is on the path, as for
    ``python -m``); ``file.py:attr`` loads that file.

    Raises:
        UserInputError: bad form, missing module, file or attribute, or not a pipeline.
    """
    ref, sep, attr = target.rpartition(":")
    if not sep or not ref or not attr:
        raise UserInputError(f"{target!r}: expected module:pipeline or path/to/file.py:pipeline")
    if ref.endswith(".py") or "/" in ref:
        module = _load_file(Path(ref))
    else:
        if "" not in sys.path and str(Path.cwd()) not in sys.path:
            sys.path.insert(0, str(Path.cwd()))
        try:
            module = importlib.import_module(ref)
        except ModuleNotFoundError as exc:
            if exc.name and ref.startswith(exc.name):
                raise UserInputError(f"{target!r}: no module named {exc.name!r}") from None
            raise
    obj = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise UserInputError(f"{target!r}: {ref} has no attribute {part!r}") from None
    if not isinstance(obj, Pipeline):
        raise UserInputError(f"{target!r} is not a @pipeline (it is {type(obj).__name__})")
    return obj


def _load_file(path: Path):
    path = path.expanduser().resolve()
    if not path.is_file():
        raise UserInputError(f"{path}: no such file")
    name = f"_provisioner_pipeline_{abs(hash(str(path)))}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UserInputError(f"{path}: cannot be imported as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    parent = str(path.parent)
    if parent not in sys.path:
        sys.path.insert(0, parent)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


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
