"""Artifacts: content-hashed values in the store; data first, manifest last."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from provisioner.errors import ProvisionerError
from provisioner.runtime.errors import (
    ArtifactImportError,
    ArtifactNotFoundError,
    InvalidNameError,
    SerializationError,
)
from provisioner.runtime.serializers import Serializer, Staging, serializer_named
from provisioner.runtime.stores.base import ArtifactStore

ARTIFACTS = "artifacts"
MANIFEST = "manifest.json"
_HASH_CHUNK = 8 << 20
_SEGMENT = 64 << 20
_MEMO_ITEM = 1 << 20
_MEMO_TOTAL = 64 << 20
_DEDUP_CHECK_SIZE = 1 << 20


@dataclass(frozen=True)
class ArtifactRef:
    """A stored artifact.

    Attributes:
        hash: the content hash (sha256 over serializer, metadata and file digests).
        uri: ``<store uri>/artifacts/<hash>``.
        serializer: the serializer's name (``json``, ``numpy``, ``pickle``, ...).
        type: the value's ``module.qualname``.
        size: bytes of data stored.
    """

    hash: str
    uri: str
    serializer: str
    type: str
    size: int


def artifact_key(hash_: str, *rest: str) -> str:
    """The store key of an artifact's folder or of a file inside it."""
    if len(hash_) != 64 or any(c not in "0123456789abcdef" for c in hash_):
        raise InvalidNameError(f"invalid artifact hash {hash_!r}")
    return "/".join((ARTIFACTS, hash_, *rest))


def hash_from_uri(uri: str) -> str:
    """The hash at the end of an artifact URI (or a bare hash)."""
    return artifact_key(uri.rstrip("/").rsplit("/", 1)[-1]).rsplit("/", 1)[-1]


def _check_file_name(name: str) -> str:
    pure = PurePosixPath(name)
    if not name or pure.is_absolute() or any(p in ("", ".", "..") for p in name.split("/")):
        raise InvalidNameError(f"unsafe file name {name!r} in an artifact")
    return name


def _digest(content: bytes | Path) -> tuple[str, int]:
    """(digest, size): plain sha256 up to 64 MiB; above, a sha256 over 64 MiB segment
    digests, computed in parallel threads (hashlib releases the GIL)."""
    if isinstance(content, bytes):
        return "sha256:" + hashlib.sha256(content).hexdigest(), len(content)
    size = content.stat().st_size
    if size <= _SEGMENT:
        return "sha256:" + _hash_range(content, 0, size), size
    starts = range(0, size, _SEGMENT)
    workers = min(len(starts), os.cpu_count() or 1, 8)
    with ThreadPoolExecutor(workers, thread_name_prefix="hash") as pool:
        parts = list(pool.map(lambda s: _hash_range(content, s, min(_SEGMENT, size - s)), starts))
    tree = hashlib.sha256("".join(parts).encode()).hexdigest()
    return f"sha256-tree{_SEGMENT >> 20}m:{tree}", size


def _hash_range(path: Path, start: int, length: int) -> str:
    h = hashlib.sha256()
    buf = bytearray(_HASH_CHUNK)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as fh:
        fh.seek(start)
        while length > 0:
            n = fh.readinto(view[: min(_HASH_CHUNK, length)])
            if not n:
                raise OSError(f"{path} shrank while being stored")
            h.update(view[:n])
            length -= n
    return h.hexdigest()


def _type_name(value: Any) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


