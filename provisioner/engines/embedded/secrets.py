"""Encryption of the secret values in the embedded engine's state checkpoint.

Each secret value is sealed with AES-256-GCM (random 96-bit nonce per value) under a key
that is specific to one checkpoint: it is derived from a random salt kept in the checkpoint's
``secrets`` header and from either

* the passphrase in ``$PROVISIONER_CONFIG_PASSPHRASE`` (scrypt), or
* a random 256-bit key generated once into ``<home>/keys/state.key`` (HMAC-SHA256).

The header also holds a sealed check value, so a wrong passphrase or key file is told apart
from a damaged value. ``cryptography`` is imported only when a value is sealed or opened.

Format 2 binds each sealed value to where it belongs: the additional authenticated data
holds the stack name, the resource URN and the field path, so a value moved to another
field, resource or stack no longer decrypts. A passphrase must have at least
:data:`MIN_PASSPHRASE` characters, and scrypt costs N=2^17. Format 1 (a constant AAD, scrypt
N=2^15) is still read, and the next write re-encrypts everything in format 2.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from provisioner import home
from provisioner.errors import OperationError

#: Environment variable holding the passphrase; unset or empty means the key file.
ENV_VAR = "PROVISIONER_CONFIG_PASSPHRASE"

PASSPHRASE = "passphrase"
KEY_FILE = "key-file"

#: Version of the header and of each sealed value written now.
FORMAT = 2
#: The previous format: read (to migrate), never written.
LEGACY_FORMAT = 1
#: Fewest characters a passphrase may have for new encryption.
MIN_PASSPHRASE = 12

_SCRYPT = {"n": 2**17, "r": 8, "p": 1}
_KEY_BYTES = 32
_NONCE_BYTES = 12
_LEGACY_AAD = b"provisioner checkpoint secret v1"
_AAD_PREFIX = b"provisioner checkpoint secret v2\0"
_CHECK_CONTEXT = ("<key check>",)
_CHECK = b"provisioner checkpoint key check"
_KEY_INFO = b"provisioner checkpoint key v1"

_derived: dict[tuple[Any, ...], bytes] = {}


def key_path() -> Path:
    """The key file used when no passphrase is set: ``<home>/keys/state.key``."""
    return home.home() / "keys" / "state.key"


class StateCipher:
    """Seals and opens the secret values of one checkpoint.

    Attributes:
        header: what the checkpoint records to derive the key again (never the key itself).
    """

    def __init__(self, key: bytes, header: dict[str, Any], source: bytes) -> None:
        self._key = key
        self._source = source  # a digest of the passphrase or key file, to spot a change
        self.header = header
        self._aead: Any = None

    @property
    def kind(self) -> str:
        return str(self.header["kind"])

    def __repr__(self) -> str:
        return f"StateCipher({self.kind})"

    def _cipher(self) -> Any:
        if self._aead is None:
            try:
                from cryptography.hazmat.primitives.ciphers.aead import AESGCM
            except ImportError as exc:
                raise OperationError(
                    "encrypting the secrets of the state checkpoint needs the 'cryptography' "
                    "package",
                    hint="pip install cryptography",
                ) from exc
            self._aead = AESGCM(self._key)
        return self._aead

    @property
    def legacy(self) -> bool:
        """True for a format-1 header (read to migrate; its values have a constant AAD)."""
        return self.header.get("v") == LEGACY_FORMAT

    def seal_bytes(self, data: bytes, aad: bytes) -> str:
        """``data`` encrypted and authenticated with ``aad``: base64 of nonce, ciphertext, tag."""
        nonce = os.urandom(_NONCE_BYTES)
        return base64.b64encode(nonce + self._cipher().encrypt(nonce, data, aad)).decode()

    def open_bytes(self, token: str, aad: bytes) -> bytes:
        """Inverse of :meth:`seal_bytes`.

        Raises:
            ValueError: ``token`` is malformed or was not sealed with this key and ``aad``.
        """
        from cryptography.exceptions import InvalidTag

        try:
            raw = base64.b64decode(token.encode(), validate=True)
        except (binascii.Error, AttributeError) as exc:
            raise ValueError("malformed ciphertext") from exc
        if len(raw) < _NONCE_BYTES + 16:
            raise ValueError("truncated ciphertext")
        try:
            return self._cipher().decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], aad)
        except InvalidTag as exc:
            raise ValueError("ciphertext does not authenticate") from exc

    def seal(self, value: Any, context: tuple[str, ...]) -> dict[str, Any]:
        """The stored form of a secret's JSON value: ``{"ciphertext": ..., "v": 2}``.

        Args:
            value: the JSON form of the secret's value.
            context: where it belongs (stack, resource URN, field path); it must be given
                again to open it.
        """
        data = json.dumps(value, separators=(",", ":")).encode()
        return {"ciphertext": self.seal_bytes(data, _aad(context)), "v": FORMAT}

    def open(self, stored: Any, context: tuple[str, ...]) -> Any:
        """Inverse of :meth:`seal`, for a value sealed for ``context``.

        A format-1 value (constant AAD) opens only under a format-1 header: once a checkpoint
        is written in format 2, an old value pasted into it is refused.

        Raises:
            ValueError: ``stored`` is not a sealed value this key opens for ``context``.
        """
        if not isinstance(stored, dict):
            raise ValueError("not a sealed value")
        version = stored.get("v")
        if version == FORMAT and not self.legacy:
            aad = _aad(context)
        elif version == LEGACY_FORMAT and self.legacy:
            aad = _LEGACY_AAD
        else:
            raise ValueError(
                f"a sealed value of format {version!r} under a format "
                f"{self.header.get('v')!r} header"
            )
        return json.loads(self.open_bytes(stored.get("ciphertext"), aad))

    def fits(self, kind: str, source: bytes) -> bool:
        """True if this cipher's key comes from ``source`` of the given kind."""
        return self.kind == kind and hmac.compare_digest(self._source, source)


