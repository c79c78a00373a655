"""Which pickled artifacts a reader loads: its own, or any once the reader opts in.

Loading a pickle runs code chosen by whoever wrote it, and anyone who can write to a shared
store can write one. So a process loads a pickle only when

* the reader opted in (``allow_pickle=True``, ``--allow-pickle`` or ``$PROVISIONER_ALLOW_PICKLE``),
  which trusts every writer of the store; or
* the pickle was written from this provisioner home (its content hash is listed in
  ``<home>/trust/pickles``; the home is private to its user), so a user's own reruns and
  ``load_output`` calls keep working.

The artifact's content hash is verified before this is asked (see
:mod:`provisioner.runtime.artifacts`), so a listed hash names exactly the bytes this user wrote.
"""

from __future__ import annotations

import os
from pathlib import Path

from provisioner import home

#: Set to 1 (or true/yes) to load pickles from any writer of the store.
PICKLE_ENV = "PROVISIONER_ALLOW_PICKLE"


def pickle_allowed_by_env() -> bool:
    """Whether ``$PROVISIONER_ALLOW_PICKLE`` opts this reader in to every writer's pickles."""
    return os.environ.get(PICKLE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _own_dir() -> Path:
    return home.home() / "trust" / "pickles"


def remember_own_pickle(hash_: str) -> None:
    """Record that this home wrote (or verified it holds exactly) the pickle ``hash_``."""
    folder = home.make_dirs(_own_dir())
    fd = os.open(folder / hash_, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)


def is_own_pickle(hash_: str) -> bool:
    """Whether this home wrote the pickle ``hash_`` (``hash_`` is a checked sha256 hex)."""
    return (_own_dir() / hash_).is_file()
