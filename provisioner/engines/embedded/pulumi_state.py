"""Read a Pulumi ``file://`` backend checkpoint (plain JSON) as an embedded-engine Checkpoint.

The offline plan of a stack deployed with the Pulumi engine diffs against this state. Only the
JSON is read: nothing here needs the Pulumi CLI, a passphrase or ``pulumi.automation``. Secret
values stay encrypted (``Secret(EncryptedValue)``); they are never decrypted or shown.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from provisioner.engines.embedded.checkpoint import Checkpoint, PendingOperation, ResourceState
from provisioner.engines.model import UNKNOWN, Secret
from provisioner.errors import OperationError

#: Checkpoint schema versions this reader understands (v4 adds a ``features`` list).
VERSIONS = (1, 2, 3, 4)
#: v4 features this reader handles; like the CLI, it refuses a checkpoint naming any other.
#: ``refreshBeforeUpdate`` and ``hooks`` only add resource fields a diff does not need;
#: ``byteString`` values are decoded below. (``views`` would need support: refused.)
FEATURES = ("byteString", "hooks", "refreshBeforeUpdate")

#: Key marking a special value in Pulumi's JSON, and the signatures of each kind.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
#: A NaN or infinite number: ``value`` holds its IEEE 754 bits as 16 hex digits.
FLOAT_SIG = "8ad145fe-0d11-4827-bfd7-1abcbf086f5c"
#: A string that is not valid UTF-8: ``value`` holds its bytes, base64-encoded.
BYTE_STRING_SIG = "803fd3297a5875dc03ca845dda5d2a98"
UNKNOWN_PLACEHOLDER = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

#: Key listing the properties a Terraform-bridged provider filled with defaults.
DEFAULTS_KEY = "__defaults"
PROVIDER_KEY = "__provider"
#: Inputs the engine itself adds to a provider resource (the program never sets them).
ENGINE_PROVIDER_KEYS = ("__internal", "version", "pluginDownloadURL")

_PENDING_OPS = {"creating": "create", "updating": "update", "deleting": "delete"}


class EncryptedValue:
    """A secret kept encrypted in a Pulumi checkpoint: opaque, it renders as ``[encrypted]``.

    Only a short fingerprint of the ciphertext is kept, so two reads of one state compare equal.
    """

    __slots__ = ("fingerprint",)

    def __init__(self, ciphertext: str) -> None:
        self.fingerprint = hashlib.sha256(ciphertext.encode()).hexdigest()[:16]

    def __repr__(self) -> str:
        return "[encrypted]"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EncryptedValue) and other.fingerprint == self.fingerprint

    def __hash__(self) -> int:
        return hash(self.fingerprint)


@dataclass
class PulumiState:
    """A Pulumi stack checkpoint read as the embedded engine's state.

    Attributes:
        checkpoint: the resources (default providers and external reads left out), pending
            operations and stack outputs.
        path: the stack file that was read.
        notes: caveats about what could not be carried over.
    """

    checkpoint: Checkpoint
    path: Path
    notes: list[str] = field(default_factory=list)


def backend_dir(backend: str) -> Path | None:
    """The folder of a ``file://`` backend URL; None for other backends (``s3://`` and so on)."""
    if not backend.startswith("file://"):
        return None
    parts = urlsplit(backend)
    raw = unquote(parts.netloc + parts.path)
    return Path(raw).expanduser()


def stack_file(backend: str, stack: str, project: str) -> Path | None:
    """The stack's checkpoint file in a ``file://`` backend, or None if there is none.

    Looks where Pulumi's DIY backend keeps it: ``.pulumi/stacks/<project>/<stack>.json``
    (or ``.json.gz``; the legacy layout without the project folder too). When both a plain
    and a compressed file exist, the newer one is the live state.
    """
    root = backend_dir(backend)
    if root is None:
        return None
    stacks = root / ".pulumi" / "stacks"
    for base in (stacks / project / stack, stacks / stack):
        found = [
            p
            for p in (Path(f"{base}.json"), Path(f"{base}.json.gz"), Path(f"{base}.json.zst"))
            if p.is_file()
        ]
        if found:
            return max(found, key=lambda p: p.stat().st_mtime)
    return None


def pulumi_baseline(stack: str, backend: str | None = None) -> tuple[PulumiState | None, list[str]]:
    """The Pulumi engine's recorded state of ``stack``, for an offline plan to diff against.

    The backend is found as the Pulumi engine finds it: ``backend`` (the stack definition's),
    else the one the stack's Pulumi work dir last used, else the default ``file://`` backend
    under the provisioner home. Only ``file://`` backends are read: offline, a team backend
    (``s3://``, ``gs://``, ``azblob://``) cannot be reached.

    Returns:
        The state (None if there is none to read) and notes for the plan saying what it was
        diffed against, or why it was not.
    """
    from provisioner.engines.pulumi.workspace import PROJECT, default_backend, recorded_backend

    url = backend or recorded_backend(stack) or default_backend()
    if backend_dir(url) is None:
        return None, [
            f"the Pulumi state in {url} cannot be read offline, so the plan shows every "
            "resource as new"
        ]
    path = stack_file(url, stack, PROJECT)
    if path is None:
        return None, []
    try:
        state = read_pulumi_state(path, stack)
    except OperationError as exc:
        return None, [f"{exc.message}; the plan shows every resource as new"]
    if state.checkpoint.empty:
        return None, []
    return state, [f"the plan is diffed against the Pulumi state at {path}", *state.notes]