# -- writing --------------------------------------------------------------------------------


def cipher_for_write(current: StateCipher | None) -> StateCipher:
    """The cipher to write a checkpoint with.

    The passphrase if ``$PROVISIONER_CONFIG_PASSPHRASE`` is set, else the key file (created on
    first use). ``current`` (the cipher the checkpoint was read or last written with) is kept
    while it matches, so its salt and derived key are reused; otherwise a new salt is drawn.
    """
    passphrase = _passphrase()
    if passphrase is not None:
        kind, material = PASSPHRASE, passphrase
    else:
        kind, material = KEY_FILE, _load_or_create_key()
    source = _digest(material)
    if current is not None and current.fits(kind, source):
        if not current.legacy:
            return current
    elif kind == PASSPHRASE and len(material.decode(errors="replace")) < MIN_PASSPHRASE:
        # (a stack already encrypted with a short one stays readable and writable with it)
        raise OperationError(
            f"{ENV_VAR} is too short to protect the state: use at least "
            f"{MIN_PASSPHRASE} characters",
            hint=f"choose a longer passphrase (or unset {ENV_VAR} to use the key file "
            f"{key_path()})",
        )
    salt = os.urandom(16)
    header: dict[str, Any] = {"v": FORMAT, "kind": kind, "salt": _b64(salt)}
    if kind == PASSPHRASE:
        header.update(kdf="scrypt", **_SCRYPT)
    cipher = StateCipher(_derive(header, material, salt), header, source)
    header["check"] = cipher.seal_bytes(_CHECK, _aad(_CHECK_CONTEXT))
    return cipher


def _load_or_create_key() -> bytes:
    """The key file's key; a new random one is written (0600, folder 0700) if none exists."""
    path = key_path()
    key = _read_key(path)
    if key is not None:
        return key
    home.make_dirs(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".state-key-", suffix=".tmp")
    try:
        os.write(fd, base64.b64encode(os.urandom(_KEY_BYTES)) + b"\n")
        os.fsync(fd)
        os.close(fd)
        fd = -1
        # link, not rename: if another process made a key meanwhile, keep that one.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    except OSError as exc:
        raise OperationError(f"cannot create the state key file {path}: {exc}") from exc
    finally:
        if fd >= 0:
            os.close(fd)
        Path(tmp).unlink(missing_ok=True)
    key = _read_key(path)
    if key is None:
        raise OperationError(f"the state key file {path} vanished while it was being created")
    return key


# -- reading --------------------------------------------------------------------------------


