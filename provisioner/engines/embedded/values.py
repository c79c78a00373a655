"""Convert property values between the Pulumi wire form, the engine model and JSON."""

from __future__ import annotations

from typing import Any

from provisioner.engines.model import UNKNOWN, Secret, Unknown

PROVIDER_KEY = "__provider"

_SECRET_JSON = "__secret__"
_ASSET_JSON = "__asset__"


def from_rpc(value: Any) -> Any:
    """A deserialized Pulumi property value -> model value (``Secret``, ``UNKNOWN``)."""
    from pulumi.output import Unknown as PulumiUnknown
    from pulumi.runtime import rpc

    if isinstance(value, PulumiUnknown) or value == rpc.UNKNOWN:
        return UNKNOWN
    if rpc.is_rpc_secret(value):
        return Secret(from_rpc(rpc.unwrap_rpc_secret(value)))
    if isinstance(value, dict):
        return {k: from_rpc(v) for k, v in value.items()}
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


def to_json(value: Any) -> Any:
    """A model value -> a JSON-safe value (secrets and assets tagged)."""
    import pulumi

    if isinstance(value, Secret):
        return {_SECRET_JSON: to_json(value.value)}
    if isinstance(value, Unknown):
        raise ValueError("unknown values are never recorded in the state")
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, pulumi.Asset | pulumi.Archive):
        fields = {k: getattr(value, k) for k in ("path", "text", "uri") if hasattr(value, k)}
        return {_ASSET_JSON: type(value).__name__, **fields}
    return value


def from_json(value: Any) -> Any:
    """Inverse of :func:`to_json`."""
    if isinstance(value, dict):
        if _SECRET_JSON in value and len(value) == 1:
            return Secret(from_json(value[_SECRET_JSON]))
        if _ASSET_JSON in value:
            import pulumi

            fields = {k: v for k, v in value.items() if k != _ASSET_JSON}
            return getattr(pulumi, value[_ASSET_JSON])(*fields.values())
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value
