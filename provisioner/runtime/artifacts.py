"""Artifacts: content-hashed values in the store; data first, manifest last."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from provisioner.errors import ProvisionerError
from provisioner.runtime import trust
from provisioner.runtime.errors import (
    ArtifactImportError,
    ArtifactIntegrityError,
    ArtifactNotFoundError,
    InvalidNameError,
    PickleNotAllowedError,
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
_MANIFEST_LIMIT = 16 << 20
_DATA_KEY = re.compile(r"^data/[0-9]{1,9}$")
_DIGEST = re.compile(r"^(sha256|sha256-tree64m):[0-9a-f]{64}$")
PICKLE_NAME = "pickle"


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


def _digest_like(expected: str, content: bytes | Path) -> tuple[str, int]:
    """(digest, size) of ``content`` computed the way ``expected`` was (plain or tree)."""
    tree = expected.startswith("sha256-tree")
    if isinstance(content, bytes):
        if not tree:
            return "sha256:" + hashlib.sha256(content).hexdigest(), len(content)
        view = memoryview(content)
        parts = [
            hashlib.sha256(view[s : s + _SEGMENT]).hexdigest()
            for s in range(0, len(content), _SEGMENT)
        ]
        return f"sha256-tree{_SEGMENT >> 20}m:" + hashlib.sha256(
            "".join(parts).encode()
        ).hexdigest(), len(content)
    if tree:
        return _digest(content)
    size = content.stat().st_size
    return "sha256:" + _hash_range(content, 0, size), size


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


def identity_hash(manifest: dict[str, Any]) -> str:
    """The content hash a manifest's identity (serializer, metadata, file digests) gives."""
    identity = {
        "serializer": manifest["serializer"],
        "metadata": manifest.get("metadata", {}),
        "files": [[e["name"], e["digest"], e["size"]] for e in manifest["files"]],
    }
    blob = json.dumps(identity, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


def check_manifest(uri: str, hash_: str, manifest: Any) -> dict[str, Any]:
    """``manifest`` if it is well formed and hashes to the artifact's address ``hash_``.

    Raises:
        ArtifactIntegrityError: a malformed manifest, unsafe file names or keys, or a manifest
            whose identity does not hash to ``hash_`` (it was changed or planted).
    """
    try:
        files = manifest["files"]
        if not isinstance(manifest["serializer"], str) or not isinstance(files, list):
            raise TypeError("serializer or files of the wrong type")
        if not isinstance(manifest.get("metadata", {}), dict):
            raise TypeError("metadata is not a mapping")
        for entry in files:
            _check_file_name(entry["name"])
            if not _DATA_KEY.match(str(entry["key"])) or not _DIGEST.match(str(entry["digest"])):
                raise ValueError(f"bad key or digest for file {entry['name']!r}")
            if type(entry["size"]) is not int or entry["size"] < 0:
                raise ValueError(f"bad size for file {entry['name']!r}")
        if len({e["name"] for e in files}) != len(files):
            raise ValueError("a file name is listed twice")
        actual = identity_hash(manifest)
    except (KeyError, TypeError, ValueError, InvalidNameError, RecursionError) as exc:
        raise ArtifactIntegrityError(uri, f"its manifest is malformed ({exc})") from None
    if actual != hash_:
        raise ArtifactIntegrityError(
            uri, f"its manifest hashes to {actual[:12]}…, not to its address {hash_[:12]}…"
        )
    return manifest


class ArtifactIO:
    """Reads and writes artifacts in one store; small blobs written here are memoised.

    Everything read is verified against the artifact's address: the manifest must hash to
    it, and each file to the digest the manifest records. Pickles are loaded only when the
    reader allows it (see :mod:`provisioner.runtime.trust`).

    Args:
        store: the artifact store.
        download_dir: local folder for file copies of artifacts (paths, arrays).
        allow_pickle: load pickles from any writer of the store; None reads
            ``$PROVISIONER_ALLOW_PICKLE``. Pickles this home wrote load either way.
    """

    def __init__(
        self, store: ArtifactStore, download_dir: Path, *, allow_pickle: bool | None = None
    ) -> None:
        self.store = store
        self.download_dir = download_dir
        self.allow_pickle = trust.pickle_allowed_by_env() if allow_pickle is None else allow_pickle
        self._memo: dict[str, bytes] = {}
        self._memo_size = 0
        self._lock = threading.Lock()
        self._trusted: set[str] = set()

    def trust(self, hashes: Iterable[str]) -> None:
        """Load these artifacts even if they are pickles (the caller vouches for them)."""
        self._trusted.update(hashes)

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
            if total >= _DEDUP_CHECK_SIZE and self._holds(hash_, manifest_key):
                self._own(ref)
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
            self._own(ref)
            return ref
        finally:
            staging.cleanup()

    def _own(self, ref: ArtifactRef) -> None:
        if ref.serializer == PICKLE_NAME:
            trust.remember_own_pickle(ref.hash)

    def _holds(self, hash_: str, manifest_key: str) -> bool:
        """Whether the store already holds this exact artifact (manifest and every file
        verified), so writing it again can be skipped. Anything planted there that does not
        verify is overwritten by the caller."""
        if not self.store.exists(manifest_key):
            return False
        try:
            self.verify(hash_)
        except (ArtifactIntegrityError, ArtifactNotFoundError):
            return False
        return True

    def verify(self, hash_: str) -> dict[str, Any]:
        """Check the stored artifact completely: its manifest and every file's digest.

        Returns:
            The verified manifest.

        Raises:
            ArtifactNotFoundError: missing or incomplete.
            ArtifactIntegrityError: it does not match its address.
        """
        manifest = self.manifest(hash_)
        files = StoredFiles(self, hash_, manifest)
        scratch = self.download_dir / ".verify"
        for entry in manifest["files"]:
            key = artifact_key(hash_, entry["key"])
            if key in self._memo:  # written by this process
                continue
            copy = scratch / f"{hash_}-{entry['key'].replace('/', '-')}-{threading.get_ident()}"
            try:
                files.fetch_verified(entry, copy)
            finally:
                copy.unlink(missing_ok=True)
        return manifest

    def manifest(self, hash_: str) -> dict[str, Any]:
        """The artifact's manifest.

        Raises:
            ArtifactNotFoundError: no manifest: the artifact is missing or was never completed.
        """
        key = artifact_key(hash_, MANIFEST)
        uri = self.store.object_uri(artifact_key(hash_))
        try:
            data = self.get_bytes(key)
        except ArtifactNotFoundError:
            raise ArtifactNotFoundError(
                uri, "no complete artifact here (missing, or its write never finished)"
            ) from None
        if len(data) > _MANIFEST_LIMIT:
            raise ArtifactIntegrityError(uri, f"its manifest is {len(data)} bytes")
        try:
            manifest = json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise ArtifactIntegrityError(uri, f"its manifest is not JSON ({exc})") from None
        if not isinstance(manifest, dict):
            raise ArtifactIntegrityError(uri, "its manifest is not a JSON object")
        return check_manifest(uri, hash_, manifest)

    def is_complete(self, hash_: str) -> bool:
        """Whether the artifact's manifest exists."""
        key = artifact_key(hash_, MANIFEST)
        return key in self._memo or self.store.exists(key)

    def may_load_pickle(self, hash_: str) -> bool:
        """Whether this reader loads the pickle ``hash_``: opted in, or its own."""
        return self.allow_pickle or hash_ in self._trusted or trust.is_own_pickle(hash_)

    def load(self, hash_: str, serializer: str | None = None) -> Any:
        """Load the value stored under ``hash_``, verifying every byte read.

        Args:
            hash_: the artifact's content hash.
            serializer: the serializer the step record names; the manifest must agree.

        Raises:
            ArtifactNotFoundError: missing or incomplete.
            ArtifactIntegrityError: it does not match its address, or not the serializer
                its step record names.
            PickleNotAllowedError: a pickle this reader has not opted in to load.
            SerializationError: its serializer is not registered here.
        """
        manifest = self.manifest(hash_)
        uri = self.store.object_uri(artifact_key(hash_))
        if serializer and manifest["serializer"] != serializer:
            raise ArtifactIntegrityError(
                uri,
                f"its manifest says serializer {manifest['serializer']!r}, but the step "
                f"record says {serializer!r}",
            )
        if manifest["serializer"] == PICKLE_NAME and not self.may_load_pickle(hash_):
            raise PickleNotAllowedError(
                f"artifact {uri} is a pickle ({manifest.get('type', '?')}); loading it runs "
                "code chosen by whoever wrote it, so it is not loaded by default",
                hint="if you trust every writer of this store, pass --allow-pickle (or "
                f"allow_pickle=True, or set {trust.PICKLE_ENV}=1); `run output -o FILE` "
                "copies the stored bytes without loading them",
            )
        serializer = serializer_named(manifest["serializer"])
        try:
            return serializer.load(StoredFiles(self, hash_, manifest), manifest.get("metadata", {}))
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


class StoredFiles:
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

    def _mismatch(self, entry: dict[str, Any], found: tuple[str, int]) -> ArtifactIntegrityError:
        return ArtifactIntegrityError(
            self._io.store.object_uri(artifact_key(self._hash)),
            f"file {entry['name']!r} has {found[1]} bytes with digest {found[0][:24]}…, "
            f"but its manifest records {entry['size']} bytes with {entry['digest'][:24]}…",
        )

    def read_bytes(self, name: str) -> bytes:
        entry = self._entry(name)
        key = artifact_key(self._hash, entry["key"])
        if key in self._io._memo:  # written by this process
            return self._io._memo[key]
        data = self._io.store.get_bytes(key)
        found = _digest_like(entry["digest"], data)
        if found != (entry["digest"], entry["size"]):
            raise self._mismatch(entry, found)
        self._io._remember(key, data)
        return data

    def fetch_verified(self, entry: dict[str, Any], dest: Path) -> Path:
        """Download one file to ``dest``; it appears there only once its digest verified."""
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}-{threading.get_ident()}.verify")
        try:
            self._io.store.get_file(artifact_key(self._hash, entry["key"]), tmp)
            found = _digest_like(entry["digest"], tmp)
            if found != (entry["digest"], entry["size"]):
                raise self._mismatch(entry, found)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        return dest

    def local_path(self, name: str | None = None) -> Path:
        root = self._io.download_dir / self._hash
        for entry_name in [name] if name is not None else self.names:
            entry = self._entry(entry_name)
            dest = root.joinpath(*entry_name.split("/"))
            # a copy there was verified when it was downloaded (it is renamed in only then)
            if not (dest.is_file() and dest.stat().st_size == entry["size"]):
                self.fetch_verified(entry, dest)
        if name is None:
            root.mkdir(parents=True, exist_ok=True)
            return root
        return root.joinpath(*name.split("/"))
