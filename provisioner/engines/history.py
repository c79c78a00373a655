"""A stack's history: one entry per deploy, destroy and refresh, on either engine.

The embedded engine appends to ``<stack dir>/history.jsonl``. The Pulumi engine keeps its
history in the backend (``pulumi stack history``, shared by every machine using it) and tags
each update with :func:`history_message`, which :func:`parse_message` reads back.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import socket
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provisioner import __version__

HISTORY_FILE = "history.jsonl"
_MESSAGE = re.compile(
    r"^provisioner (?P<version>\S+): (?P<kind>\S+) by (?P<user>.*)@(?P<host>\S*)$"
)


@dataclass
class HistoryEntry:
    """One operation on a stack.

    Attributes:
        kind: ``deploy``, ``destroy`` or ``refresh``.
        started: ISO time it started (UTC).
        ended: ISO time it ended.
        user: who ran it (login name).
        host: the machine it ran on.
        version: provisioner's version.
        result: ``succeeded`` or ``failed``.
        changes: resources per op (``create``, ``update``, ``delete``, ``same``, ...).
        message: the error of a failed operation, or extra information.
    """

    kind: str
    started: str
    ended: str = ""
    user: str = ""
    host: str = ""
    version: str = __version__
    result: str = "succeeded"
    changes: dict[str, int] = field(default_factory=dict)
    message: str = ""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def who() -> tuple[str, str]:
    """(user, host) of this process."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return user, socket.gethostname()


def start(kind: str) -> HistoryEntry:
    user, host = who()
    return HistoryEntry(kind=kind, started=now(), user=user, host=host)


def history_message(kind: str) -> str:
    """The update message that carries who ran an operation into Pulumi's history."""
    user, host = who()
    return f"provisioner {__version__}: {kind} by {user}@{host}"


def parse_message(message: str) -> dict[str, str]:
    """``version``, ``kind``, ``user`` and ``host`` from :func:`history_message` (or {})."""
    match = _MESSAGE.match(message or "")
    return match.groupdict() if match else {}


def append(folder: Path, entry: HistoryEntry) -> None:
    """Append ``entry`` to the history file in ``folder`` (one JSON line, mode 0600)."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / HISTORY_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(json.dumps(asdict(entry), sort_keys=True) + "\n")


def read(folder: Path) -> list[HistoryEntry]:
    """The entries recorded in ``folder``, oldest first; unreadable lines are skipped."""
    try:
        lines = (folder / HISTORY_FILE).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    entries = []
    for line in lines:
        try:
            data: Any = json.loads(line)
            entries.append(HistoryEntry(**data))
        except (ValueError, TypeError):
            continue
    return entries
