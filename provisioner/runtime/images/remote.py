"""What the cloud image builders (Cloud Build, ACR Tasks) share: the build context as a
reproducible tar.gz, its upload to the stack's artifact store, the registry look-up that
skips a tag already pushed, and JSON calls to a cloud's REST API with a bearer token.

The context is the same as CodeBuild's (:mod:`provisioner.runtime.images.context`).
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

from provisioner.catalog.types import ComponentType
from provisioner.errors import OperationError, UserInputError
from provisioner.runtime.images import inputs
from provisioner.runtime.images.context import context_entries
from provisioner.runtime.images.login import push_credentials
from provisioner.runtime.images.oci import RegistryClient
from provisioner.runtime.stores.endpoints import is_loopback

if TYPE_CHECKING:
    from provisioner.runtime.stores.base import ArtifactStore
    from provisioner.stackconfig import StackConfig

#: Docker's official Python image, which both clouds' builders can pull.
DEFAULT_BASE = "python:{python}-slim"


def extras(config: dict[str, Any], cloud: str) -> dict[str, Any]:
    """A connection's cloud-specific keys: ``config[cloud]`` over the top level (older stack
    configs carry them at the top)."""
    sub = config.get(cloud)
    return {**config, **(sub if isinstance(sub, dict) else {})}


def context_tar(ins: inputs.BuildInputs, base: str) -> bytes:
    """The build context as a reproducible ``.tar.gz`` (what Cloud Build's storage source and
    ACR's ``sourceLocation`` take)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in context_entries(ins, base):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 1735689600  # 2025-01-01
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def source_store(stack: StackConfig, source_uri: str) -> ArtifactStore:
    """The stack's artifact store, opened at ``source_uri`` (same endpoints and auth)."""
    from provisioner.runtime.stores.factory import open_store
    from provisioner.stackconfig import ComponentConnection

    comp = stack.component(ComponentType.ARTIFACT_STORE)
    if comp is None:
        raise UserInputError(
            f"stack {stack.name!r}: the image builder uploads build contexts to the artifact "
            "store, and the stack has none",
            hint="add an artifact_store to the stack",
        )
    scheme = source_uri.split("://", 1)[0]
    store_scheme = str(comp.config.get("uri") or "").split("://", 1)[0]
    if scheme != store_scheme:
        raise UserInputError(
            f"stack {stack.name!r}: image_builder.config.source_uri is {source_uri!r}, but the "
            f"artifact store is {store_scheme}://; expected a {store_scheme}:// URI"
        )
    components = dict(stack.components)
    components[ComponentType.ARTIFACT_STORE] = ComponentConnection(
        flavor=comp.flavor, config={**comp.config, "uri": source_uri}
    )
    return open_store(stack.model_copy(update={"components": components}))


def repository(stack: StackConfig, builder: str, add: str) -> str:
    """``registry/repository`` of the stack's container registry.

    Raises:
        UserInputError: the stack has none, or it names no repository.
    """
    comp = stack.component(ComponentType.CONTAINER_REGISTRY)
    uri = str(comp.config.get("uri") or "") if comp else ""
    if "/" not in uri:
        raise UserInputError(
            f"stack {stack.name!r}: the {builder} image builder pushes to the stack's "
            "container registry repository, and the stack has none",
            hint=f"add a container_registry ({add}) to the stack",
        )
    return uri


def registry_digest(stack: StackConfig, image_repo: str, tag: str) -> str | None:
    """The digest of ``image_repo:tag`` if the registry holds it, else None."""
    registry, repo = image_repo.split("/", 1)
    client = RegistryClient(registry, push_credentials(stack, registry))
    return client.has_manifest(repo, tag)


class RestError(OperationError):
    """A cloud REST API answered an error."""

    def __init__(self, message: str, status: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


def call(
    method: str,
    url: str,
    *,
    token: str | None,
    body: Any = None,
    what: str,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """One JSON call; its decoded answer (see :func:`exchange`)."""
    return exchange(method, url, token=token, body=body, what=what, timeout=timeout)[2]


def exchange(
    method: str,
    url: str,
    *,
    token: str | None,
    body: Any = None,
    what: str,
    timeout: float = 60.0,
) -> tuple[int, dict[str, str], dict[str, Any]]:
    """One JSON call; its status, headers and decoded answer.

    Raises:
        RestError: an HTTP error (Google's ``{"error": {"message"}}`` and Azure's
            ``{"error": {"code", "message"}}`` bodies are both read), or no connection.
    """
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            status, headers = resp.status, dict(resp.headers.items())
    except urllib.error.HTTPError as exc:
        detail = _error_text(exc.read())
        hint = None
        if exc.code in (401, 403):
            hint = "check the identity you run as may use the builder (the recipe grants it)"
        raise RestError(f"cannot {what}: HTTP {exc.code}: {detail}", exc.code, hint=hint) from None
    except OSError as exc:
        raise RestError(f"cannot {what}: {exc}", 0) from None
    try:
        return status, headers, (json.loads(raw) if raw.strip() else {})
    except ValueError:
        raise RestError(f"cannot {what}: the answer is not JSON: {raw[:200]!r}", 0) from None


def _error_text(raw: bytes) -> str:
    try:
        err = json.loads(raw).get("error")
    except (ValueError, AttributeError):
        return raw[:300].decode(errors="replace") or "no body"
    if isinstance(err, dict):
        code = err.get("code") if isinstance(err.get("code"), str) else err.get("status")
        return f"{code + ': ' if code else ''}{err.get('message') or ''}".strip()
    return str(err)


def anonymous(stack: StackConfig, endpoint: str | None, cloud: str) -> bool:
    """Whether to call without a cloud token: only a loopback endpoint override (a local
    stand-in) on a stack whose auth method is not one of ``cloud``'s (``gcp-*``,
    ``azure-*``)."""
    if not endpoint or stack.auth.method.startswith(f"{cloud}-"):
        return False
    return is_loopback(urllib.parse.urlsplit(str(endpoint)).hostname or "")
