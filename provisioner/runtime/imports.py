"""Import user pipeline code from a file or a module, under a stable name, with clear errors."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType

from provisioner.errors import UserInputError

#: Set on modules this file imported from a path, to tell them from other modules.
FILE_MARK = "__provisioner_file__"
_RUNTIME_DIR = Path(__file__).resolve().parent.parent


def module_name_for(path: Path) -> tuple[str, Path]:
    """The module name a ``.py`` file gets, and the folder that goes on ``sys.path``.

    The name is the file's stem, prefixed by the packages (folders with ``__init__.py``)
    it sits in, as ``python -m`` or pytest would name it: ``proj/pipes.py`` is ``pipes``
    with ``proj`` on the path; ``proj/pkg/pipes.py`` (``pkg`` a package) is ``pkg.pipes``.
    The name depends only on where the file is, so pickles of its classes name a module
    that another process can import again.
    """
    path = path.resolve()
    parts = [path.stem.replace(".", "_")]
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder.name.isidentifier():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts), folder


def _same_file(module: ModuleType, path: Path) -> bool:
    file = getattr(module, "__file__", None)
    try:
        return file is not None and Path(file).resolve() == path
    except OSError:
        return False


def _on_path(folder: Path) -> None:
    entry = str(folder)
    if entry not in sys.path:
        sys.path.insert(0, entry)
        importlib.invalidate_caches()


def import_file(path: Path) -> ModuleType:
    """Import a Python file under its stable module name (see :func:`module_name_for`).

    The file's root folder goes first on ``sys.path`` (then the file's own folder, for a
    file inside a package), so its own imports (sibling modules) work as with
    ``python file.py``. A file already imported is not run again.

    Raises:
        UserInputError: no such file, a name clash with another loaded module, or the
            file failed to import (the message names the file, the cause and the line).
    """
    path = path.expanduser().resolve()
    if not path.is_file():
        raise UserInputError(f"{path}: no such file")
    name, root = module_name_for(path)
    existing = sys.modules.get(name)
    if existing is not None:
        if _same_file(existing, path):
            return existing
        if not getattr(existing, FILE_MARK, None):
            where = getattr(existing, "__file__", None) or "built in"
            raise UserInputError(
                f"{path} would be imported as module {name!r}, but another module of that "
                f"name is already loaded ({where})",
                hint="rename the file so its name does not clash with that module",
            )
    package, _, leaf = name.rpartition(".")
    if package:  # flat `import sibling` works too, as with `python file.py`
        _on_path(path.parent)
    _on_path(root)
    parent = None
    if package:
        try:
            parent = importlib.import_module(package)
        except Exception as exc:
            raise import_failure(str(path), exc) from None
        if str(path.parent) not in [
            str(Path(p).resolve()) for p in getattr(parent, "__path__", [])
        ]:
            raise UserInputError(
                f"{path} would be imported as {name!r}, but package {package!r} is already "
                f"loaded from {list(getattr(parent, '__path__', []))}",
                hint="rename the folder, or run from a process that has not imported it",
            )
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UserInputError(f"{path}: cannot be imported as Python (expected a .py file)")
    module = importlib.util.module_from_spec(spec)
    setattr(module, FILE_MARK, str(path))
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except KeyboardInterrupt:
        _restore(name, existing)
        raise
    except BaseException as exc:
        _restore(name, existing)
        raise import_failure(str(path), exc) from None
    if parent is not None:
        setattr(parent, leaf, module)
    return module


def _restore(name: str, previous: ModuleType | None) -> None:
    if previous is None:
        sys.modules.pop(name, None)
    else:
        sys.modules[name] = previous


def import_module(name: str) -> ModuleType:
    """Import ``name`` as ``python -m`` would: the current directory is searched first.

    Raises:
        UserInputError: the module (or a package of its dotted name) is not found, or it
            failed to import.
    """
    cwd = str(Path.cwd())
    if "" not in sys.path and cwd not in sys.path:
        sys.path.insert(0, cwd)
        importlib.invalidate_caches()
    try:
        return importlib.import_module(name)
    except KeyboardInterrupt:
        raise
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            raise UserInputError(
                f"no module named {exc.name!r} (searched the current directory {cwd} and the "
                "Python path)",
                hint="run from the folder that holds it, add that folder to PYTHONPATH, or "
                "pass the file instead: path/to/file.py:pipeline",
            ) from None
        raise import_failure(name, exc) from None
    except BaseException as exc:
        raise import_failure(name, exc) from None


def _shown(filename: str) -> str:
    try:
        return str(Path(filename).resolve().relative_to(Path.cwd()))
    except (ValueError, OSError):
        return filename


def _user_frame(exc: BaseException) -> str | None:
    """``file:line`` of the deepest frame in the user's code (not importlib's or ours)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        name = frame.filename
        if name.startswith("<") or Path(name).resolve().is_relative_to(_RUNTIME_DIR):
            continue
        return f"{_shown(name)}:{frame.lineno}"
    return None


def import_failure(what: str, exc: BaseException) -> UserInputError:
    """One clear error for code that failed while being imported (no traceback).

    Args:
        what: the file or module that was imported.
        exc: what it raised: SystemExit, SyntaxError, or any other exception.
    """
    shown = _shown(what)
    if isinstance(exc, SystemExit):
        return UserInputError(
            f"could not import {shown}: it called sys.exit({exc.code!r}) while being imported",
            hint="a pipeline file must be importable: put script code under "
            '`if __name__ == "__main__":`',
        )
    if isinstance(exc, SyntaxError):
        where = f"{_shown(exc.filename or what)}:{exc.lineno}" if exc.lineno else shown
        message = f"could not import {shown}: {type(exc).__name__} at {where}: {exc.msg}"
        if exc.text and exc.text.strip():
            message += f"\n    {exc.text.strip()}"
        return UserInputError(message)
    where = _user_frame(exc)
    message = f"could not import {shown}: {type(exc).__name__}: {exc}"
    return UserInputError(message + (f" ({where})" if where else ""))
