"""The artifact store interface: a flat key/blob store whose every write is atomic."""

from __future__ import annotations

import contextlib
import os
import secrets
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path

from provisioner.runtime.keys import check_key

#: Connect timeout (seconds) every cloud client uses, so an unreachable store fails fast.
CONNECT_TIMEOUT = 3.0
#: Read timeout (seconds) for one request.
READ_TIMEOUT = 60.0
#: Attempts per request, first one included.
MAX_ATTEMPTS = 2


class ArtifactStore(ABC):
    """A key/blob store rooted at a URI (``s3://bucket/prefix``, a local path, ...).

    Every ``put_*`` is atomic: a reader sees the whole object or no object. Keys are
    relative, ``/``-separated and checked against path traversal.

    Attributes:
        uri: the store's root URI, without a trailing slash.
    """

    def __init__(self, uri: str) -> None:
        self.uri = uri.rstrip("/") if uri not in ("/",) else uri

    def object_uri(self, key: str) -> str:
        """The URI of one object."""
        return f"{self.uri}/{check_key(key)}"

    #: The key prefix inside the bucket or container (object stores; empty for a folder).
    prefix: str = ""

    def _key(self, key: str) -> str:
        """The object's name in its bucket or container: the prefix plus the checked key."""
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    @abstractmethod
    def put_bytes(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` atomically (replacing any object there)."""

    @abstractmethod
    def put_file(self, key: str, path: Path) -> None:
        """Stream the file at ``path`` to ``key`` atomically (multipart for large files)."""

    @abstractmethod
    def get_bytes(self, key: str) -> bytes:
        """The object's content.

        Raises:
            ArtifactNotFoundError: no such object.
        """

    @abstractmethod
    def get_file(self, key: str, dest: Path) -> None:
        """Stream the object to ``dest``; ``dest`` appears only once complete.

        Raises:
            ArtifactNotFoundError: no such object.
        """

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""

    @abstractmethod
    def list_keys(self, prefix: str) -> Iterator[str]:
        """Keys (relative to the store root) that start with ``prefix/``."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove one object; missing objects are ignored."""

    #: Seconds a temp part must have been left alone before a clean-up takes it for the
    #: remains of a killed write (a write in progress is younger).
    TEMP_GRACE = 3600.0

    def temp_parts(self) -> Iterator[str]:
        """What killed writes left behind that ``list_keys`` never shows (temp files,
        unfinished multipart uploads), older than ``TEMP_GRACE``; stores without such
        remains list nothing."""
        return iter(())

    def delete_temp(self, part: str) -> None:
        """Remove one of :meth:`temp_parts`."""
        raise NotImplementedError(part)

    def check(self) -> None:
        """Fail fast, with the URI and cause, if the store cannot be reached.

        Raises:
            ArtifactStoreError: unreachable, missing bucket/container, or denied.
        """
        self.exists("_provisioner/probe")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.uri!r})"


@contextlib.contextmanager
def local_temp_for(dest: Path) -> Iterator[Path]:
    """A temporary file beside ``dest`` that replaces ``dest`` only on success.

    The file gets the mode a plain ``open`` would give (0666 less the umask), not
    ``mkstemp``'s 0600: a file a user exports must be as readable as any file they make.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp_path = dest.parent / f".{dest.name}.{secrets.token_hex(6)}.part"
        try:
            fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        break
    try:
        yield tmp_path
        os.replace(tmp_path, dest)
    finally:
        tmp_path.unlink(missing_ok=True)
