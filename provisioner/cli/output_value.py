"""``stack outputs REF KEY [--raw]``: find one output by its key and print it for scripts."""

from __future__ import annotations

import json
from typing import Any

from provisioner.cli import console, render
from provisioner.engines.model import Secret, Unknown
from provisioner.errors import UserInputError


def reveal(value: Any) -> Any:
    """``value`` with every secret replaced by its plaintext (for ``--show-secrets``).

    Raises:
        UserInputError: a secret whose plaintext this engine cannot read.
    """
    if isinstance(value, Secret):
        inner = value.value
        if type(inner).__name__ in ("Sealed", "EncryptedValue"):
            raise UserInputError("a secret output is encrypted with a key this home does not hold")
        return reveal(inner)
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def find(values: dict[str, Any], key: str) -> Any:
    """The output at ``key``: an output's name, or a dotted path into nested maps.

    Raises:
        UserInputError: no such key; the message names the keys there are.
    """
    if key in values:
        return values[key]
    current: Any = values
    walked: list[str] = []
    for part in key.split("."):
        if isinstance(current, Secret):
            raise UserInputError(f"output {'.'.join(walked)!r} is a secret; it has no keys")
        if not isinstance(current, dict) or part not in current:
            known = ", ".join(sorted(current)) if isinstance(current, dict) else ""
            if not walked:
                raise UserInputError(f"the stack has no output {part!r}; its outputs: {known}")
            raise UserInputError(
                f"output {'.'.join(walked)!r} has no key {part!r}"
                + (f"; its keys: {known}" if known else f" (it is {_kind(current)})")
            )
        current = current[part]
        walked.append(part)
    return current


def print_output(values: dict[str, Any], key: str, *, raw: bool) -> None:
    """Print the output at ``key``: as JSON, or (``raw``) a string, number or boolean bare."""
    value = find(values, key)
    if isinstance(value, Secret):
        raise UserInputError(
            f"output {key!r} is a secret; add --show-secrets to print it",
        )
    if isinstance(value, Unknown):
        raise UserInputError(f"output {key!r} has no value yet (known after apply)")
    data = render.to_jsonable(value)
    if not raw:
        console.out.file.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return
    if isinstance(data, dict | list) or data is None:
        raise UserInputError(
            f"output {key!r} is {_kind(data)}; --raw prints only strings, numbers and booleans "
            "(drop --raw for JSON)"
        )
    text = data if isinstance(data, str) else json.dumps(data)
    console.out.file.write(text + "\n")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"
