"""``${VAR}`` and ``${VAR:-default}`` in definition values, from the environment.

Only values are interpolated, never keys; the result is text, never evaluated. ``$${``
writes a literal ``${``. ``${VAR:-default}`` uses the default when VAR is unset or empty,
as a shell does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_TOKEN = re.compile(r"\$\$\{|\$\{(?P<body>[^}]*)\}|\$\{")
_BODY = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>.*))?", re.DOTALL)


class InterpolationError(ValueError):
    """A reference that cannot be substituted; the message says which and why."""


def has_reference(text: str) -> bool:
    """True when ``text`` holds a ``${`` (a reference or an escape)."""
    return "${" in text


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Substitute every ``${VAR}`` / ``${VAR:-default}`` in ``text`` from ``env``.

    Raises:
        InterpolationError: a variable is unset without a default, or a reference is malformed.
    """

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "$${":
            return "${"
        body = match.group("body")
        if body is None:
            raise InterpolationError(
                f"has an unclosed '${{' in {text!r}; write ${{VAR}}, or $${{ for a literal '${{'"
            )
        found = _BODY.fullmatch(body)
        if found is None:
            raise InterpolationError(
                f"has a malformed reference {token!r}: expected ${{VAR}} or ${{VAR:-default}} "
                "with VAR made of letters, digits and '_' (write $${ for a literal '${')"
            )
        name, default = found.group("name"), found.group("default")
        if default is not None and "${" in default:
            raise InterpolationError(
                f"has a nested reference in {token!r}; a default is literal text"
            )
        value = env.get(name)
        if default is not None and not value:
            return default
        if value is None:
            raise InterpolationError(
                f"refers to the environment variable {name} ({token}), which is not set; "
                f"set it, or give a default: ${{{name}:-default}}"
            )
        return value

    return _TOKEN.sub(substitute, text)
