"""Which endpoint overrides from a stack config the runtime honours.

A stack config is a file someone hands you. An endpoint override in it (``endpoints.s3``,
``endpoint_url``, an Azure ``account_url``) decides where the runtime sends requests signed
with *your* credentials. So the file alone may only point at this machine (loopback: MinIO,
moto, Azurite); any other host must be trusted by the reader, in
``$PROVISIONER_TRUSTED_ENDPOINTS`` (comma-separated host names, ``host:port`` or ``*``), and
plain ``http://`` is refused off loopback whatever the reader says. Azure account URLs must
be on a cloud's blob domain (``<account>.blob.core.windows.net``, ...) unless trusted likewise.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from provisioner.errors import UserInputError

if TYPE_CHECKING:
    from provisioner.stackconfig import StackConfig

#: The reader's own list of endpoint hosts (or host:port, or ``*``) it trusts off loopback.
TRUST_ENV = "PROVISIONER_TRUSTED_ENDPOINTS"

#: Blob service domains of the Azure clouds (public, China, US Government).
AZURE_BLOB_DOMAINS = (
    ".blob.core.windows.net",
    ".blob.core.chinacloudapi.cn",
    ".blob.core.usgovcloudapi.net",
)


class EndpointRefusedError(UserInputError):
    """An endpoint from a stack config that this reader does not send credentials to."""


@dataclass(frozen=True)
class Endpoint:
    """An endpoint override in effect.

    Attributes:
        url: the URL requests go to.
        source: where it came from (``endpoints.s3``, ``artifact_store.config.endpoint_url``).
    """

    url: str
    source: str

    def describe(self) -> str:
        """``http://127.0.0.1:9000 (from endpoints.s3)``."""
        return f"{self.url} (from {self.source})"


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine: ``localhost`` or a loopback IP literal."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _trusted(host: str, port: int | None) -> bool:
    entries = {e.strip().lower() for e in os.environ.get(TRUST_ENV, "").split(",") if e.strip()}
    return "*" in entries or host in entries or (port is not None and f"{host}:{port}" in entries)


def check_endpoint(url: str, source: str, *, azure_blob: bool = False) -> Endpoint:
    """The override ``url`` if this reader may send credentials there.

    Args:
        url: the endpoint URL from the stack config.
        source: where it came from, for messages.
        azure_blob: an Azure account URL (must be on a blob domain unless trusted).

    Raises:
        EndpointRefusedError: not http(s), plain http off loopback, or a host off loopback
            that the reader has not trusted (or, for Azure, not on a blob domain).
    """
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        host, port, parts = "", None, None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise EndpointRefusedError(
            f"{source}: {url!r} is not an http(s) URL with a host",
        )
    if is_loopback(host):
        return Endpoint(url, source)
    if parts.scheme == "http":
        raise EndpointRefusedError(
            f"{source}: {url} is plain http to another machine; your credentials would be "
            "sent unencrypted, so it is refused",
            hint="use an https:// endpoint",
        )
    if azure_blob and host.endswith(AZURE_BLOB_DOMAINS):
        return Endpoint(url, source)
    if _trusted(host, port):
        return Endpoint(url, source)
    what = "is not an Azure blob domain" if azure_blob else "is an endpoint override"
    raise EndpointRefusedError(
        f"{source}: {host} {what} from the stack config; provisioner would send your cloud "
        "credentials there, and a stack config alone cannot decide that",
        hint=f"if you trust {host}, add it to ${TRUST_ENV} (comma-separated hosts)",
    )


def store_endpoint(stack: StackConfig) -> Endpoint | None:
    """The checked endpoint override of the stack's artifact store, if it has one.

    Raises:
        EndpointRefusedError: see :func:`check_endpoint`.
    """
    from provisioner.catalog.types import ComponentType
    from provisioner.runtime.stores.factory import store_uri

    comp = stack.component(ComponentType.ARTIFACT_STORE)
    if comp is None:
        return None
    scheme = store_uri(stack).split("://", 1)[0]
    keys = {
        "s3": ("s3", "endpoint_url"),
        "gs": ("gcs", "endpoint_url"),
        "az": ("azure_blob", "account_url"),
    }
    if scheme not in keys:
        return None
    override, field = keys[scheme]
    if stack.endpoints.get(override):
        url, source = stack.endpoints[override], f"endpoints.{override}"
    elif comp.config.get(field):
        url, source = str(comp.config[field]), f"artifact_store.config.{field}"
    elif scheme == "az" and isinstance(comp.config.get("azure"), dict):
        # What azure-recipe writes: the account's own endpoint, under the Azure extras.
        url = comp.config["azure"].get("account_url")
        if not url:
            return None
        url, source = str(url), f"artifact_store.config.azure.{field}"
    else:
        return None
    return check_endpoint(url, source, azure_blob=scheme == "az")
