"""The code a step's cache key covers: its function and what it reaches in its own package."""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import inspect
import re
import sys
import textwrap
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

_MAX_DEPTH = 12
_INSTALLED = ("site-packages", "dist-packages")
_PROVISIONER_DIR = Path(__file__).resolve().parent.parent


def reached_code(func: Callable[..., Any]) -> dict[str, str]:
    """Digest of each piece of code and constant the step function reaches, by name.

    The rule (the README states it too):

    - the source of the function, and of every function, method and class it reaches
      through global names, closures and ``module.name`` look-ups when that code is defined
      in the step's own package (the top-level package of its module; for a module outside
      any package, the modules in its folder), followed transitively;
    - the value of every global so reached that is plain data (None, booleans, numbers,
      strings, bytes, enums, and tuples, lists, dicts, sets and dataclass instances of those),
      as it is when the pipeline is built;
    - not installed libraries, not provisioner itself, and only the type of other objects
      (an array, a client, a model). ``@step(cache_version=...)`` covers the rest.

    Names are ``module.qualname`` (or ``module.NAME`` for constants), so the result is the
    same in every process that imports the same code.
    """
    walker = _Walker(func)
    walker.function(func, _label(func))
    return dict(sorted(walker.parts.items()))


def code_digest(func: Callable[..., Any]) -> str:
    """One hash of :func:`reached_code`."""
    h = hashlib.sha256()
    for name, digest in reached_code(func).items():
        h.update(f"{name}={digest}\n".encode())
    return h.hexdigest()


class _Walker:
    """Follows global names from a function through its package, recording digests."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.module = getattr(func, "__module__", None) or "__main__"
        self.roots = _package_roots(self.module, func)
        self.parts: dict[str, str] = {}
        self.seen: set[int] = set()

    def function(self, func: Any, label: str) -> None:
        func = _unwrap(func)
        if id(func) in self.seen or not isinstance(func, types.FunctionType):
            return
        self.seen.add(id(func))
        self.parts[label] = _source_digest(func)
        code = func.__code__
        names = _names(code)
        for name in sorted(names):
            if name in func.__globals__:
                module = func.__globals__.get("__name__", self.module)
                self.value(func.__globals__[name], f"{module}.{name}", names)
        for var, cell in zip(code.co_freevars, func.__closure__ or (), strict=False):
            try:
                content = cell.cell_contents
            except ValueError:  # an empty cell: a name assigned later
                continue
            self.value(content, f"{label}.<closure {var}>", names)

    def value(self, obj: Any, label: str, names: frozenset[str]) -> None:
        from provisioner.runtime.step import Step

        if isinstance(obj, Step):
            obj = obj.func
        if isinstance(obj, types.ModuleType):
            if id(obj) not in self.seen and self.in_scope(obj):
                self.seen.add(id(obj))
                for name in sorted(names & set(vars(obj))):
                    self.value(getattr(obj, name), f"{obj.__name__}.{name}", names)
            return
        if isinstance(obj, type):
            if self.in_scope(obj):
                self.klass(obj)
            return
        if callable(obj) and isinstance(_unwrap(obj), types.FunctionType):
            if self.in_scope(_unwrap(obj)):
                self.function(obj, _label(_unwrap(obj)))
            return
        if callable(obj) and not isinstance(obj, enum.Enum):
            return  # a builtin or another library's callable
        self.parts[label] = hashlib.sha256(self.data(obj, 0).encode()).hexdigest()

    def klass(self, cls: type) -> None:
        if id(cls) in self.seen:
            return
        self.seen.add(id(cls))
        label = _label(cls)
        try:
            self.parts[label] = _digest(textwrap.dedent(inspect.getsource(cls)))
        except Exception:  # no source file: the class is known by name only
            self.parts[label] = _digest(label)
        for name, member in sorted(vars(cls).items()):
            if isinstance(member, staticmethod | classmethod):
                member = member.__func__
            elif isinstance(member, property):
                member = member.fget
            if isinstance(member, types.FunctionType):
                self.function(member, f"{label}.{name}")

    def data(self, obj: Any, depth: int) -> str:
        """A canonical text of plain data; other objects by their type only."""
        if depth > _MAX_DEPTH:
            return "<deep>"
        if obj is None or isinstance(obj, bool | int | float | complex | str | bytes):
            return f"{type(obj).__name__}:{obj!r}"
        if isinstance(obj, enum.Enum):
            return f"{_label(type(obj))}.{obj.name}={self.data(obj.value, depth + 1)}"
        if isinstance(obj, tuple | list):
            items = ",".join(self.data(v, depth + 1) for v in obj)
            return f"{type(obj).__name__}[{items}]"
        if isinstance(obj, set | frozenset):
            return (
                f"{type(obj).__name__}{{{','.join(sorted(self.data(v, depth + 1) for v in obj))}}}"
            )
        if isinstance(obj, dict):
            items = sorted(
                f"{self.data(k, depth + 1)}:{self.data(v, depth + 1)}" for k, v in obj.items()
            )
            return f"dict{{{','.join(items)}}}"
        if isinstance(obj, re.Pattern):
            return f"re:{obj.pattern!r}/{obj.flags}"
        if isinstance(obj, Path):
            return f"path:{obj}"
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            fields = ",".join(
                f"{f.name}={self.data(getattr(obj, f.name), depth + 1)}"
                for f in dataclasses.fields(obj)
            )
            return f"{_label(type(obj))}({fields})"
        if isinstance(obj, types.FunctionType | type):
            self.value(obj, _label(obj), frozenset())
            return f"ref:{_label(obj)}"
        return f"<{_label(type(obj))}>"

    def in_scope(self, obj: Any) -> bool:
        """True when ``obj`` is defined in the step's own package."""
        file = _file_of(obj)
        if file is None:
            module = getattr(obj, "__module__", None) or getattr(obj, "__name__", None)
            return module == self.module
        path = _resolved(file)
        if path is None or path.is_relative_to(_PROVISIONER_DIR):
            return False
        for root in self.roots:
            if path.is_relative_to(root) and (
                not any(p in _INSTALLED for p in path.parts[len(root.parts) :])
            ):
                return True
        return False