def cipher_for_read(header: Any, where: Path) -> StateCipher:
    """The cipher that opens the secrets of the checkpoint at ``where``, checked against its
    header.

    Raises:
        OperationError: the header is unknown, or the passphrase or key file it needs is
            missing or is not the one the secrets were encrypted with.
    """
    if not isinstance(header, dict) or header.get("v") not in (FORMAT, LEGACY_FORMAT):
        version = header.get("v") if isinstance(header, dict) else header
        raise OperationError(
            f"the secrets in the state checkpoint {where} use encryption format {version!r}; "
            f"this provisioner reads formats {LEGACY_FORMAT} and {FORMAT}",
            hint="Upgrade provisioner to read this state.",
        )
    kind = header.get("kind")
    if kind == PASSPHRASE:
        material = _passphrase()
        if material is None:
            raise OperationError(
                f"the state checkpoint {where} holds secrets encrypted with a passphrase, "
                f"and {ENV_VAR} is not set",
                hint=f"Set {ENV_VAR} to the passphrase the stack was deployed with.",
            )
        wrong = (
            f"cannot decrypt the secrets in the state checkpoint {where}: {ENV_VAR} is not "
            "the passphrase they were encrypted with"
        )
        hint = f"Set {ENV_VAR} to the passphrase the stack was deployed with."
    elif kind == KEY_FILE:
        path = key_path()
        material = _read_key(path)
        if material is None:
            raise OperationError(
                f"the state checkpoint {where} holds secrets encrypted with the key file "
                f"{path}, which does not exist",
                hint=(
                    "Restore that file (for example from a backup of the provisioner home), "
                    f"or set {ENV_VAR} if the stack was deployed with a passphrase."
                ),
            )
        wrong = (
            f"cannot decrypt the secrets in the state checkpoint {where}: the key file {path} "
            "is not the key they were encrypted with"
        )
        hint = (
            "Restore the key file this stack was deployed with (was it replaced, or does the "
            "checkpoint come from another machine?)."
        )
    else:
        raise OperationError(
            f"the secrets in the state checkpoint {where} use an unknown key kind {kind!r}",
            hint="Upgrade provisioner to read this state.",
        )
    try:
        salt = base64.b64decode(str(header["salt"]), validate=True)
        cipher = StateCipher(_derive(header, material, salt), dict(header), _digest(material))
        check = header["check"]
        if not isinstance(check, str):
            raise TypeError("check value is not a string")
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise OperationError(
            f"the secrets header of the state checkpoint {where} is damaged"
        ) from exc
    try:
        aad = _LEGACY_AAD if cipher.legacy else _aad(_CHECK_CONTEXT)
        ok = cipher.open_bytes(check, aad) == _CHECK
    except ValueError:
        ok = False
    if not ok:
        raise OperationError(wrong, hint=hint)
    return cipher


def _read_key(path: Path) -> bytes | None:
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OperationError(f"cannot read the state key file {path}: {exc}") from exc
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        key = b""
    if len(key) != _KEY_BYTES:
        raise OperationError(
            f"the state key file {path} is damaged: it must hold a base64 {_KEY_BYTES}-byte key"
        )
    return key


# -- keys -----------------------------------------------------------------------------------


def _aad(context: tuple[str, ...]) -> bytes:
    """The additional data that binds a sealed value to its place."""
    return _AAD_PREFIX + json.dumps(list(context), separators=(",", ":")).encode()


def _passphrase() -> bytes | None:
    value = os.environ.get(ENV_VAR)
    return value.encode() if value else None


def _digest(material: bytes) -> bytes:
    return hashlib.sha256(b"provisioner key source\0" + material).digest()


def _derive(header: dict[str, Any], material: bytes, salt: bytes) -> bytes:
    """The checkpoint key: scrypt of the passphrase, or HMAC-SHA256 of the key file's key."""
    if len(salt) < 16:
        raise ValueError("salt too short")
    if header["kind"] == KEY_FILE:
        return hmac.new(material, _KEY_INFO + salt, hashlib.sha256).digest()
    if header.get("kdf") != "scrypt":
        raise ValueError(f"unknown key derivation {header.get('kdf')!r}")
    n, r, p = (int(header[k]) for k in ("n", "r", "p"))
    memory = 128 * r * (n + p + 2)
    if not (n >= 2 and n & (n - 1) == 0 and r >= 1 and 1 <= p <= 16 and memory <= 2**28):
        raise ValueError("scrypt parameters out of range")
    cache_key = (_digest(material), salt, n, r, p)
    key = _derived.get(cache_key)
    if key is None:
        key = hashlib.scrypt(material, salt=salt, n=n, r=r, p=p, maxmem=memory + 2**16, dklen=32)
        _derived[cache_key] = key
    return key


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
