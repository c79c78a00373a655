"""The serializer interface: turn a value into named files, and back."""

from __future__ import annotations

import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass
class Saved:
    """What a serializer produced.

    Attributes:
        files: file name -> content: bytes held in memory, or a local file to stream.
            Names are relative POSIX paths (a directory artifact has ``a/b.txt``).
        metadata: small JSON-able facts the loader needs (dtype, original type, ...).
    """

    files: dict[str, bytes | Path]
    metadata: dict[str, Any] = field(default_factory=dict)


class Staging:
    """A scratch folder a serializer may write large files into; created on first use."""

    def __init__(self) -> None:
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    def path(self, name: str) -> Path:
        """A fresh local path named ``name`` inside the scratch folder."""
        if self._dir is None:
            self._dir = tempfile.TemporaryDirectory(prefix="provisioner-stage-")
        return Path(self._dir.name) / name

    def cleanup(self) -> None:
        """Remove the scratch folder."""
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


class ArtifactFiles(Protocol):
    """Read access to a stored artifact's files, for :meth:`Serializer.load`."""

    names: list[str]

    def read_bytes(self, name: str) -> bytes:
        """One file's content."""
        ...

    def local_path(self, name: str | None = None) -> Path:
        """A local copy of one file, or of the whole artifact folder with ``name=None``."""
        ...


class Serializer(ABC):
    """Stores values of some types as files.

    Subclass it and pass an instance to :func:`register_serializer` to add your own.

    Attributes:
        name: unique name, recorded in each artifact's manifest.
    """

    name: str = ""

    @abstractmethod
    def handles(self, value: Any) -> bool:
        """Whether this serializer stores ``value``."""

    @abstractmethod
    def save(self, value: Any, staging: Staging) -> Saved:
        """The files (and metadata) that represent ``value``."""

    @abstractmethod
    def load(self, files: ArtifactFiles, metadata: dict[str, Any]) -> Any:
        """Rebuild the value from its stored files."""
