"""Pick the engine for a stack: embedded when every resource is dynamic, Pulumi otherwise."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from provisioner.errors import UserInputError

if TYPE_CHECKING:
    from provisioner.engines.base import Engine
    from provisioner.spec.loader import LoadedStack

EngineChoice = Literal["auto", "embedded", "pulumi"]
ENGINES = ("auto", "embedded", "pulumi")


BACKEND_RE = re.compile(r"^(file|s3|gs|azblob)://.+")


def check_backend(url: str | None) -> None:
    """Refuse a state backend URL Pulumi would not take (checked before anything runs)."""
    if url is not None and not BACKEND_RE.match(url):
        raise UserInputError(
            f"invalid state backend {url!r}; expected file://PATH, s3://BUCKET, gs://BUCKET "
            "or azblob://CONTAINER"
        )


def pulumi_cli_available() -> bool:
    """True when the Pulumi CLI is on PATH or installed in the provisioner home."""
    from provisioner.engines.pulumi.cli import pulumi_cli_available as available

    return available()


def resolve_choice(stack: LoadedStack | None, flag: str | None) -> str:
    """The engine name to use: the flag, else the definition's ``engine``, else auto rules."""
    choice = flag or (stack.spec.engine if stack is not None else "auto")
    if choice not in ENGINES:
        raise UserInputError(f"unknown engine {choice!r}; expected one of {', '.join(ENGINES)}")
    if choice != "auto":
        return choice
    if stack is None or stack.dynamic_only:
        return "embedded"
    return "pulumi"


def make_engine(name: str, *, backend: str | None = None, lock_timeout: float = 0.0) -> Engine:
    """Construct an engine by name; heavy modules load only here."""
    if name == "embedded":
        from provisioner.engines.embedded.engine import EmbeddedEngine

        return EmbeddedEngine(lock_timeout=lock_timeout)
    if name == "pulumi":
        from provisioner.engines.pulumi.engine import PulumiEngine

        return PulumiEngine(backend=backend)
    raise UserInputError(f"unknown engine {name!r}; expected one of {', '.join(ENGINES)}")
