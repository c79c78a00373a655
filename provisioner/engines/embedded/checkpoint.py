"""The embedded engine's JSON state checkpoint, written atomically after every step.

Secret values are stored encrypted (see :mod:`.secrets`): ``{"__secret__": {"ciphertext":
..., "v": 1}}``, with the key's salt and check value in the ``secrets`` header, and so is the
serialized provider of a resource when the Pulumi SDK marked it secret. Such a file has
version 2; a file without encrypted values keeps version 1, which is also how checkpoints with
plain-text secrets (``{"__secret__": value}``) were written before; those are still read, and
the next write encrypts them.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provisioner.engines import failpoints
from provisioner.engines.embedded.values import (
    Sealed,
    SecretText,
    from_json,
    secret_tagged,
    tag_secret,
    to_json,
    untag_secret,
)
from provisioner.errors import OperationError

#: The version of a checkpoint holding encrypted values; bump on incompatible layout changes.
CHECKPOINT_VERSION = 2
#: The version of a checkpoint without encrypted values (same layout; older readers read it).
PLAIN_VERSION = 1

CHECKPOINT_FILE = "checkpoint.json"


@dataclass
class ResourceState:
    """One resource as recorded in the checkpoint (Pulumi's deployment resource, trimmed).

    Attributes:
        urn: URN with the parent type chain.
        type: type token.
        name: logical name.
        custom: False for component resources and the root stack.
        id: provider-assigned ID (custom resources only).
        parent: parent URN.
        dependencies: URNs this resource depends on.
        inputs: the inputs it was created or last updated with (model values).
        outputs: the provider's outputs (model values; registered outputs for components).
        provider: base64 dill blob of the dynamic provider, so a destroy needs no program; a
            ``SecretText`` when the SDK marked it secret (then it is stored encrypted).
        delete: True for a replaced resource that still awaits deletion.
        protect: refuse to delete it.
        retain_on_delete: drop it from the state without deleting it.
    """

    urn: str
    type: str
    name: str
    custom: bool = True
    id: str = ""
    parent: str | None = None
    dependencies: list[str] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    provider: str | None = None
    delete: bool = False
    protect: bool = False
    retain_on_delete: bool = False


@dataclass
class PendingOperation:
    """A provider call that started but whose result is not yet recorded.

    Attributes:
        op: ``create``, ``update`` or ``delete``.
        resource: the resource it acts on (for a create: the resource it would become).
        started: ISO time the call started.
    """

    op: str
    resource: ResourceState
    started: str = ""


@dataclass
class Checkpoint:
    """A stack's full state: resources in dependency order, pending operations, stack outputs."""

    stack: str
    resources: list[ResourceState] = field(default_factory=list)
    pending: list[PendingOperation] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    #: The ``StateCipher`` it was read or last written with (reused while the key matches).
    cipher: Any = field(default=None, compare=False, repr=False)
    #: Read with ``decrypt=False``: its secrets are ``Sealed`` and it cannot be saved.
    sealed: bool = field(default=False, compare=False, repr=False)

    def live(self, urn: str) -> ResourceState | None:
        """The resource currently at ``urn`` (not a replaced one awaiting deletion)."""
        for res in self.resources:
            if res.urn == urn and not res.delete:
                return res
        return None

    def put(self, res: ResourceState) -> None:
        """Record ``res``, replacing the live entry with the same URN in place."""
        for i, old in enumerate(self.resources):
            if old.urn == res.urn and not old.delete:
                self.resources[i] = res
                return
        self.resources.append(res)

    def remove(self, res: ResourceState) -> None:
        """Forget ``res`` (matched by identity)."""
        self.resources = [r for r in self.resources if r is not res]

    def add_pending(self, op: str, res: ResourceState) -> PendingOperation:
        pending = PendingOperation(op, res, datetime.now(UTC).isoformat(timespec="seconds"))
        self.pending.append(pending)
        return pending

    def clear_pending(self, pending: PendingOperation) -> None:
        self.pending = [p for p in self.pending if p is not pending]

    @property
    def empty(self) -> bool:
        return not self.resources and not self.pending


class _Codec:
    """Seals secrets for one write, or opens them for one read; the cipher is made lazily, so
    a checkpoint without secrets never loads a key or imports ``cryptography``."""

    def __init__(self, path: Path, cp: Checkpoint, header: Any = None) -> None:
        self.path = path
        self.cp = cp
        self.header = header  # None: writing
        self.used = False

    def _cipher(self) -> Any:
        from provisioner.engines.embedded import secrets

        if not self.used:
            if self.header is None:
                self.cp.cipher = secrets.cipher_for_write(self.cp.cipher)
            else:
                self.cp.cipher = secrets.cipher_for_read(self.header, self.path)
            self.used = True
        return self.cp.cipher

    def seal(self, value: Any, context: tuple[str, ...]) -> Any:
        """Seal ``value`` bound to this stack and ``context`` (URN and field path)."""
        return self._cipher().seal(value, (self.cp.stack, *context))

    def open(self, stored: Any, context: tuple[str, ...]) -> Any:
        if self.cp.sealed:
            return Sealed(stored)
        try:
            return self._cipher().open(stored, (self.cp.stack, *context))
        except ValueError as exc:
            where = "/".join(context)
            raise OperationError(
                f"the state checkpoint {self.path} is damaged: a secret value in it does not "
                f"decrypt at {where} (was it moved there?) ({exc})"
            ) from exc

    def sealer(self, *context: str) -> Any:
        """A ``Seal`` for one property bag: each value is bound to ``context`` and its path."""
        return lambda value, path: self.seal(value, (*context, *path))

    def opener(self, *context: str) -> Any:
        """The inverse of :meth:`sealer`."""
        return lambda stored, path: self.open(stored, (*context, *path))

    def seal_blob(self, blob: str | None, urn: str) -> Any:
        if isinstance(blob, SecretText):
            return tag_secret(self.seal(str(blob), (urn, "provider")))
        return blob

    def open_blob(self, stored: Any, plain_secrets: bool, urn: str) -> Any:
        secret, inner = untag_secret(stored)
        if not secret:
            return stored
        if plain_secrets:
            return SecretText(inner)
        opened = self.open(inner, (urn, "provider"))
        return opened if isinstance(opened, Sealed) else SecretText(opened)


#: The context of the stack's own outputs (no resource URN contains angle brackets).
_STACK_OUTPUTS = "<stack outputs>"


def _res_to_json(res: ResourceState, codec: _Codec) -> dict[str, Any]:
    data = asdict(res)
    data["inputs"] = to_json(res.inputs, codec.sealer(res.urn, "inputs"))
    data["outputs"] = to_json(res.outputs, codec.sealer(res.urn, "outputs"))
    data["provider"] = codec.seal_blob(res.provider, res.urn)
    return data


def _res_from_json(data: dict[str, Any], codec: _Codec, plain_secrets: bool) -> ResourceState:
    res = ResourceState(**data)
    if plain_secrets:
        res.inputs, res.outputs = from_json(res.inputs), from_json(res.outputs)
    else:
        res.inputs = from_json(res.inputs, codec.opener(res.urn, "inputs"))
        res.outputs = from_json(res.outputs, codec.opener(res.urn, "outputs"))
    res.provider = codec.open_blob(res.provider, plain_secrets, res.urn)
    return res


def _mark_old_blobs(cp: Checkpoint) -> None:
    """A checkpoint from before encryption lost the SDK's secret mark on serialized providers;
    if it holds secrets, treat them as secret (the SDK's default) so the next write encrypts
    them. A later deploy records each provider's real mark."""
    for res in [*cp.resources, *(p.resource for p in cp.pending)]:
        if res.provider and not isinstance(res.provider, SecretText):
            res.provider = SecretText(res.provider)


def load(path: Path, stack: str, *, decrypt: bool = True) -> Checkpoint:
    """Read the checkpoint at ``path``; a missing file is an empty state.

    Args:
        path: the checkpoint file.
        stack: the stack's name (used when the file does not record one).
        decrypt: open the encrypted secrets. Without it no key is needed: secrets read as
            ``Secret(Sealed(...))``, encrypted providers as ``Sealed``, and the result cannot
            be saved (enough to list resources or test for state).

    Raises:
        OperationError: the file is unreadable or of an unknown version, or its secrets need a
            passphrase or key file that is missing or wrong.
    """
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        return Checkpoint(stack)
    except (OSError, ValueError) as exc:
        raise OperationError(f"cannot read the state checkpoint {path}: {exc}") from exc
    version = raw.get("version") if isinstance(raw, dict) else None
    if version not in (PLAIN_VERSION, CHECKPOINT_VERSION):
        raise OperationError(
            f"state checkpoint {path} has version {version!r}; "
            f"this provisioner reads versions {PLAIN_VERSION} and {CHECKPOINT_VERSION}"
        )
    plain_secrets = version == PLAIN_VERSION
    header = raw.get("secrets")
    if not plain_secrets and header is None:
        raise OperationError(f"state checkpoint {path} is damaged: its secrets header is missing")
    cp = Checkpoint(stack=raw.get("stack", stack), sealed=not decrypt and not plain_secrets)
    codec = _Codec(path, cp, header)
    try:
        cp.resources = [_res_from_json(r, codec, plain_secrets) for r in raw.get("resources", [])]
        cp.pending = [
            PendingOperation(
                p["op"], _res_from_json(p["resource"], codec, plain_secrets), p.get("started", "")
            )
            for p in raw.get("pending", [])
        ]
        outputs = raw.get("outputs", {})
        cp.outputs = from_json(outputs, None if plain_secrets else codec.opener(_STACK_OUTPUTS))
    except (KeyError, TypeError) as exc:
        raise OperationError(f"state checkpoint {path} is damaged: {exc!r}") from exc
    if plain_secrets and secret_tagged(raw):
        _mark_old_blobs(cp)
    return cp


def save(path: Path, cp: Checkpoint) -> None:
    """Write ``cp`` atomically: temp file, fsync, rename (mode 0600), its secrets encrypted.

    Raises:
        OperationError: ``cp`` was read without decrypting, or its secrets cannot be encrypted.
    """
    if cp.sealed:
        raise OperationError(
            f"internal error: the state checkpoint {path} was read without its secrets and "
            "cannot be written back"
        )
    codec = _Codec(path, cp)
    doc: dict[str, Any] = {
        "version": PLAIN_VERSION,
        "stack": cp.stack,
        "updated": datetime.now(UTC).isoformat(timespec="seconds"),
        "resources": [_res_to_json(r, codec) for r in cp.resources],
        "pending": [
            {"op": p.op, "started": p.started, "resource": _res_to_json(p.resource, codec)}
            for p in cp.pending
        ],
        "outputs": to_json(cp.outputs, codec.sealer(_STACK_OUTPUTS)),
    }
    if codec.used:
        doc = {**doc, "version": CHECKPOINT_VERSION, "secrets": cp.cipher.header}
    data = json.dumps(doc, indent=1, sort_keys=False).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".checkpoint-", suffix=".tmp")
    try:
        _write_all(fd, data, cp.stack)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_all(fd: int, data: bytes, stack: str) -> None:
    """Write ``data`` in two halves; the ``checkpoint-write:<stack>`` failpoint kills between."""
    view = memoryview(data)
    half = len(view) // 2
    _write(fd, view[:half])
    failpoints.hit(failpoints.CHECKPOINT_WRITE, stack)
    _write(fd, view[half:])


def _write(fd: int, view: memoryview) -> None:
    while view:
        view = view[os.write(fd, view) :]
