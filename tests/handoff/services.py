"""Real services on 127.0.0.1 for the stack checks: a password-protected docker-registry,
and kmock with bearer-token authentication and a SelfSubjectAccessReview that answers from
a small RBAC table."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from tests.runtime.emulators import free_port, wait_for_port

REGISTRY_USER = "scientist"
REGISTRY_PASSWORD = "s3cret-pass"


def _bcrypt(password: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt  # libxcrypt's bcrypt: what docker-registry's htpasswd reads

    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))


@contextmanager
def docker_registry(root: Path, *, htpasswd: bool = True) -> Iterator[tuple[int, subprocess.Popen]]:
    """Debian's docker-registry on a free port, with a Basic-auth htpasswd login."""
    binary = shutil.which("docker-registry")
    assert binary, "install Debian's docker-registry: apt-get install docker-registry"
    port = free_port()
    root.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {
        "version": 0.1,
        "log": {"level": "error"},
        "storage": {"filesystem": {"rootdirectory": str(root / "data")}},
        "http": {"addr": f"127.0.0.1:{port}"},
    }
    if htpasswd:
        (root / "htpasswd").write_text(f"{REGISTRY_USER}:{_bcrypt(REGISTRY_PASSWORD)}\n")
        config["auth"] = {"htpasswd": {"realm": "provisioner-test", "path": str(root / "htpasswd")}}
    (root / "config.yml").write_text(yaml.safe_dump(config))
    proc = subprocess.Popen(
        [binary, "serve", str(root / "config.yml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={"PATH": "/usr/bin:/bin"},
    )
    try:
        wait_for_port(port, proc=proc)
        yield port, proc
    finally:
        proc.terminate()
        proc.wait(10)


#: token -> the (namespace, verb, group, resource) it may act on; "*" matches anything.
KUBE_TOKENS: dict[str, set[tuple[str, str, str, str]]] = {
    "can-create-jobs": {("ml", "create", "batch", "jobs")},
    "read-only": {("ml", "get", "batch", "jobs"), ("ml", "list", "batch", "jobs")},
}


def _allowed(token: str, attrs: dict[str, Any]) -> bool:
    want = (
        attrs.get("namespace", ""),
        attrs.get("verb", ""),
        attrs.get("group", ""),
        attrs.get("resource", ""),
    )
    return any(
        all(r in ("*", w) for r, w in zip(rule, want, strict=True))
        for rule in KUBE_TOKENS.get(token, set())
    )


UNAUTHORIZED = {
    "kind": "Status",
    "apiVersion": "v1",
    "status": "Failure",
    "reason": "Unauthorized",
    "message": "Unauthorized",
    "code": 401,
}
#: What a real API server's /version answers (the client rejects a partial one).
VERSION = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.0",
    "gitCommit": "0" * 40,
    "gitTreeState": "clean",
    "buildDate": "2024-08-13T07:28:49Z",
    "goVersion": "go1.22.5",
    "compiler": "gc",
    "platform": "linux/amd64",
}


@contextmanager
def kube_api() -> Iterator[str]:
    """kmock on 127.0.0.1 that demands a known bearer token, serves /version, and answers
    SelfSubjectAccessReviews from :data:`KUBE_TOKENS` as a real API server would."""
    import kmock

    ready = threading.Event()
    box: dict[str, Any] = {}

    def token(request: Any) -> str:
        header = request.headers.get("Authorization", "")
        return header[len("Bearer ") :] if header.startswith("Bearer ") else ""

    def unauthenticated(request: Any) -> bool:
        return token(request) not in KUBE_TOKENS

    async def serve() -> None:
        async with kmock.KubernetesEmulator() as emulator, kmock.Server(emulator) as server:

            def review(request: Any) -> dict[str, Any]:
                # A real API server never stores a review; kmock stores every POST body.
                key = (request.resource, request.namespace, None)
                if key in emulator._objects and not emulator._objects[key].deleted:
                    emulator._objects[key].delete()
                body = request.data
                attrs = body.get("spec", {}).get("resourceAttributes", {})
                allowed = _allowed(token(request), attrs)
                status: dict[str, Any] = {"allowed": allowed}
                if not allowed:
                    status["reason"] = "no RBAC rule allows it"
                return {**body, "status": status}

            emulator[unauthenticated] ** 100 << 401 << UNAUTHORIZED
            emulator["get /version"] ** 50 << VERSION
            emulator["get /version/"] ** 50 << VERSION  # the kubernetes client's path
            ssar = "post /apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
            emulator[ssar] ** 50 << 201 << review
            box["url"] = str(server.url).rstrip("/")
            box["loop"] = asyncio.get_running_loop()
            box["stop"] = asyncio.Event()
            ready.set()
            await box["stop"].wait()

    def main() -> None:
        try:
            asyncio.run(serve())
        except BaseException as exc:  # pragma: no cover - reported through box
            box["error"] = exc
            ready.set()

    thread = threading.Thread(target=main, name="kmock-auth", daemon=True)
    thread.start()
    if not ready.wait(30) or "error" in box:
        raise RuntimeError(f"kmock did not start: {box.get('error')}")
    assert box["url"].startswith("http://127.0.0.1:"), box["url"]
    try:
        yield box["url"]
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(10)


def write_kubeconfig(path: Path, server: str, token: str, context: str = "ml-cluster") -> Path:
    """A kubeconfig with one context that reaches ``server`` with ``token``."""
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": server}}],
                "users": [{"name": "u", "user": {"token": token}}],
                "contexts": [{"name": context, "context": {"cluster": "c", "user": "u"}}],
                "current-context": context,
            }
        )
    )
    return path


@contextmanager
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]
