"""Pin a tag-addressed image to its manifest digest (OCI distribution spec ``HEAD``), so
every step of a run uses the same image even if the tag moves mid-run."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message

from provisioner.errors import OperationError, UserInputError

#: The manifest media types a tag may point at (single image or multi-platform index).
ACCEPT = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
OFF_HINT = "or set the orchestrator's `pin_image_digest: false` to run on the tag unpinned"
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_PARAM = re.compile(r'(\w+)="([^"]*)"')
_DOCKER_HUB = "registry-1.docker.io"


class ImagePinError(OperationError):
    """The registry cannot be reached, or refuses to say which digest a tag points at."""


@dataclass(frozen=True)
class ImageRef:
    """An image reference split into its parts; ``name`` is the reference as written,
    without tag or digest."""

    name: str
    registry: str
    repository: str
    tag: str | None
    digest: str | None

    def pinned(self, digest: str) -> str:
        """``name@digest``: the image by digest (the tag is dropped)."""
        return f"{self.name}@{digest}"


def parse_ref(ref: str) -> ImageRef:
    """Split ``ref``: a first component with ``.``, ``:`` or ``localhost`` is the registry
    (else Docker Hub); no tag and no digest means ``latest``.

    Raises:
        UserInputError: a digest that is not ``sha256:`` and 64 hex digits.
    """
    name, _, digest = ref.partition("@")
    if digest and not _DIGEST.fullmatch(digest):
        raise UserInputError(f"image {ref!r}: the digest must be sha256: and 64 hex digits")
    tag = None
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    first, _, rest = name.partition("/")
    if rest and first in ("docker.io", "index.docker.io"):
        registry, repository = _DOCKER_HUB, rest if "/" in rest else f"library/{rest}"
    elif rest and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, rest
    else:
        registry, repository = _DOCKER_HUB, name if "/" in name else f"library/{name}"
    if not digest and not tag:
        tag = "latest"
    return ImageRef(name, registry, repository, tag, digest or None)


def is_loopback(registry: str) -> bool:
    """Whether ``registry`` (``host[:port]``) is this machine."""
    host = urllib.parse.urlsplit(f"//{registry}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_digest(ref: ImageRef, credentials: tuple[str, str] | None, timeout: float) -> str:
    """The digest the registry serves for ``ref``'s tag: ``HEAD /v2/<name>/manifests/<tag>``,
    answering a ``Basic`` or ``Bearer`` challenge with ``credentials``. Plain HTTP only for a
    loopback registry.

    Raises:
        ImagePinError: the registry cannot be reached, refuses, or names no digest.
    """
    scheme = "http" if is_loopback(ref.registry) else "https"
    url = f"{scheme}://{ref.registry}/v2/{ref.repository}/manifests/{ref.tag}"
    what = f"image {ref.name}:{ref.tag}"
    auth: dict[str, str] = {}
    status, headers, _ = _request("HEAD", url, auth, timeout, what)
    if status == 401:
        auth = _answer(headers.get("WWW-Authenticate") or "", ref, credentials, timeout, what)
        status, headers, _ = _request("HEAD", url, auth, timeout, what)
    digest = headers.get("Docker-Content-Digest") or ""
    if status == 200 and not _DIGEST.fullmatch(digest):  # not every registry sends it
        status, _, body = _request("GET", url, auth, timeout, what)
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
    if status == 401:
        raise ImagePinError(
            f"cannot pin {what} to a digest: registry {ref.registry} refused the credentials (401)",
            hint=f"check the container registry's credentials, {OFF_HINT}",
        )
    if status != 200:
        why = "no such image or tag" if status == 404 else f"HTTP {status}"
        todo = "push the image first" if status == 404 else "check the registry and its rights"
        raise ImagePinError(
            f"cannot pin {what} to a digest: registry {ref.registry} answered {why}",
            hint=f"{todo}, {OFF_HINT}",
        )
    return digest


def _answer(
    challenge: str,
    ref: ImageRef,
    credentials: tuple[str, str] | None,
    timeout: float,
    what: str,
) -> dict[str, str]:
    """The ``Authorization`` header that answers the registry's ``WWW-Authenticate``."""
    scheme = challenge.split(" ", 1)[0].lower()
    params = dict(_PARAM.findall(challenge))
    if scheme == "basic":
        if credentials is None:
            raise ImagePinError(
                f"cannot pin {what} to a digest: registry {ref.registry} needs credentials, "
                "and the stack's container registry has none for it",
                hint=f"name a credentials_file in the container registry's config, {OFF_HINT}",
            )
        return {"Authorization": f"Basic {_basic(credentials)}"}
    if scheme == "bearer" and params.get("realm"):
        return {"Authorization": f"Bearer {_token(params, ref, credentials, timeout, what)}"}
    raise ImagePinError(
        f"cannot pin {what} to a digest: registry {ref.registry} asks for an unsupported "
        f"authentication ({challenge or 'no WWW-Authenticate header'})",
        hint=OFF_HINT,
    )


def _token(
    params: dict[str, str],
    ref: ImageRef,
    credentials: tuple[str, str] | None,
    timeout: float,
    what: str,
) -> str:
    """A pull token from the challenge's realm (credentials only over https or loopback)."""
    realm = params["realm"]
    parts = urllib.parse.urlsplit(realm)
    secure = parts.scheme == "https" or (
        parts.scheme == "http" and is_loopback(parts.netloc.rsplit("@", 1)[-1])
    )
    if parts.scheme not in ("http", "https") or not secure:
        raise ImagePinError(
            f"cannot pin {what} to a digest: registry {ref.registry} sends its token realm "
            f"{realm!r} over plain HTTP off this machine; credentials are never sent there",
            hint=OFF_HINT,
        )
    query = {"scope": params.get("scope") or f"repository:{ref.repository}:pull"}
    if params.get("service"):
        query["service"] = params["service"]
    url = f"{realm}{'&' if '?' in realm else '?'}{urllib.parse.urlencode(query)}"
    auth = {"Authorization": f"Basic {_basic(credentials)}"} if credentials else {}
    status, _, body = _request("GET", url, auth, timeout, what)
    if status != 200:
        raise ImagePinError(
            f"cannot pin {what} to a digest: the token service {realm} of registry "
            f"{ref.registry} refused ({status})",
            hint=f"check the container registry's credentials, {OFF_HINT}",
        )
    try:
        data = json.loads(body)
        token = data.get("token") or data.get("access_token")
    except (ValueError, AttributeError):
        token = None
    if not isinstance(token, str) or not token:
        raise ImagePinError(
            f"cannot pin {what} to a digest: the token service {realm} gave no token",
            hint=OFF_HINT,
        )
    return token


def _basic(credentials: tuple[str, str] | None) -> str:
    assert credentials is not None
    return base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()


def _request(
    method: str, url: str, headers: dict[str, str], timeout: float, what: str
) -> tuple[int, Message, bytes]:
    """One request; (status, headers (case-insensitive), body). Credentials are never
    forwarded on a redirect."""
    req = urllib.request.Request(url, method=method, headers={"Accept": ACCEPT})
    for key, value in headers.items():
        req.add_unredirected_header(key, value)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers, exc.read()
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        host = urllib.parse.urlsplit(url).netloc
        raise ImagePinError(
            f"cannot pin {what} to a digest: cannot reach registry {host} ({reason})",
            hint=f"start the registry or check the network, {OFF_HINT}",
        ) from None