def read_pulumi_state(path: Path, stack: str) -> PulumiState:
    """Read the Pulumi checkpoint at ``path`` as stack ``stack``'s state.

    Raises:
        OperationError: the file is unreadable, compressed in an unsupported way, or of a
            checkpoint version this reader does not know.
    """
    doc = _read_json(path)
    version = doc.get("version") if isinstance(doc, dict) else None
    if version not in VERSIONS:
        raise OperationError(
            f"the Pulumi checkpoint {path} has version {version!r}; "
            f"this provisioner reads versions {', '.join(map(str, VERSIONS))}"
        )
    unknown = sorted({str(f) for f in doc.get("features") or []} - set(FEATURES))
    if version == 4 and unknown:
        raise OperationError(
            f"the Pulumi checkpoint {path} needs features this provisioner does not support: "
            f"{', '.join(unknown)}"
        )
    body = doc.get("checkpoint") or {}
    latest = body.get("latest") or {}
    state = PulumiState(Checkpoint(stack), path)
    cp = state.checkpoint
    replaced = 0
    for raw in latest.get("resources") or []:
        if raw.get("pendingReplacement"):
            replaced += 1  # deleted by a delete-before-replace; the next update recreates it
            continue
        res = convert_resource(raw)
        if res is None:
            continue
        cp.resources.append(res)
        if res.type == "pulumi:pulumi:Stack" and not res.delete:
            cp.outputs = dict(res.outputs)
    for op in latest.get("pending_operations") or []:
        res = convert_resource(op.get("resource") or {})
        if res is not None:
            kind = str(op.get("type", ""))
            cp.pending.append(PendingOperation(_PENDING_OPS.get(kind, kind), res))
    if replaced:
        state.notes.append(
            f"{replaced} resources in the Pulumi state were deleted for a replacement that did "
            "not finish; the plan creates them again"
        )
    return state


def convert_resource(raw: dict[str, Any]) -> ResourceState | None:
    """One Pulumi ``ResourceV3`` as a ResourceState; None for what a program never registers.

    Default providers are created by the engine, not the program, and external resources are
    reads: both are left out. Terraform-bridged providers' defaults (``__defaults``) and the
    keys the engine adds to explicit providers are dropped from the inputs, so inputs hold
    what the program set.
    """
    urn = str(raw.get("urn") or "")
    type_ = str(raw.get("type") or "")
    if not urn or not type_ or raw.get("external"):
        return None
    name = urn.rsplit("::", 1)[-1]
    if type_.startswith("pulumi:providers:") and name.startswith("default"):
        return None
    inputs = strip_defaults(decode(raw.get("inputs") or {}))
    outputs = decode(raw.get("outputs") or {})
    # A dynamic resource's pickled provider is an encrypted secret here: unusable offline.
    inputs.pop(PROVIDER_KEY, None)
    outputs.pop(PROVIDER_KEY, None)
    if type_.startswith("pulumi:providers:"):
        for key in ENGINE_PROVIDER_KEYS:
            inputs.pop(key, None)
    return ResourceState(
        urn=urn,
        type=type_,
        name=name,
        custom=bool(raw.get("custom")),
        id=str(raw.get("id") or ""),
        parent=raw.get("parent") or None,
        dependencies=[str(d) for d in raw.get("dependencies") or []],
        inputs=inputs,
        outputs=outputs,
        provider=None,
        delete=bool(raw.get("delete")),
        protect=bool(raw.get("protect")),
        retain_on_delete=bool(raw.get("retainOnDelete")),
    )


def decode(value: Any) -> Any:
    """A property value from Pulumi's checkpoint JSON -> a model value.

    Encrypted secrets become ``Secret(EncryptedValue)``; plaintext secrets ``Secret(value)``;
    resource references their ID (their URN for components), as the engine hands them to
    providers; output values their value (``UNKNOWN`` if absent); NaN and infinities a
    float; a string that is not UTF-8 its ``bytes``.
    """
    if isinstance(value, str):
        return UNKNOWN if value == UNKNOWN_PLACEHOLDER else value
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    sig = value.get(SIG_KEY)
    if sig == SECRET_SIG:
        if isinstance(value.get("ciphertext"), str):
            return Secret(EncryptedValue(value["ciphertext"]))
        plaintext = value.get("plaintext")
        if not isinstance(plaintext, str):
            return Secret(None)
        try:
            return Secret(decode(json.loads(plaintext)))
        except ValueError:
            return Secret(plaintext)
    if sig == ASSET_SIG:
        return _asset(value)
    if sig == ARCHIVE_SIG:
        return _archive(value)
    if sig == RESOURCE_SIG:
        return value.get("id") or value.get("urn")
    if sig == OUTPUT_SIG:
        inner = decode(value["value"]) if "value" in value else UNKNOWN
        return Secret(inner) if value.get("secret") else inner
    if sig == FLOAT_SIG:
        return struct.unpack(">d", bytes.fromhex(str(value.get("value", ""))))[0]
    if sig == BYTE_STRING_SIG:
        raw = base64.b64decode(str(value.get("value", "")))
        try:
            return raw.decode()
        except UnicodeDecodeError:
            return raw
    return {k: decode(v) for k, v in value.items()}