def _package_roots(module_name: str, func: Callable[..., Any]) -> list[Path]:
    top = sys.modules.get(module_name.split(".")[0])
    if top is not None and hasattr(top, "__path__"):
        return [p for p in (_resolved(str(x)) for x in top.__path__) if p is not None]
    module = sys.modules.get(module_name)
    file = getattr(module, "__file__", None) or _file_of(func)
    path = _resolved(file) if file else None
    return [path.parent] if path is not None else []


def _unwrap(obj: Any) -> Any:
    """The function under decorators that set ``__wrapped__`` (functools.wraps, lru_cache)."""
    try:
        return inspect.unwrap(obj)
    except Exception:  # a cycle, or an object that invents attributes
        return obj


def _file_of(obj: Any) -> str | None:
    if isinstance(obj, types.ModuleType):
        return getattr(obj, "__file__", None)
    if isinstance(obj, types.FunctionType):
        return obj.__code__.co_filename
    module = sys.modules.get(getattr(obj, "__module__", "") or "")
    return getattr(module, "__file__", None)


@functools.lru_cache(maxsize=4096)
def _resolved(file: str) -> Path | None:
    if file.startswith("<"):  # <string>, <stdin>, notebook cells
        return None
    try:
        return Path(file).resolve()
    except OSError:
        return None


def _names(code: types.CodeType) -> frozenset[str]:
    """Global and attribute names used by ``code`` and the functions nested in it."""
    found = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found |= _names(const)
    return frozenset(found)


def _source_digest(func: types.FunctionType) -> str:
    try:
        return _digest(textwrap.dedent(inspect.getsource(func)))
    except Exception:  # defined in exec'd text: its bytecode, without file or lines
        return _digest(_code_text(func.__code__))


def _code_text(code: types.CodeType) -> str:
    consts = ",".join(
        _code_text(c) if isinstance(c, types.CodeType) else repr(c) for c in code.co_consts
    )
    return f"{code.co_code.hex()}|{consts}|{code.co_names}|{code.co_varnames}"


def _label(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or "?"
    return f"{module}.{getattr(obj, '__qualname__', getattr(obj, '__name__', '?'))}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