class ArtifactIO:
    """Reads and writes artifacts in one store; small blobs written here are memoised.

    Args:
        store: the artifact store.
        download_dir: local folder for file copies of artifacts (paths, arrays).
    """

    def __init__(self, store: ArtifactStore, download_dir: Path) -> None:
        self.store = store
        self.download_dir = download_dir
        self._memo: dict[str, bytes] = {}
        self._memo_size = 0
        self._lock = threading.Lock()

    def _remember(self, key: str, data: bytes) -> None:
        if len(data) <= _MEMO_ITEM and self._memo_size + len(data) <= _MEMO_TOTAL:
            with self._lock:
                if key not in self._memo:
                    self._memo[key] = data
                    self._memo_size += len(data)

    def get_bytes(self, key: str) -> bytes:
        """An object's bytes, from the memo when this process wrote it."""
        data = self._memo.get(key)
        if data is None:
            data = self.store.get_bytes(key)
            self._remember(key, data)
        return data

    def save(self, value: Any, serializer: Serializer, producer: dict[str, Any]) -> ArtifactRef:
        """Serialize and store ``value``; returns its reference.

        Data files are written first and the manifest last, so an artifact without a
        manifest is never complete. Each write is atomic on every backend.
        """
        staging = Staging()
        try:
            saved = serializer.save(value, staging)
            entries = []
            for i, name in enumerate(sorted(saved.files)):
                digest, size = _digest(saved.files[name])
                entries.append(
                    {
                        "name": _check_file_name(name),
                        "key": f"data/{i}",
                        "digest": digest,
                        "size": size,
                    }
                )
            identity = {
                "serializer": serializer.name,
                "metadata": saved.metadata,
                "files": [[e["name"], e["digest"], e["size"]] for e in entries],
            }
            blob = json.dumps(identity, sort_keys=True, separators=(",", ":")).encode()
            hash_ = hashlib.sha256(blob).hexdigest()
            total = sum(e["size"] for e in entries)
            manifest_key = artifact_key(hash_, MANIFEST)
            ref = ArtifactRef(
                hash_,
                self.store.object_uri(artifact_key(hash_)),
                serializer.name,
                _type_name(value),
                total,
            )
            if total >= _DEDUP_CHECK_SIZE and self.store.exists(manifest_key):
                return ref
            for entry, name in zip(entries, sorted(saved.files), strict=True):
                key = artifact_key(hash_, entry["key"])
                content = saved.files[name]
                if isinstance(content, bytes):
                    self.store.put_bytes(key, content)
                    self._remember(key, content)
                else:
                    self.store.put_file(key, content)
            manifest = {
                "schema": 1,
                **identity,
                "files": entries,
                "hash": hash_,
                "type": ref.type,
                "size": total,
                "created_at": datetime.now(UTC).isoformat(),
                "producer": producer,
            }
            data = json.dumps(manifest, indent=1).encode()
            self.store.put_bytes(manifest_key, data)
            self._remember(manifest_key, data)
            return ref
        finally:
            staging.cleanup()

    def manifest(self, hash_: str) -> dict[str, Any]:
        """The artifact's manifest.

        Raises:
            ArtifactNotFoundError: no manifest: the artifact is missing or was never completed.
        """
        key = artifact_key(hash_, MANIFEST)
        try:
            return json.loads(self.get_bytes(key))
        except ArtifactNotFoundError:
            raise ArtifactNotFoundError(
                self.store.object_uri(artifact_key(hash_)),
                "no complete artifact here (missing, or its write never finished)",
            ) from None

    def is_complete(self, hash_: str) -> bool:
        """Whether the artifact's manifest exists."""
        key = artifact_key(hash_, MANIFEST)
        return key in self._memo or self.store.exists(key)

    def load(self, hash_: str) -> Any:
        """Load the value stored under ``hash_``.

        Raises:
            ArtifactNotFoundError: missing or incomplete.
            SerializationError: its serializer is not registered here.
        """
        manifest = self.manifest(hash_)
        serializer = serializer_named(manifest["serializer"])
        try:
            return serializer.load(
                _StoredFiles(self, hash_, manifest), manifest.get("metadata", {})
            )
        except ProvisionerError:
            raise
        except Exception as exc:
            raise _load_error(self.store.object_uri(artifact_key(hash_)), manifest, exc) from None


def _load_error(uri: str, manifest: dict[str, Any], exc: Exception) -> SerializationError:
    """A clear error for a value that its serializer could not rebuild."""
    kind = str(manifest.get("type", "?"))
    if isinstance(exc, ImportError) and exc.name:
        return ArtifactImportError(uri, exc.name, kind, f"{type(exc).__name__}: {exc}")
    if isinstance(exc, AttributeError) and "attribute" in str(exc):  # pickle: class is gone
        found = re.search(r"<module '([^']+)'", str(exc))
        module = found.group(1) if found else kind.rsplit(".", 1)[0]
        return ArtifactImportError(uri, module, kind, str(exc))
    return SerializationError(
        f"cannot load artifact {uri} ({kind}, serializer {manifest.get('serializer')!r}): "
        f"{type(exc).__name__}: {exc}"
    )


class _StoredFiles:
    """:class:`ArtifactFiles` over one stored artifact."""

    def __init__(self, io: ArtifactIO, hash_: str, manifest: dict[str, Any]) -> None:
        self._io = io
        self._hash = hash_
        self._entries = {_check_file_name(e["name"]): e for e in manifest["files"]}
        self.names = list(self._entries)

    def _entry(self, name: str) -> dict[str, Any]:
        try:
            return self._entries[name]
        except KeyError:
            raise ArtifactNotFoundError(
                self._io.store.object_uri(artifact_key(self._hash)), f"no file {name!r}"
            ) from None

    def read_bytes(self, name: str) -> bytes:
        return self._io.get_bytes(artifact_key(self._hash, self._entry(name)["key"]))

    def local_path(self, name: str | None = None) -> Path:
        root = self._io.download_dir / self._hash
        for entry_name in [name] if name is not None else self.names:
            entry = self._entry(entry_name)
            dest = root.joinpath(*entry_name.split("/"))
            if not (dest.is_file() and dest.stat().st_size == entry["size"]):
                self._io.store.get_file(artifact_key(self._hash, entry["key"]), dest)
        if name is None:
            root.mkdir(parents=True, exist_ok=True)
            return root
        return root.joinpath(*name.split("/"))
