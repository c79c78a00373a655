"""How a stack reference is read: a file only when it looks like a path, else a name.

``--stack prod`` must not pick up a file called ``prod`` that a cloned repository put in the
current folder: that file would redirect runs and reads to its author's store. A reference
is a file only when it contains a ``/`` or ends in ``.yaml``, ``.yml`` or ``.json``
(``./prod`` for a file named ``prod``); everything else is a recipe or a deployed stack's name.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from provisioner.errors import ProvisionerWarning

FILE_SUFFIXES = (".yaml", ".yml", ".json")


class ShadowedFileWarning(ProvisionerWarning):
    """A bare name that is both a deployed stack and a file in the current folder."""


def is_file_ref(ref: str | Path) -> bool:
    """Whether ``ref`` names a file: it has a ``/`` or ends in .yaml, .yml or .json."""
    if isinstance(ref, Path):
        return True
    return "/" in ref or "\\" in ref or ref.endswith(FILE_SUFFIXES) or ref.startswith("~")


def shadowing_file(ref: str) -> Path | None:
    """The file in the current folder that a bare name ``ref`` does NOT mean, if one exists."""
    if is_file_ref(ref):
        return None
    path = Path(ref)
    return path if path.is_file() else None


def warn_if_shadowed(ref: str) -> None:
    """Warn that ``ref`` means the deployed stack, not the file of that name here."""
    if shadowing_file(ref) is not None:
        warnings.warn(
            f"{ref!r} means the deployed stack {ref!r}, not the file ./{ref} in the current "
            f"folder; write ./{ref} to use the file",
            ShadowedFileWarning,
            stacklevel=3,
        )


def file_hint(ref: str) -> str | None:
    """For a name that is no deployed stack: how to mean the file of that name, if any."""
    if shadowing_file(ref) is None:
        return None
    return f"there is a file ./{ref} here; write ./{ref} to use it"
