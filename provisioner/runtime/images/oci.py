"""A small OCI distribution API client: blobs and manifests over plain HTTP calls.

Enough to append layers to an image that is already in a registry (as ``crane append``,
``ko`` and ``jib`` do): read the base manifest and config, upload the new layers (or mount
the base's from another repository), and put a new manifest under a tag. Answers ``Basic``
and ``Bearer`` challenges; plain HTTP only for a registry on this machine.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

from provisioner.errors import OperationError
from provisioner.runtime.orchestrators.image_digest import ACCEPT, is_loopback

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEXES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
#: The layer media type that goes with each manifest media type.
LAYER_TYPE = {
    OCI_MANIFEST: "application/vnd.oci.image.layer.v1.tar+gzip",
    DOCKER_MANIFEST: "application/vnd.docker.image.rootfs.diff.tar.gzip",
}
CONFIG_TYPE = {
    OCI_MANIFEST: "application/vnd.oci.image.config.v1+json",
    DOCKER_MANIFEST: "application/vnd.docker.container.image.v1+json",
}
_PARAM = re.compile(r'(\w+)="([^"]*)"')
_CHUNK = 1 << 20


class RegistryError(OperationError):
    """The registry cannot be reached, refuses, or answers something unusable."""


@dataclass(frozen=True)
class Manifest:
    """A manifest as the registry serves it: raw bytes, media type and digest."""

    raw: bytes
    media_type: str
    digest: str

    @property
    def data(self) -> dict:
        return json.loads(self.raw)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class RegistryClient:
    """One registry (``host[:port]``), with optional ``(username, password)`` credentials.

    Args:
        registry: ``host[:port]``; plain HTTP when it is on this machine, else HTTPS.
        credentials: for ``Basic`` auth, or to get ``Bearer`` tokens from the registry's realm.
        timeout: seconds per request.
    """

    def __init__(
        self, registry: str, credentials: tuple[str, str] | None = None, timeout: float = 60.0
    ) -> None:
        self.registry = registry
        self.credentials = credentials
        self.timeout = timeout
        self.base = f"{'http' if is_loopback(registry) else 'https'}://{registry}"
        self._auth: dict[str, str] = {}  # scope -> Authorization header

    # -- blobs ------------------------------------------------------------------------------

    def has_blob(self, repo: str, digest: str) -> bool:
        status, _, _ = self._call("HEAD", f"/v2/{repo}/blobs/{digest}", repo)
        return status == 200

    def get_blob(self, repo: str, digest: str) -> bytes:
        status, _, body = self._call("GET", f"/v2/{repo}/blobs/{digest}", repo)
        self._expect(status, 200, f"read blob {digest[:19]} of {repo}")
        if sha256(body) != digest:
            raise RegistryError(f"registry {self.registry}: blob {digest} has a different digest")
        return body

    def mount_blob(self, repo: str, digest: str, source: str) -> bool:
        """Mount ``digest`` from repository ``source`` into ``repo``; False if refused."""
        query = urllib.parse.urlencode({"mount": digest, "from": source})
        status, _, _ = self._call(
            "POST", f"/v2/{repo}/blobs/uploads/?{query}", repo, push=True, pull_from=source
        )
        return status == 201

    def push_blob(
        self, repo: str, digest: str, path: Path | None = None, data: bytes = b""
    ) -> bool:
        """Upload a blob (from ``path`` or ``data``) unless ``repo`` has it; True if uploaded."""
        if self.has_blob(repo, digest):
            return False
        status, headers, _ = self._call("POST", f"/v2/{repo}/blobs/uploads/", repo, push=True)
        self._expect(status, 202, f"start an upload to {repo}")
        location = urllib.parse.urljoin(self.base, headers.get("Location") or "")
        sep = "&" if "?" in location else "?"
        url = f"{location}{sep}{urllib.parse.urlencode({'digest': digest})}"
        body = path.read_bytes() if path is not None else data
        status, _, _ = self._call(
            "PUT",
            url,
            repo,
            push=True,
            body=body,
            headers={"Content-Type": "application/octet-stream"},
        )
        self._expect(status, 201, f"upload blob {digest[:19]} to {repo}")
        return True

    # -- manifests --------------------------------------------------------------------------

    def get_manifest(self, repo: str, ref: str, platform: str = "linux/amd64") -> Manifest | None:
        """The image manifest of ``ref`` (a tag or digest), an index resolved to
        ``platform``; None if there is no such tag."""
        status, headers, body = self._call("GET", f"/v2/{repo}/manifests/{ref}", repo)
        if status == 404:
            return None
        self._expect(status, 200, f"read manifest {repo}:{ref}")
        media = (headers.get("Content-Type") or "").split(";")[0].strip()
        data = json.loads(body)
        media = data.get("mediaType") or media
        if media in INDEXES:
            os_, arch = platform.split("/", 1)
            for entry in data.get("manifests", []):
                plat = entry.get("platform") or {}
                if plat.get("os") == os_ and plat.get("architecture") == arch:
                    return self.get_manifest(repo, entry["digest"], platform)
            raise RegistryError(f"image {self.registry}/{repo}:{ref} has no {platform} variant")
        if media not in LAYER_TYPE:
            raise RegistryError(f"image {self.registry}/{repo}:{ref}: unsupported manifest {media}")
        return Manifest(body, media, sha256(body))

    def has_manifest(self, repo: str, ref: str) -> str | None:
        """The digest of ``repo:ref`` if the registry has it (a HEAD request), else None."""
        status, headers, _ = self._call("HEAD", f"/v2/{repo}/manifests/{ref}", repo)
        if status != 200:
            return None
        digest = headers.get("Docker-Content-Digest")
        if digest:
            return digest
        manifest = self.get_manifest(repo, ref)
        return manifest.digest if manifest else None

    def put_manifest(self, repo: str, ref: str, raw: bytes, media_type: str) -> str:
        """Store a manifest under ``ref``; its digest."""
        status, _, body = self._call(
            "PUT",
            f"/v2/{repo}/manifests/{ref}",
            repo,
            push=True,
            body=raw,
            headers={"Content-Type": media_type},
        )
        self._expect(status, 201, f"put manifest {repo}:{ref}", body)
        return sha256(raw)

    # -- HTTP -------------------------------------------------------------------------------

    def _expect(self, status: int, want: int, what: str, body: bytes = b"") -> None:
        if status == want:
            return
        why = {401: "credentials refused", 403: "not allowed", 404: "not found"}.get(
            status, f"HTTP {status}"
        )
        detail = body[:300].decode(errors="replace").strip()
        raise RegistryError(
            f"registry {self.registry}: cannot {what}: {why}" + (f" ({detail})" if detail else ""),
            hint="check the container registry's uri and credentials in the stack config",
        )

    def _call(
        self,
        method: str,
        path: str,
        repo: str,
        *,
        push: bool = False,
        pull_from: str | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Message, bytes]:
        url = path if path.startswith(("http://", "https://")) else self.base + path
        scope = f"repository:{repo}:{'pull,push' if push else 'pull'}"
        if pull_from:
            scope += f" repository:{pull_from}:pull"
        hdrs = {"Accept": ACCEPT, **(headers or {}), **self._auth_for(scope)}
        status, resp_headers, data = self._request(method, url, hdrs, body)
        if status == 401:
            auth = self._answer(resp_headers.get("WWW-Authenticate") or "", scope)
            self._auth[scope] = auth
            hdrs.update(Authorization=auth)
            status, resp_headers, data = self._request(method, url, hdrs, body)
        return status, resp_headers, data

    def _auth_for(self, scope: str) -> dict[str, str]:
        value = self._auth.get(scope)
        return {"Authorization": value} if value else {}

    def _answer(self, challenge: str, scope: str) -> str:
        kind = challenge.split(" ", 1)[0].lower()
        params = dict(_PARAM.findall(challenge))
        if kind == "basic":
            if self.credentials is None:
                raise RegistryError(
                    f"registry {self.registry} needs credentials, and the stack's container "
                    "registry names none",
                    hint="name a credentials_file in the container registry's config",
                )
            return f"Basic {_basic(self.credentials)}"
        if kind == "bearer" and params.get("realm"):
            return f"Bearer {self._token(params, scope)}"
        raise RegistryError(
            f"registry {self.registry} asks for an unsupported authentication "
            f"({challenge or 'no WWW-Authenticate header'})"
        )

    def _token(self, params: dict[str, str], scope: str) -> str:
        realm = params["realm"]
        parts = urllib.parse.urlsplit(realm)
        if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback(parts.netloc)):
            raise RegistryError(
                f"registry {self.registry} sends its token realm {realm!r} over plain HTTP off "
                "this machine; credentials are never sent there"
            )
        query = [("scope", s) for s in scope.split(" ")]
        if params.get("service"):
            query.append(("service", params["service"]))
        url = f"{realm}{'&' if '?' in realm else '?'}{urllib.parse.urlencode(query)}"
        hdrs = {"Authorization": f"Basic {_basic(self.credentials)}"} if self.credentials else {}
        status, _, body = self._request("GET", url, hdrs, None)
        self._expect(status, 200, f"get a token from {realm}")
        try:
            data = json.loads(body)
            token = data.get("token") or data.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise RegistryError(f"the token service {realm} of {self.registry} gave no token")
        return token

    def _request(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, Message, bytes]:
        req = urllib.request.Request(url, data=body, method=method)
        for key, value in headers.items():
            if key == "Authorization":  # never forwarded on a redirect
                req.add_unredirected_header(key, value)
            else:
                req.add_header(key, value)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, exc.headers, exc.read()
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RegistryError(
                f"cannot reach registry {self.registry} ({reason})",
                hint="start the registry (`provisioner stack deploy`) or check the network",
            ) from None


def _basic(credentials: tuple[str, str] | None) -> str:
    assert credentials is not None
    return base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()


Progress = Callable[[str], None]
