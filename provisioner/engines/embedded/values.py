"""Convert property values between the Pulumi wire form, the engine model and JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from provisioner.engines.model import UNKNOWN, Secret, Unknown

PROVIDER_KEY = "__provider"

_SECRET_JSON = "__secret__"
_ASSET_JSON = "__asset__"

#: Turns the JSON form of a secret's value into what the checkpoint stores, and back; the
#: second argument is the value's path below the property bag it sits in (keys, indexes).
Seal = Callable[[Any, tuple[str, ...]], Any]


class SecretText(str):
    """A string handed around in plain text but stored only encrypted.

    The serialized provider of a dynamic resource is one: the Pulumi SDK marks it secret (by
    default always, else when the provider captured a secret output) and it may then hold
    plaintext secrets, yet providers receive it as a plain string. A secret string is not
    equal to the same plain string, so the state re-records it when its secrecy changes.
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretText) and str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__

    def __repr__(self) -> str:
        return "[secret]"


class Sealed:
    """An encrypted secret read without its key: opaque, it renders as ``[encrypted]``."""

    __slots__ = ("stored",)

    def __init__(self, stored: Any) -> None:
        self.stored = stored

    def __repr__(self) -> str:
        return "[encrypted]"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sealed) and other.stored == self.stored

    def __hash__(self) -> int:
        return hash(repr(self.stored))


def from_rpc(value: Any) -> Any:
    """A deserialized Pulumi property value -> model value (``Secret``, ``UNKNOWN``)."""
    from pulumi.output import Unknown as PulumiUnknown
    from pulumi.runtime import rpc

    if isinstance(value, PulumiUnknown) or value == rpc.UNKNOWN:
        return UNKNOWN
    if rpc.is_rpc_secret(value):
        return Secret(from_rpc(rpc.unwrap_rpc_secret(value)))
    if isinstance(value, dict):
        out = {k: from_rpc(v) for k, v in value.items()}
        blob = out.get(PROVIDER_KEY)
        if isinstance(blob, Secret) and isinstance(blob.value, str):
            out[PROVIDER_KEY] = Secret(SecretText(blob.value))
        return out
    if isinstance(value, list):
        return [from_rpc(v) for v in value]
    return value


def to_rpc(value: Any) -> Any:
    """A model value -> a value ``rpc.serialize_properties`` sends back to the SDK."""
    from pulumi.runtime import rpc

    if isinstance(value, Secret):
        return rpc.wrap_rpc_secret(to_rpc(value.value))
    if isinstance(value, Unknown):
        return rpc.UNKNOWN
    if isinstance(value, dict):
        return {k: to_rpc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_rpc(v) for v in value]
    return value


def plain(value: Any) -> Any:
    """Strip secret wrappers: what a provider receives (Pulumi hands providers plaintext)."""
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def with_pulumi_unknowns(value: Any) -> Any:
    """Replace ``UNKNOWN`` with the SDK's unknown marker, as a provider sees it in a preview."""
    from pulumi.output import Unknown as PulumiUnknown

    if isinstance(value, Unknown):
        return PulumiUnknown()
    if isinstance(value, dict):
        return {k: with_pulumi_unknowns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [with_pulumi_unknowns(v) for v in value]
    return value


def has_unknown(value: Any) -> bool:
    """True if ``value`` holds an unknown anywhere."""
    if isinstance(value, Unknown):
        return True
    if isinstance(value, Secret):
        return has_unknown(value.value)
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False


def mark_secrets(outputs: dict[str, Any], secret_keys: set[str]) -> dict[str, Any]:
    """Wrap the top-level outputs named in ``secret_keys`` as secrets."""
    return {
        k: Secret(v) if k in secret_keys and not isinstance(v, Secret) else v
        for k, v in outputs.items()
    }


def secret_keys(props: dict[str, Any]) -> set[str]:
    """Top-level keys whose value is a secret."""
    return {k for k, v in props.items() if isinstance(v, Secret)}


def to_json(value: Any, seal: Seal | None = None, path: tuple[str, ...] = ()) -> Any:
    """A model value -> a JSON-safe value (secrets and assets tagged).

    Args:
        value: the model value; it must hold no unknowns.
        seal: stores a secret: gets the JSON form of its value (nested secrets tagged in
            plain text) and returns what to keep under the secret tag. Without it the value
            itself is kept (the form inside an encrypted value).
    """
    import pulumi

    if isinstance(value, Secret):
        inner = to_json(value.value)
        return {_SECRET_JSON: inner if seal is None else seal(inner, path)}
    if isinstance(value, Unknown):
        raise ValueError("unknown values are never recorded in the state")
    if isinstance(value, Sealed):
        raise ValueError("a secret read without its key cannot be recorded again")
    if isinstance(value, dict):
        return {k: to_json(v, seal, (*path, str(k))) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v, seal, (*path, str(i))) for i, v in enumerate(value)]
    if isinstance(value, pulumi.Asset | pulumi.Archive):
        fields = {k: getattr(value, k) for k in ("path", "text", "uri") if hasattr(value, k)}
        return {_ASSET_JSON: type(value).__name__, **fields}
    return value


def from_json(value: Any, unseal: Seal | None = None, path: tuple[str, ...] = ()) -> Any:
    """Inverse of :func:`to_json`: ``unseal`` gets what is kept under a secret tag and returns
    the JSON form of the secret's value."""
    if isinstance(value, dict):
        if _SECRET_JSON in value and len(value) == 1:
            stored = value[_SECRET_JSON]
            return Secret(from_json(stored if unseal is None else unseal(stored, path)))
        if _ASSET_JSON in value:
            import pulumi

            fields = {k: v for k, v in value.items() if k != _ASSET_JSON}
            return getattr(pulumi, value[_ASSET_JSON])(*fields.values())
        return {k: from_json(v, unseal, (*path, str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v, unseal, (*path, str(i))) for i, v in enumerate(value)]
    return value


def secret_tagged(value: Any) -> bool:
    """True if the JSON form ``value`` holds a secret tag anywhere."""
    if isinstance(value, dict):
        if _SECRET_JSON in value and len(value) == 1:
            return True
        return any(secret_tagged(v) for v in value.values())
    if isinstance(value, list):
        return any(secret_tagged(v) for v in value)
    return False


def tag_secret(stored: Any) -> dict[str, Any]:
    """``stored`` under the secret tag (as :func:`to_json` writes a secret)."""
    return {_SECRET_JSON: stored}


def untag_secret(value: Any) -> tuple[bool, Any]:
    """(True, what is stored) for a secret-tagged JSON value, else (False, ``value``)."""
    if isinstance(value, dict) and _SECRET_JSON in value and len(value) == 1:
        return True, value[_SECRET_JSON]
    return False, value
