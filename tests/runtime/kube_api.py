"""A strict fake Kubernetes API server on 127.0.0.1: what a real one enforces, in memory.

It validates every request body against the Kubernetes client's own models (unknown fields,
types, required fields) and Kubernetes' name, label and Job rules; it has namespaces,
ServiceAccounts, Secrets, RBAC (``jobs/status`` and ``pods/log`` are separate rights),
Pods, Events, and fault injection (429 with ``Retry-After``, 5xx, slow answers, outages).
The controllers that make Jobs run live in :mod:`tests.runtime.kube_fakes`.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from tests.runtime.kube_rules import OBJECT_KINDS, Invalid, validate_job, validate_object

#: resource plural -> (API group, kind, path prefix)
RESOURCES = {
    "jobs": ("batch", "Job", "/apis/batch/v1"),
    "pods": ("", "Pod", "/api/v1"),
    "events": ("", "Event", "/api/v1"),
    "serviceaccounts": ("", "ServiceAccount", "/api/v1"),
    "secrets": ("", "Secret", "/api/v1"),
    "deployments": ("apps", "Deployment", "/apis/apps/v1"),
    "services": ("", "Service", "/api/v1"),
    "persistentvolumeclaims": ("", "PersistentVolumeClaim", "/api/v1"),
}
ADMIN = "*"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    """An error the server answers with a ``Status`` object."""

    def __init__(self, code: int, reason: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message
        self.headers = headers or {}


@dataclass
class Fault:
    """An injected failure for requests whose ``METHOD path?query`` matches ``pattern``
    (``re.search``); ``status`` 0 only delays the request."""

    pattern: str
    status: int = 500
    times: int = 1
    retry_after: int | None = None
    delay: float = 0.0  # seconds before answering (a slow server)
    lost: bool = False  # the request is carried out, but its answer is this error

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and re.search(self.pattern, f"{method} {path}") is not None


@dataclass
class FakeCluster:
    """The API server's state. Tests set it up through the methods below; the fake
    controllers (job controller, scheduler, kubelet) change it under ``lock``."""

    objects: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)  # bearer token -> user name
    grants: dict[str, set[tuple[str, str, str]]] = field(default_factory=dict)
    quotas: dict[str, list[str]] = field(default_factory=dict)  # ns -> resources needing limits
    faults: list[Fault] = field(default_factory=list)
    outage_until: float = 0.0
    anonymous_admin: bool = True  # like `kubectl proxy`: no credentials, the proxy's rights
    requests: list[tuple[str, str, int]] = field(default_factory=list)
    service_ips: int = 0  # cluster IPs handed out
    proxied: int = 0  # requests proxied to Services (round robin over ready pods)
    logs: dict[tuple[str, str], Any] = field(default_factory=dict)  # (ns, pod) -> () -> text
    lock: threading.RLock = field(default_factory=threading.RLock)

    # -- set-up -----------------------------------------------------------------------------

    def add_namespace(self, name: str, labels: dict[str, str] | None = None) -> None:
        with self.lock:
            self.namespaces[name] = dict(labels or {})
            self.put("serviceaccounts", name, {"metadata": {"name": "default"}})

    def add_service_account(
        self, namespace: str, name: str, annotations: dict[str, str] | None = None
    ) -> None:
        self.put(
            "serviceaccounts",
            namespace,
            {"metadata": {"name": name, "annotations": annotations or {}}},
        )

    def add_secret(self, namespace: str, name: str, data: dict[str, str]) -> None:
        self.put("secrets", namespace, {"metadata": {"name": name}, "stringData": dict(data)})

    def add_user(self, token: str, user: str, rights: list[tuple[str, str, str]]) -> None:
        """A user with a bearer token and ``(namespace, resource, verb)`` rights ("*" = any)."""
        with self.lock:
            self.users[token] = user
            self.grants[user] = set(rights)

    def fail(self, pattern: str, status: int = 500, times: int = 1, **kw: Any) -> Fault:
        fault = Fault(pattern, status, times, **kw)
        with self.lock:
            self.faults.append(fault)
        return fault

    def outage(self, seconds: float) -> None:
        """Drop every connection for ``seconds`` (a control-plane upgrade, a VPN drop)."""
        self.outage_until = time.monotonic() + seconds

    # -- objects ----------------------------------------------------------------------------

    def put(self, resource: str, namespace: str, obj: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            meta = obj.setdefault("metadata", {})
            meta.update(namespace=namespace, uid=meta.get("uid") or str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", now())
            meta["resourceVersion"] = str(time.monotonic_ns())
            self.objects[(resource, namespace, meta["name"])] = obj
            return obj

    def get(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        with self.lock:
            return self.objects.get((resource, namespace, name))

    def delete(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        with self.lock:
            return self.objects.pop((resource, namespace, name), None)

    def items(self, resource: str, namespace: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [
                o
                for (r, ns, _), o in self.objects.items()
                if r == resource and (namespace is None or ns == namespace)
            ]

    def event(self, obj: dict[str, Any], kind: str, reason: str, message: str, warn=True) -> None:
        """Record an Event about ``obj`` (repeats raise its count, as the real recorder does)."""
        meta = obj["metadata"]
        name = f"{meta['name']}.{abs(hash((reason, message))) % 10**12:x}"
        with self.lock:
            old = self.get("events", meta["namespace"], name)
            if old is not None:
                old["count"] += 1
                old["lastTimestamp"] = now()
                return
            self.put(
                "events",
                meta["namespace"],
                {
                    "metadata": {"name": name},
                    "involvedObject": {
                        "kind": kind,
                        "name": meta["name"],
                        "namespace": meta["namespace"],
                        "uid": meta["uid"],
                    },
                    "reason": reason,
                    "message": message,
                    "type": "Warning" if warn else "Normal",
                    "count": 1,
                    "firstTimestamp": now(),
                    "lastTimestamp": now(),
                },
            )

    def events_of(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.items("events") if e["involvedObject"]["name"] == name]

    # -- authorization ----------------------------------------------------------------------

    def user_of(self, headers: Any) -> str:
        auth = headers.get("Authorization") or ""
        if not auth:
            if self.anonymous_admin:
                return ADMIN
            raise ApiError(401, "Unauthorized", "Unauthorized")
        scheme, _, token = auth.partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        if token not in self.users:
            raise ApiError(401, "Unauthorized", "Unauthorized")
        return self.users[token]

    def allowed(self, user: str, namespace: str, resource: str, verb: str) -> bool:
        if user == ADMIN:
            return True
        return any(
            ns in ("*", namespace) and res in ("*", resource) and v in ("*", verb)
            for ns, res, v in self.grants.get(user, ())
        )

    def authorize(self, user: str, namespace: str, resource: str, verb: str, name: str) -> None:
        if self.allowed(user, namespace, resource, verb):
            return
        base = resource.split("/")[0]
        group = RESOURCES.get(base, ("",))[0]
        what = f"{base}.{group}" if group else base
        subject = f'{what} "{name}"' if name else what
        raise ApiError(
            403,
            "Forbidden",
            f'{subject} is forbidden: User "{user}" cannot {verb} resource "{resource}" in API '
            f'group "{group}" in the namespace "{namespace}"',
        )


# -- the HTTP front ---------------------------------------------------------------------------


def _matches(obj: dict[str, Any], selector: str, fields: bool = False) -> bool:
    for term in filter(None, selector.split(",")):
        key, _, value = term.partition("=")
        if fields:
            got: Any = obj
            for part in key.split("."):
                got = (got or {}).get(part) if isinstance(got, dict) else None
        else:
            got = (obj["metadata"].get("labels") or {}).get(key)
        if not _:
            if got is None:
                return False
        elif got != value.lstrip("="):
            return False
    return True


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    cluster: FakeCluster

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def _serve(self, method: str) -> None:
        cluster = self.cluster
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if time.monotonic() < cluster.outage_until:
            self.close_connection = True
            self.connection.close()  # no answer at all: the client sees a dropped connection
            cluster.requests.append((method, url.path, 0))
            return
        extra: dict[str, str] = {}
        try:
            with cluster.lock:
                target = f"{url.path}?{url.query}" if url.query else url.path
                fault = next((f for f in cluster.faults if f.matches(method, target)), None)
                if fault is not None:
                    fault.times -= 1
            if fault is not None:
                time.sleep(fault.delay)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            if fault is not None and fault.lost:
                self._route(method, url.path, query, body, extra)
            if fault is not None and fault.status:
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
                raise ApiError(fault.status, "InjectedFault", "injected fault", headers)
            code, payload = self._route(method, url.path, query, body, extra)
        except ApiError as exc:
            code, payload = exc.code, _status(exc.code, exc.reason, exc.message)
            extra.update(exc.headers)
        cluster.requests.append((method, url.path, code))
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.send_response(code)
        ctype = "text/plain" if isinstance(payload, str) else "application/json"
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _route(
        self, method: str, path: str, query: dict[str, str], body: bytes, extra: dict[str, str]
    ) -> tuple[int, Any]:
        cluster = self.cluster
        user = cluster.user_of(self.headers)
        if path == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews" and method == "POST":
            review = json.loads(body)
            attrs = review["spec"]["resourceAttributes"]
            resource = attrs["resource"] + (
                f"/{attrs['subresource']}" if attrs.get("subresource") else ""
            )
            ok = cluster.allowed(user, attrs.get("namespace", ""), resource, attrs["verb"])
            review["status"] = {"allowed": ok}
            return 201, review
        m = re.fullmatch(r"/api/v1/namespaces/([^/]+)", path)
        if m and method == "GET":
            if m.group(1) not in cluster.namespaces:
                raise ApiError(404, "NotFound", f'namespaces "{m.group(1)}" not found')
            return 200, {"kind": "Namespace", "metadata": {"name": m.group(1)}}
        m = re.fullmatch(r"/api/v1/namespaces/([^/]+)/services/([^/]+)/proxy(/.*)?", path)
        if m:
            ns, target, rest = m.group(1), unquote(m.group(2)), m.group(3) or "/"
            cluster.authorize(
                user, ns, "services/proxy", "create" if method == "POST" else "get", target
            )
            return self._proxy(method, ns, target, rest, body)
        m = re.fullmatch(
            r"(/api/v1|/apis/batch/v1|/apis/apps/v1)/namespaces/([^/]+)/([a-z]+)(?:/([^/]+))?(?:/([a-z]+))?",
            path,
        )
        if not m or m.group(3) not in RESOURCES or RESOURCES[m.group(3)][2] != m.group(1):
            raise ApiError(
                404, "NotFound", f"the server could not find the requested resource ({path})"
            )
        _, ns, resource, name, sub = m.groups()
        verb = {
            "GET": "get" if name else "list",
            "POST": "create",
            "DELETE": "delete" if name else "deletecollection",
            "PATCH": "patch",
            "PUT": "update",
        }[method]
        cluster.authorize(user, ns, resource + (f"/{sub}" if sub else ""), verb, name or "")
        if method == "POST" and ns not in cluster.namespaces:  # lists of it are just empty
            raise ApiError(404, "NotFound", f'namespaces "{ns}" not found')
        if method == "POST" and not name and resource == "jobs":
            return self._create_job(ns, body, query, extra)
        if method == "POST" and not name and resource in OBJECT_KINDS:
            return self._create_object(resource, ns, body, query, extra)
        if method == "GET" and not name:
            items = [
                o
                for o in cluster.items(resource, ns)
                if _matches(o, query.get("labelSelector", ""))
                and _matches(o, query.get("fieldSelector", ""), fields=True)
            ]
            limit = int(query.get("limit") or 0)
            kind = RESOURCES[resource][1]
            return 200, {"kind": f"{kind}List", "metadata": {}, "items": items[: limit or None]}
        if method == "DELETE" and not name:
            gone = [
                o
                for o in cluster.items(resource, ns)
                if _matches(o, query.get("labelSelector", ""))
            ]
            for obj in gone:
                cluster.delete(resource, ns, obj["metadata"]["name"])
            return 200, {"kind": "List", "items": gone}
        obj = cluster.get(resource, ns, name)
        if obj is None:
            group = RESOURCES[resource][0]
            what = f"{resource}.{group}" if group else resource
            raise ApiError(404, "NotFound", f'{what} "{name}" not found')
        if method == "GET" and sub == "log" and resource == "pods":
            return self._log(obj, query)
        if method == "GET":
            return 200, obj
        if method == "DELETE":
            cluster.delete(resource, ns, name)
            return 200, obj
        if method == "PUT" and resource in ("deployments", "services"):
            return self._replace_object(resource, ns, name, obj, body, query, extra)
        raise ApiError(405, "MethodNotAllowed", f"{method} is not supported here")

    def _create_job(
        self, ns: str, body: bytes, query: dict[str, str], extra: dict[str, str]
    ) -> tuple[int, Any]:
        cluster = self.cluster
        try:
            job = json.loads(body)
        except ValueError as exc:
            raise ApiError(400, "BadRequest", f"the body is not JSON: {exc}") from None
        try:
            unknown = validate_job(job, ns)
        except Invalid as exc:
            raise ApiError(422, "Invalid", str(exc)) from None
        if unknown:
            if query.get("fieldValidation") == "Strict":
                raise ApiError(
                    400,
                    "BadRequest",
                    "; ".join(f'strict decoding error: unknown field "{u}"' for u in unknown),
                )
            if query.get("fieldValidation") != "Ignore":
                extra["Warning"] = "; ".join(f'299 - "unknown field \\"{u}\\""' for u in unknown)
        name = job["metadata"]["name"]
        if query.get("dryRun") == "All":
            return 201, job
        with cluster.lock:
            if cluster.get("jobs", ns, name) is not None:
                raise ApiError(409, "AlreadyExists", f'jobs.batch "{name}" already exists')
            job = cluster.put("jobs", ns, job)
            spec = job["spec"]
            spec.setdefault("backoffLimit", 6)
            uid = job["metadata"]["uid"]
            labels = spec["template"].setdefault("metadata", {}).setdefault("labels", {})
            labels.update(
                {"controller-uid": uid, "job-name": name, "batch.kubernetes.io/job-name": name}
            )
            spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
            job["status"] = {}
        return 201, job

    def _create_object(
        self, resource: str, ns: str, body: bytes, query: dict[str, str], extra: dict[str, str]
    ) -> tuple[int, Any]:
        """Create a Deployment, Service, PersistentVolumeClaim or Secret (validated, stored)."""
        try:
            obj = json.loads(body)
        except ValueError as exc:
            raise ApiError(400, "BadRequest", f"the body is not JSON: {exc}") from None
        try:
            unknown = validate_object(obj, resource, ns, query.get("fieldValidation") == "Strict")
        except Invalid as exc:
            raise ApiError(422, "Invalid", str(exc)) from None
        if unknown and query.get("fieldValidation") != "Ignore":
            extra["Warning"] = "; ".join(f'299 - "unknown field \\"{u}\\""' for u in unknown)
        if query.get("dryRun") == "All":
            return 201, obj
        name = obj["metadata"]["name"]
        with self.cluster.lock:
            if self.cluster.get(resource, ns, name) is not None:
                group = RESOURCES[resource][0]
                what = f"{resource}.{group}" if group else resource
                raise ApiError(409, "AlreadyExists", f'{what} "{name}" already exists')
            if resource == "deployments":
                obj["metadata"]["generation"] = 1
                obj["status"] = {}
            if resource == "services" and obj["spec"].get("type", "ClusterIP") != "ExternalName":
                self.cluster.service_ips += 1
                obj["spec"].setdefault("clusterIP", f"10.96.0.{self.cluster.service_ips}")
            return 201, self.cluster.put(resource, ns, obj)

    def _replace_object(
        self,
        resource: str,
        ns: str,
        name: str,
        old: dict[str, Any],
        body: bytes,
        query: dict[str, str],
        extra: dict[str, str],
    ) -> tuple[int, Any]:
        """Replace a Deployment or Service (PUT): the resourceVersion must be the stored one,
        a Service's clusterIP cannot change, a Deployment's selector neither; a changed
        Deployment spec raises its generation."""
        try:
            obj = json.loads(body)
        except ValueError as exc:
            raise ApiError(400, "BadRequest", f"the body is not JSON: {exc}") from None
        try:
            unknown = validate_object(obj, resource, ns, query.get("fieldValidation") == "Strict")
        except Invalid as exc:
            raise ApiError(422, "Invalid", str(exc)) from None
        if unknown and query.get("fieldValidation") != "Ignore":
            extra["Warning"] = "; ".join(f'299 - "unknown field \\"{u}\\""' for u in unknown)
        kind = RESOURCES[resource][1]
        group = RESOURCES[resource][0]
        what = f"{resource}.{group}" if group else resource
        meta = obj["metadata"]
        if meta.get("name") != name:
            raise ApiError(400, "BadRequest", "the name of the object does not match the URL")
        with self.cluster.lock:
            version = meta.get("resourceVersion")
            if not version:
                raise ApiError(
                    422,
                    "Invalid",
                    f'{kind} "{name}" is invalid: metadata.resourceVersion: Invalid value: 0x0: '
                    "must be specified for an update",
                )
            if version != old["metadata"]["resourceVersion"]:
                raise ApiError(
                    409,
                    "Conflict",
                    f'Operation cannot be fulfilled on {what} "{name}": the object has been '
                    "modified; please apply your changes to the latest version and try again",
                )
            errors = []
            if resource == "services":
                old_ip = old["spec"].get("clusterIP")
                new_ip = obj["spec"].get("clusterIP")
                if new_ip in (None, ""):
                    obj["spec"]["clusterIP"] = old_ip
                elif new_ip != old_ip:
                    errors.append(f"spec.clusterIP: Invalid value: {new_ip!r}: field is immutable")
            if resource == "deployments" and obj["spec"].get("selector") != old["spec"].get(
                "selector"
            ):
                errors.append("spec.selector: Invalid value: field is immutable")
            if errors:
                raise ApiError(422, "Invalid", f'{kind} "{name}" is invalid: ' + ", ".join(errors))
            if resource == "deployments":
                changed = obj["spec"] != old["spec"]
                meta["generation"] = old["metadata"]["generation"] + (1 if changed else 0)
                obj["status"] = old.get("status") or {}
            meta["uid"] = old["metadata"]["uid"]
            meta["creationTimestamp"] = old["metadata"]["creationTimestamp"]
            return 200, self.cluster.put(resource, ns, obj)

    def _proxy(self, method: str, ns: str, target: str, path: str, body: bytes) -> tuple[int, Any]:
        """The API server's proxy to a Service: to a ready pod behind it, on the target port
        (``name:port`` picks a Service port by name)."""
        import urllib.error
        import urllib.request

        cluster = self.cluster
        name, _, port_name = target.partition(":")
        with cluster.lock:
            svc = cluster.get("services", ns, name)
            if svc is None:
                raise ApiError(404, "NotFound", f'services "{name}" not found')
            ports = svc["spec"]["ports"]
            port = next(
                (
                    p
                    for p in ports
                    if not port_name or p.get("name") == port_name or str(p["port"]) == port_name
                ),
                None,
            )
            if port is None:
                raise ApiError(
                    503,
                    "ServiceUnavailable",
                    f'no service port "{port_name}" found for service "{name}"',
                )
            ready = []
            for pod in cluster.items("pods", ns):
                labels = pod["metadata"].get("labels") or {}
                if any(labels.get(k) != v for k, v in (svc["spec"].get("selector") or {}).items()):
                    continue
                conds = pod["status"].get("conditions") or []
                if pod["status"].get("podIP") and any(
                    c["type"] == "Ready" and c["status"] == "True" for c in conds
                ):
                    ready.append(pod)
            if not ready:
                raise ApiError(
                    503, "ServiceUnavailable", f'no endpoints available for service "{name}"'
                )
            pod = ready[cluster.proxied % len(ready)]
            cluster.proxied += 1
            target_port = port.get("targetPort", port["port"])
            if isinstance(target_port, str):
                target_port = next(
                    p["containerPort"]
                    for c in pod["spec"]["containers"]
                    for p in c.get("ports") or []
                    if p.get("name") == target_port
                )
            url = f"http://{pod['status']['podIP']}:{target_port}{path}"
        request = urllib.request.Request(
            url, data=body or None, method=method, headers={"Content-Type": "application/json"}
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=60) as resp:
                return resp.status, resp.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")
        except OSError as exc:
            raise ApiError(
                503, "ServiceUnavailable", f"error trying to reach service: {exc}"
            ) from None

    def _log(self, pod: dict[str, Any], query: dict[str, str]) -> tuple[int, Any]:
        statuses = (pod.get("status") or {}).get("containerStatuses") or []
        state = statuses[0]["state"] if statuses else {"waiting": {"reason": "ContainerCreating"}}
        if "waiting" in state:
            raise ApiError(
                400,
                "BadRequest",
                f'container "step" in pod "{pod["metadata"]["name"]}" is waiting to start: '
                f"{state['waiting']['reason']}",
            )
        meta = pod["metadata"]
        reader = self.cluster.logs.get((meta["namespace"], meta["name"]))
        text = reader() if reader else ""
        tail = int(query.get("tailLines") or 0)
        if tail:
            text = "".join(text.splitlines(keepends=True)[-tail:])
        limit = int(query.get("limitBytes") or 0)
        return 200, text[:limit] if limit else text


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (PEM files), as a cluster's CA would issue."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")])
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "ca.crt", folder / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextmanager
def serve(cluster: FakeCluster, tls: tuple[Path, Path] | None = None) -> Iterator[str]:
    """Serve ``cluster`` on 127.0.0.1 (a free port), over HTTPS with ``tls`` (cert, key);
    yields its URL."""
    handler = type("Handler", (_Handler,), {"cluster": cluster})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if tls is not None:
        import ssl

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, name="kube-api", daemon=True)
    thread.start()
    try:
        scheme = "https" if tls else "http"
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
