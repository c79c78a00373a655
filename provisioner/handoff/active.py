"""The active stack: the stack config that ``--stack`` defaults to (``stack use``/``current``)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from provisioner import home
from provisioner.errors import UserInputError

#: Names the active stack for one shell or CI job; wins over ``provisioner stack use``.
ENV_STACK = "PROVISIONER_STACK"


@dataclass(frozen=True)
class ActiveStack:
    """Which stack is active and why.

    Attributes:
        ref: a deployed stack's name or the absolute path of a stack config file.
        source: ``env`` ($PROVISIONER_STACK) or ``home`` (set by ``stack use``).
    """

    ref: str
    source: str


def active_file() -> Path:
    """Where ``stack use`` records the active stack (in the provisioner home)."""
    return home.home() / "active-stack.json"


def use(ref: str) -> tuple[str, object]:
    """Make ``ref`` (a stack config file or a deployed stack's name) the active stack.

    The file is loaded first, so a broken or missing one is refused; a file is recorded by
    its absolute path (the reference, not a copy: a newer file from the platform engineer
    is picked up as it lands).

    Returns:
        The recorded reference and the loaded StackConfig.

    Raises:
        NotFoundError, SpecError: ``ref`` is not a usable stack config.
    """
    from provisioner.stackconfig import atomic_write_text, load_stack_config

    config = load_stack_config(ref)
    path = Path(ref).expanduser()
    recorded = str(path.resolve()) if path.is_file() else str(ref)
    atomic_write_text(active_file(), json.dumps({"ref": recorded}) + "\n")
    return recorded, config


def current() -> ActiveStack | None:
    """The active stack: ``$PROVISIONER_STACK``, else what ``stack use`` recorded, else None.

    Raises:
        UserInputError: the record in the home is unreadable.
    """
    env = os.environ.get(ENV_STACK)
    if env:
        return ActiveStack(env, "env")
    path = active_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise UserInputError(
            f"{path}: the active stack record is unreadable ({exc})",
            hint="set it again with `provisioner stack use FILE|NAME`",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("ref"), str) or not data["ref"]:
        raise UserInputError(
            f"{path}: the active stack record has no 'ref'",
            hint="set it again with `provisioner stack use FILE|NAME`",
        )
    return ActiveStack(data["ref"], "home")


def clear() -> bool:
    """Forget the stack ``stack use`` recorded; True if there was one."""
    try:
        active_file().unlink()
    except FileNotFoundError:
        return False
    return True


def require() -> str:
    """The active stack's reference, for a command given no ``--stack``.

    Raises:
        UserInputError: no stack is active, with how to pick one.
    """
    active = current()
    if active is None:
        raise UserInputError(
            "no stack given and no active stack",
            hint="pass --stack NAME|FILE, run `provisioner stack use NAME|FILE` once, "
            f"or set ${ENV_STACK}",
        )
    return active.ref
