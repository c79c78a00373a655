"""The local artifact store: a directory; atomic writes via temp file, fsync and rename."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from provisioner.runtime.errors import (
    ArtifactNotFoundError,
    ArtifactStoreError,
    ArtifactStoreMissingError,
)
from provisioner.runtime.keys import check_key
from provisioner.runtime.stores.base import ArtifactStore, local_temp_for


class LocalArtifactStore(ArtifactStore):
    """Artifacts in a directory on this machine.

    Args:
        uri: an absolute path, or a ``file://`` URI.
    """

    def __init__(self, uri: str) -> None:
        path = uri[len("file://") :] if uri.startswith("file://") else uri
        self.root = Path(path).expanduser()
        if not self.root.is_absolute():
            raise ArtifactStoreError(uri, "a local artifact store needs an absolute path")
        super().__init__(str(self.root))

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def _write(self, dest: Path, fill) -> None:
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
        except OSError as exc:
            raise ArtifactStoreError(self.uri, f"cannot write {dest}: {exc}") from None
        try:
            with os.fdopen(fd, "wb") as fh:
                fill(fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, dest)
        except BaseException as exc:
            Path(tmp).unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise ArtifactStoreError(self.uri, f"cannot write {dest}: {exc}") from None
            raise

    def put_bytes(self, key: str, data: bytes) -> None:
        """Write atomically (temp file in the same folder, fsync, rename)."""
        self._write(self._path(key), lambda fh: fh.write(data))

    def put_file(self, key: str, path: Path) -> None:
        """Copy in chunks to a temp file, then rename."""
        with open(path, "rb") as src:
            self._write(self._path(key), lambda fh: shutil.copyfileobj(src, fh, 8 << 20))

    def get_bytes(self, key: str) -> bytes:
        """Read the whole object."""
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise ArtifactNotFoundError(self.object_uri(key), "no such object") from None
        except OSError as exc:
            raise ArtifactStoreError(self.object_uri(key), str(exc)) from None

    def get_file(self, key: str, dest: Path) -> None:
        """Copy the object to ``dest`` (temp file, then rename)."""
        src = self._path(key)
        if not src.is_file():
            raise ArtifactNotFoundError(self.object_uri(key), "no such object")
        with local_temp_for(dest) as tmp:
            shutil.copyfile(src, tmp)

    def exists(self, key: str) -> bool:
        """Whether the file exists."""
        return self._path(key).is_file()

    def list_keys(self, prefix: str) -> Iterator[str]:
        """Walk the folder; temp files of unfinished writes are never listed.

        Raises:
            ArtifactStoreMissingError: the store's root folder does not exist (a listing
                of a destroyed stack's store is an error, not "nothing there").
        """
        base = self._path(prefix)
        if not base.is_dir():
            if not self.root.is_dir():
                raise self._missing()
            return
        for dirpath, _dirs, files in os.walk(base):
            rel = Path(dirpath).relative_to(self.root).as_posix()
            for name in files:
                if name.startswith("."):
                    continue
                yield f"{rel}/{name}"

    def delete(self, key: str) -> None:
        """Remove the file if present."""
        self._path(key).unlink(missing_ok=True)

    def temp_parts(self) -> Iterator[str]:
        """Temp files of writes that never finished (``.<name>.*.tmp``, ``*.part``)."""
        if not self.root.is_dir():
            return
        cutoff = time.time() - self.TEMP_GRACE
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                if not name.startswith(".") or not name.endswith((".tmp", ".part")):
                    continue
                path = Path(dirpath) / name
                with contextlib.suppress(OSError):
                    if path.stat().st_mtime < cutoff:
                        yield path.relative_to(self.root).as_posix()

    def delete_temp(self, part: str) -> None:
        path = (self.root / part).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"{part!r} is outside the store")
        path.unlink(missing_ok=True)

    def _missing(self) -> ArtifactStoreMissingError:
        return ArtifactStoreMissingError(
            self.uri,
            "does not exist; was the stack destroyed? deploy it again",
            hint="`provisioner stack deploy <definition>` creates the store folder; if "
            "another tool manages it, create the folder yourself",
        )

    def check(self) -> None:
        """Fail unless the root is an existing, writable directory.

        The root is never created here: the stack's deploy creates it, and a missing root
        means the stack was destroyed (or the config points at the wrong place). Creating
        it would put data in a folder that no stack manages.
        """
        if not self.root.exists():
            raise self._missing()
        if not self.root.is_dir():
            raise ArtifactStoreError(self.uri, "is not a directory")
        if not os.access(self.root, os.W_OK):
            raise ArtifactStoreError(self.uri, "the store folder is not writable")
