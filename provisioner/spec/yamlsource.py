"""Read YAML safely, rejecting duplicate keys and remembering the line of every field."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from provisioner.errors import SpecError
from provisioner.spec.interpolate import InterpolationError, has_reference, interpolate

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 100_000

LineMap = dict[tuple[str, ...], int]


def read_text(path: Path) -> str:
    """Read a definition file as UTF-8 text, refusing huge, binary or unreadable files."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise SpecError(
                name,
                [
                    (
                        "",
                        None,
                        f"file is {size} bytes; a stack definition may be at most {MAX_BYTES}",
                    )
                ],
            )
        raw = path.read_bytes()
    except IsADirectoryError:
        raise SpecError(name, [("", None, "is a directory; expected a YAML file")]) from None
    except OSError as exc:
        raise SpecError(
            name, [("", None, f"cannot read the file: {exc.strerror or exc}")]
        ) from None
    if b"\x00" in raw:
        raise SpecError(name, [("", None, "is a binary file; expected YAML text")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            name, [("", None, f"is not UTF-8 text (bad byte at offset {exc.start}); expected YAML")]
        ) from None


def parse(text: str, name: str, env: Mapping[str, str] | None = None) -> tuple[Any, LineMap]:
    """Parse YAML text into plain data plus a map from field path to 1-based line.

    With ``env`` (stack definitions pass the process environment), ``${VAR}`` and
    ``${VAR:-default}`` in values (never keys) are substituted from it; see
    :mod:`provisioner.spec.interpolate`. An unquoted value takes the type of its substituted
    text (``port: ${PORT}`` is a number). Without ``env`` the text is taken as it is.
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, name) from None
    if node is None:
        raise SpecError(
            name, [("", None, "is empty; expected a mapping with 'name', 'cloud' and 'components'")]
        )
    _check_expanded_size(node, name)
    lines: LineMap = {}
    problems: list[tuple[str, int | None, str]] = []
    walk = _Walk(name, env, problems)
    walk(node, (), lines, 0, set(), [0])
    if problems:
        raise SpecError(name, problems)
    loader = yaml.SafeLoader("")
    try:
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, name) from None
    finally:
        loader.dispose()
    return data, lines


def _check_expanded_size(node: yaml.Node, name: str) -> None:
    """Refuse YAML that expands to more than MAX_NODES values, naming the top-level field
    (and its line) at which the count passes the limit.

    Raises:
        SpecError: too many values once aliases are expanded.
    """
    memo: dict[int, int] = {}
    if _expanded_size(node, memo, 0) <= MAX_NODES:
        return
    field, line, total = "", None, 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            total += _expanded_size(value_node, memo, 1)
            if total > MAX_NODES:
                field, line = str(key_node.value), key_node.start_mark.line + 1
                break
    raise SpecError(
        name,
        [
            (
                field,
                line,
                f"expands to more than {MAX_NODES} values (YAML aliases count every time "
                "they are used); is it a stack definition?",
            )
        ],
    )


def _expanded_size(node: yaml.Node, memo: dict[int, int], depth: int) -> int:
    """How many values ``node`` becomes once every alias in it is expanded (a node reached
    again while it is being counted, a recursive alias, counts as too many)."""
    key = id(node)
    if key in memo:
        return memo[key]
    if depth > MAX_DEPTH:  # reported by the walk, with its field and line
        return 1
    memo[key] = MAX_NODES + 1
    total = 1
    if isinstance(node, yaml.MappingNode):
        for _key_node, value_node in node.value:
            total += _expanded_size(value_node, memo, depth + 1)
            if total > MAX_NODES:
                break
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            total += _expanded_size(item, memo, depth + 1)
            if total > MAX_NODES:
                break
    memo[key] = total
    return total


def _yaml_error(exc: yaml.YAMLError, name: str) -> SpecError:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    text = f"{context}: {problem}" if context and "constructor" in problem else problem
    return SpecError(name, [("", line, f"is not valid YAML: {text}")])


class _Walk:
    """Records the line of every field and substitutes ``${...}`` in scalar values."""

    def __init__(
        self,
        name: str,
        env: Mapping[str, str] | None,
        problems: list[tuple[str, int | None, str]],
    ) -> None:
        self.name = name
        self.env = env
        self.problems = problems

    def __call__(
        self,
        node: yaml.Node,
        path: tuple[str, ...],
        lines: LineMap,
        depth: int,
        seen_nodes: set[int],
        count: list[int],
    ) -> None:
        name = self.name
        if depth > MAX_DEPTH:
            raise SpecError(
                name,
                [
                    (
                        ".".join(path),
                        node.start_mark.line + 1,
                        f"is nested deeper than {MAX_DEPTH} levels",
                    )
                ],
            )
        count[0] += 1
        if count[0] > MAX_NODES:
            raise SpecError(
                name, [("", None, f"has more than {MAX_NODES} values; is it a stack definition?")]
            )
        lines.setdefault(path, node.start_mark.line + 1)
        if id(node) in seen_nodes:  # a YAML alias: walked once already, do not expand it again
            return
        seen_nodes.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            self._substitute(node, path)
        elif isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                if key in seen:
                    where = ".".join((*path, key))
                    raise SpecError(
                        name,
                        [
                            (
                                where,
                                key_node.start_mark.line + 1,
                                "appears twice; keys must be unique",
                            )
                        ],
                    )
                seen.add(key)
                lines[(*path, key)] = key_node.start_mark.line + 1
                self(value_node, (*path, key), lines, depth + 1, seen_nodes, count)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self(item, (*path, str(i)), lines, depth + 1, seen_nodes, count)

    def _substitute(self, node: yaml.ScalarNode, path: tuple[str, ...]) -> None:
        if self.env is None or node.tag != "tag:yaml.org,2002:str":
            return
        if not has_reference(node.value):
            return
        try:
            node.value = interpolate(node.value, self.env)
        except InterpolationError as exc:
            self.problems.append((".".join(path), node.start_mark.line + 1, str(exc)))
            return
        if node.style is None:  # unquoted: the substituted text decides the type, as if typed
            node.tag = _RESOLVER.resolve(yaml.ScalarNode, node.value, (True, False))


_RESOLVER = yaml.resolver.Resolver()


def line_of(lines: LineMap, path: tuple[str, ...]) -> int | None:
    """The line of the deepest known prefix of ``path``."""
    for n in range(len(path), -1, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return None