def strip_defaults(value: Any) -> Any:
    """Drop ``__defaults`` and the properties it names, at every level of ``value``."""
    if isinstance(value, list):
        return [strip_defaults(v) for v in value]
    if not isinstance(value, dict):
        return value
    defaulted = value.get(DEFAULTS_KEY)
    skip = {DEFAULTS_KEY, *(defaulted if isinstance(defaulted, list) else [])}
    return {k: strip_defaults(v) for k, v in value.items() if k not in skip}


def has_encrypted(value: Any) -> bool:
    """True if ``value`` holds an encrypted secret anywhere."""
    if isinstance(value, EncryptedValue):
        return True
    if isinstance(value, Secret):
        return has_encrypted(value.value)
    if isinstance(value, dict):
        return any(has_encrypted(v) for v in value.values())
    if isinstance(value, list):
        return any(has_encrypted(v) for v in value)
    return False


_MISSING = object()


def assume_unchanged(old: Any, new: Any) -> tuple[Any, int]:
    """``old`` with each encrypted secret replaced by ``new``'s value at the same path.

    Offline, an encrypted value cannot be compared with the program's: the plan assumes it is
    unchanged. Returns the value and how many secrets were assumed so. Encrypted values with no
    counterpart in ``new`` are kept (they show as removed, masked).
    """
    if isinstance(old, EncryptedValue) or (
        isinstance(old, Secret) and isinstance(old.value, EncryptedValue)
    ):
        if new is _MISSING:
            return old, 0
        return (new if isinstance(new, Secret) else Secret(new)), 1
    if isinstance(old, Secret):
        inner = new.value if isinstance(new, Secret) else new
        value, count = assume_unchanged(old.value, inner)
        return Secret(value), count
    if isinstance(old, dict):
        counterpart = new if isinstance(new, dict) else {}
        out, total = {}, 0
        for key, item in old.items():
            out[key], count = assume_unchanged(item, counterpart.get(key, _MISSING))
            total += count
        return out, total
    if isinstance(old, list):
        others = new if isinstance(new, list) else []
        items, total = [], 0
        for i, item in enumerate(old):
            value, count = assume_unchanged(item, others[i] if i < len(others) else _MISSING)
            items.append(value)
            total += count
        return items, total
    return old, 0


def without_encrypted(value: Any) -> Any:
    """``value`` with each encrypted secret as ``Secret(UNKNOWN)``: what a program may read."""
    if isinstance(value, EncryptedValue):
        return UNKNOWN
    if isinstance(value, Secret):
        return Secret(without_encrypted(value.value))
    if isinstance(value, dict):
        return {k: without_encrypted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_encrypted(v) for v in value]
    return value


def _read_json(path: Path) -> Any:
    if path.name.endswith(".zst"):
        raise OperationError(
            f"the Pulumi checkpoint {path} is zstd-compressed, which the offline plan cannot "
            "read (plain and gzip-compressed checkpoints are read)"
        )
    try:
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)
        return json.loads(data)
    except (OSError, ValueError, EOFError) as exc:
        raise OperationError(f"cannot read the Pulumi checkpoint {path}: {exc}") from exc


def _asset(value: dict[str, Any]) -> Any:
    import pulumi

    if "path" in value:
        return pulumi.FileAsset(value["path"])
    if "text" in value:
        return pulumi.StringAsset(value["text"])
    if "uri" in value:
        return pulumi.RemoteAsset(value["uri"])
    return {k: v for k, v in value.items() if k != SIG_KEY}


def _archive(value: dict[str, Any]) -> Any:
    import pulumi

    if "assets" in value:
        return pulumi.AssetArchive({k: decode(v) for k, v in value["assets"].items()})
    if "path" in value:
        return pulumi.FileArchive(value["path"])
    if "uri" in value:
        return pulumi.RemoteArchive(value["uri"])
    return {k: v for k, v in value.items() if k != SIG_KEY}


__all__ = [
    "EncryptedValue",
    "PulumiState",
    "assume_unchanged",
    "backend_dir",
    "convert_resource",
    "decode",
    "has_encrypted",
    "pulumi_baseline",
    "read_pulumi_state",
    "stack_file",
    "strip_defaults",
    "without_encrypted",
]
