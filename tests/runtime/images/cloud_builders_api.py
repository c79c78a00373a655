"""Stand-ins on 127.0.0.1 for the two cloud build APIs the image builders call, since neither
has an emulator. Each implements exactly the REST calls the builders use, with the real
APIs' JSON shapes and error bodies, and does the build's observable work for real:

- Cloud Build (https://cloud.google.com/build/docs/api/reference/rest):
  ``POST /v1/projects/{p}/locations/{l}/builds`` answers a long-running ``Operation`` whose
  ``metadata.build`` is the queued ``Build``; ``GET .../builds/{id}`` the ``Build``, moving
  ``QUEUED`` -> ``WORKING`` -> ``SUCCESS``/``FAILURE`` one poll at a time. Errors are Google's
  ``{"error": {"code", "message", "status"}}`` (400 ``INVALID_ARGUMENT``, 404 ``NOT_FOUND``).
  The build reads its ``storageSource`` from the GCS emulator, writes its log to
  ``<logsBucket>/log-<id>.txt`` there, and pushes an image to the registry under ``images``.
- ACR Tasks (``Microsoft.ContainerRegistry`` ``2019-06-01-preview``):
  ``POST .../registries/{r}/scheduleRun`` with a ``DockerBuildRequest`` answers the ``Run``
  (or, with ``accept_first``, a 202 whose ``Location`` answers 202 once, then the ``Run``);
  ``GET .../runs/{id}`` moves ``Queued`` -> ``Running`` -> ``Succeeded``/``Failed``;
  ``POST .../runs/{id}/listLogSasUrl`` answers ``{"logLink"}``. Errors are ARM's
  ``{"error": {"code", "message"}}`` (``MissingApiVersionParameter``, ``ResourceNotFound``,
  ``InvalidRequestContent``). The run downloads ``sourceLocation`` with no credentials but
  its own (the SAS), so an unsigned URL fails the run as ACR's would, and pushes to the
  registry under ``imageNames``.

Cloud Build's stand-in can also be the token endpoint of a service account key file and then
require the tokens it issued; ACR's checks no token (azure-identity only talks to an https
authority, so no Entra ID stand-in is possible here).
"""

from __future__ import annotations

import gzip
import io
import itertools
import json
import re
import tarfile
import threading
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from provisioner.runtime.images.oci import RegistryClient, sha256

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def push_image(image: str) -> str:
    """Push a one-layer image to ``registry/repo:tag`` (what a build's push leaves); its
    digest."""
    name, tag = image.rsplit(":", 1)
    registry, repo = name.split("/", 1)
    client = RegistryClient(registry)
    layer = gzip.compress(b"", mtime=0)
    config = json.dumps(
        {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}
    ).encode()
    client.push_blob(repo, sha256(layer), data=layer)
    client.push_blob(repo, sha256(config), data=config)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": sha256(config),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": sha256(layer),
                    "size": len(layer),
                }
            ],
        }
    ).encode()
    return client.put_manifest(repo, tag, manifest, OCI_MANIFEST)


def read_context(data: bytes) -> dict[str, bytes]:
    """The files of a ``.tar.gz`` build context."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def docker_log(files: dict[str, bytes]) -> list[str]:
    """What ``docker build`` prints for the context's Dockerfile, step by step."""
    steps = [
        line
        for line in files["Dockerfile"].decode().replace("\\\n", " ").splitlines()
        if line.strip()
    ]
    return [f"Step {i}/{len(steps)} : {line.strip()}" for i, line in enumerate(steps, 1)]


class _Server:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[tuple[str, str, Any]] = []
        self.fail_next = ""  # a non-empty reason fails the next build
        self.authorization = ""  # the request's Authorization header (one request at a time)
        handler = type("Handler", (_Handler,), {"api": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(
        self, method: str, path: str, query: dict[str, str], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError


class _Handler(BaseHTTPRequestHandler):
    api: _Server

    def log_message(self, *args: object) -> None:
        pass

    def _do(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        with self.api.lock:
            self.api.calls.append((method, parts.path, body))
        self.api.authorization = self.headers.get("Authorization") or ""
        status, answer, headers = self.api.handle(method, parts.path, query, body)
        data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header(
            "Content-Type", "text/plain" if isinstance(answer, bytes) else "application/json"
        )
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._do("GET")

    def do_POST(self) -> None:
        self._do("POST")


# -- Cloud Build ------------------------------------------------------------------------------


def _google_error(code: int, status: str, message: str) -> tuple[int, Any, dict[str, str]]:
    return code, {"error": {"code": code, "message": message, "status": status}}, {}


class CloudBuildAPI(_Server):
    """Builds of the projects in ``projects``; reads sources and writes logs through
    ``gcs`` (a google-cloud-storage client on the emulator).

    With ``public_key`` (PEM) set, it is also the OAuth 2.0 token endpoint (``POST /token``)
    of a service account key file whose ``token_uri`` points here: it checks the JWT-bearer
    assertion's signature, audience (Google's token URI, which google-auth signs for
    whatever ``token_uri`` is) and scope as Google's does and issues an access token, which
    every Cloud Build call must then carry (else 401 ``UNAUTHENTICATED``)."""

    def __init__(
        self, gcs: Any, projects: tuple[str, ...] = ("demo-project",), public_key: bytes = b""
    ) -> None:
        super().__init__()
        self.gcs = gcs
        self.projects = projects
        self.public_key = public_key
        self.tokens: set[str] = set()
        self.builds: dict[str, dict[str, Any]] = {}
        self.sources: dict[str, dict[str, bytes]] = {}

    def _token(self, body: Any) -> tuple[int, Any, dict[str, str]]:
        form = {
            k: v[0] for k, v in parse_qs(body.decode() if isinstance(body, bytes) else "").items()
        }
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return (
                400,
                {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"},
                {},
            )
        try:
            claims = _verify_jwt(form.get("assertion", ""), self.public_key)
        except Exception as exc:  # any bad assertion is invalid_grant
            return (
                400,
                {"error": "invalid_grant", "error_description": f"Invalid JWT Signature: {exc}"},
                {},
            )
        if claims.get(
            "aud"
        ) != "https://oauth2.googleapis.com/token" or "cloud-platform" not in claims.get(
            "scope", ""
        ):
            return (
                400,
                {"error": "invalid_grant", "error_description": "Invalid JWT: aud or scope"},
                {},
            )
        token = f"ya29.stand-in-{uuid.uuid4().hex}"
        self.tokens.add(token)
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}, {}

    def handle(self, method, path, query, body):
        if path == "/token" and method == "POST" and self.public_key:
            return self._token(body)
        if self.public_key and self.authorization.removeprefix("Bearer ") not in self.tokens:
            return _google_error(
                401,
                "UNAUTHENTICATED",
                "Request is missing required authentication credential. Expected OAuth 2 "
                "access token, login cookie or other valid authentication credential.",
            )
        m = re.fullmatch(r"/v1/projects/([^/]+)/locations/([^/]+)/builds(?:/([^/]+))?", path)
        if not m:
            return _google_error(404, "NOT_FOUND", f"Requested entity was not found: {path}")
        project, location, build_id = m.groups()
        if project not in self.projects:
            return _google_error(404, "NOT_FOUND", f"Project {project!r} not found or deleted.")
        if method == "POST" and build_id is None:
            return self._create(project, location, body)
        if method == "GET" and build_id:
            with self.lock:
                build = self.builds.get(build_id)
            if build is None:
                return _google_error(404, "NOT_FOUND", f"Build {build_id!r} not found.")
            return 200, self._advance(build), {}
        return _google_error(400, "INVALID_ARGUMENT", f"unsupported {method} {path}")

    def _create(self, project, location, body):
        if not isinstance(body, dict):
            return _google_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        src = (body.get("source") or {}).get("storageSource") or {}
        if not src.get("bucket") or not src.get("object"):
            return _google_error(400, "INVALID_ARGUMENT", "invalid build: no source")
        if not body.get("steps"):
            return _google_error(400, "INVALID_ARGUMENT", "invalid build: no build steps")
        account = body.get("serviceAccount")
        if (
            account
            and (body.get("options") or {}).get("logging")
            not in ("GCS_ONLY", "CLOUD_LOGGING_ONLY", "NONE")
            and not body.get("logsBucket")
        ):
            return _google_error(
                400,
                "INVALID_ARGUMENT",
                "if 'build.service_account' is specified, the build must either (a) specify "
                "'build.logs_bucket', (b) use the REGIONAL_USER_OWNED_BUCKET "
                "build.options.default_logs_bucket_behavior option, or (c) use either "
                "CLOUD_LOGGING_ONLY / NONE logging options",
            )
        build_id = str(uuid.uuid4())
        build = {
            **body,
            "id": build_id,
            "projectId": project,
            "status": "QUEUED",
            "createTime": "2026-01-01T00:00:00Z",
            "name": f"projects/{project}/locations/{location}/builds/{build_id}",
            "logUrl": f"https://console.cloud.google.com/cloud-build/builds;region={location}/{build_id}?project={project}",
            "steps": [{**s, "status": "QUEUED"} for s in body["steps"]],
            "_fail": self.fail_next,
        }
        self.fail_next = ""
        with self.lock:
            self.builds[build_id] = build
        op = {
            "name": f"projects/{project}/locations/{location}/operations/{uuid.uuid4()}",
            "metadata": {
                "@type": "type.googleapis.com/google.devtools.cloudbuild.v1.BuildOperationMetadata",
                "build": _public(build),
            },
        }
        return 200, op, {}

    def _advance(self, build):
        if build["status"] == "QUEUED":
            build["status"] = "WORKING"
            build["steps"][0]["status"] = "WORKING"
        elif build["status"] == "WORKING":
            self._run(build)
        return _public(build)

    def _run(self, build):
        src = build["source"]["storageSource"]
        log = [f"starting build {build['id']}", "FETCHSOURCE"]
        try:
            data = self.gcs.bucket(src["bucket"]).blob(src["object"]).download_as_bytes()
            files = read_context(data)
            self.sources[build["id"]] = files
            log += ["BUILD", *docker_log(files)]
            if build["_fail"]:
                raise RuntimeError(build["_fail"])
            for image in build.get("images") or []:
                digest = push_image(image)
                build.setdefault("results", {}).setdefault("images", []).append(
                    {"name": image, "digest": digest}
                )
                log.append(f"PUSH {image}@{digest}")
            build["status"] = "SUCCESS"
            build["steps"][0]["status"] = "SUCCESS"
            log.append("DONE")
        except Exception as exc:  # the build fails, as Cloud Build reports it
            build["status"] = "FAILURE"
            build["steps"][0]["status"] = "FAILURE"
            build["statusDetail"] = f"Build step failure: {exc}"
            log.append(f"ERROR: {exc}")
        logs = build.get("logsBucket")
        if logs:
            bucket, _, prefix = logs.removeprefix("gs://").partition("/")
            key = f"{prefix}/log-{build['id']}.txt".lstrip("/")
            self.gcs.bucket(bucket).blob(key).upload_from_string("\n".join(log) + "\n")


def _verify_jwt(assertion: str, public_key: bytes) -> dict[str, Any]:
    """The claims of an RS256 JWT signed by ``public_key``'s private key."""
    import base64

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    def b64(part: str) -> bytes:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

    head, payload, sig = assertion.split(".")
    if json.loads(b64(head)).get("alg") != "RS256":
        raise ValueError("not RS256")
    key = serialization.load_pem_public_key(public_key)
    key.verify(b64(sig), f"{head}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr, call-arg]
    return json.loads(b64(payload))


def _public(build: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in build.items() if not k.startswith("_")}


# -- ACR Tasks --------------------------------------------------------------------------------

API_VERSION = "2019-06-01-preview"
_REGISTRY = (
    r"/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.ContainerRegistry"
    r"/registries/([^/]+)"
)


def _arm_error(status: int, code: str, message: str) -> tuple[int, Any, dict[str, str]]:
    return status, {"error": {"code": code, "message": message}}, {}


class ACRTasksAPI(_Server):
    """Runs on registry ``registry`` (``(subscription, resource_group, name)``), pushing to
    ``login_server`` (a loopback registry standing in for ``<name>.azurecr.io``)."""

    def __init__(self, registry: tuple[str, str, str], login_server: str) -> None:
        super().__init__()
        self.registry = registry
        self.login_server = login_server
        self.runs: dict[str, dict[str, Any]] = {}
        self.logs: dict[str, list[str]] = {}
        self.sources: dict[str, dict[str, bytes]] = {}
        self.accept_first = False  # answer scheduleRun 202 + Location
        self._ids = itertools.count(1)

    def handle(self, method, path, query, body):
        if path.startswith("/logs/"):
            run_id = path.rsplit("/", 1)[1]
            if query.get("sig") != "stand-in":
                return 403, b"AuthenticationFailed", {}
            return 200, ("\n".join(self.logs.get(run_id, [])) + "\n").encode(), {}
        if path.startswith("/pending/"):
            return self._pending(path.rsplit("/", 1)[1])
        if query.get("api-version") != API_VERSION:
            return _arm_error(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        m = re.fullmatch(_REGISTRY + r"/(scheduleRun|runs/([^/]+)(/listLogSasUrl)?)", path)
        if not m or m.group(1, 2, 3) != self.registry:
            return _arm_error(
                404,
                "ResourceNotFound",
                "The Resource 'Microsoft.ContainerRegistry/registries/"
                f"{m.group(3) if m else '?'}' under resource group "
                f"'{m.group(2) if m else '?'}' was not found.",
            )
        action, run_id, log = m.group(4), m.group(5), m.group(6)
        if action == "scheduleRun" and method == "POST":
            return self._schedule(body)
        run = self.runs.get(run_id or "")
        if run is None:
            return _arm_error(404, "ResourceNotFound", f"The run '{run_id}' was not found.")
        if log and method == "POST":
            return (
                200,
                {"logLink": f"{self.url}/logs/{run_id}?sv=2019-02-02&sr=b&sp=r&sig=stand-in"},
                {},
            )
        if method == "GET" and not log:
            return 200, self._advance(run), {}
        return _arm_error(405, "MethodNotAllowed", f"{method} {path}")

    def _run_resource(self, run: dict[str, Any]) -> dict[str, Any]:
        sub, rg, name = self.registry
        return {
            "id": f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerRegistry/registries/{name}/runs/{run['runId']}",
            "type": "Microsoft.ContainerRegistry/registries/runs",
            "name": run["runId"],
            "properties": {k: v for k, v in run.items() if not k.startswith("_")},
        }

    def _schedule(self, body):
        if not isinstance(body, dict) or body.get("type") != "DockerBuildRequest":
            return _arm_error(
                400, "InvalidRequestContent", "The request content was invalid: 'type'."
            )
        for field in ("imageNames", "sourceLocation", "dockerFilePath", "platform"):
            if not body.get(field):
                return _arm_error(
                    400,
                    "InvalidRequestContent",
                    f"The request content was invalid: '{field}' is required.",
                )
        run_id = f"cb{next(self._ids)}"
        run = {
            "runId": run_id,
            "status": "Queued",
            "runType": "QuickRun",
            "provisioningState": "Succeeded",
            "platform": body["platform"],
            "_request": body,
            "_fail": self.fail_next,
        }
        self.fail_next = ""
        self.runs[run_id] = run
        self.logs[run_id] = []
        if self.accept_first:
            self.accept_first = False
            run["_pending"] = 1
            return 202, b"", {"Location": f"{self.url}/pending/{run_id}"}
        return 200, self._run_resource(run), {}

    def _pending(self, run_id):
        run = self.runs[run_id]
        if run.get("_pending"):
            run["_pending"] -= 1
            return 202, b"", {"Location": f"{self.url}/pending/{run_id}"}
        return 200, self._run_resource(run), {}

    def _advance(self, run):
        if run["status"] == "Queued":
            run["status"] = "Running"
            self.logs[run["runId"]].append("Queued a build with ID: " + run["runId"])
        elif run["status"] == "Running":
            self._build(run)
        return self._run_resource(run)

    def _build(self, run):
        req = run["_request"]
        log = self.logs[run["runId"]]
        log.append("Downloading source code...")
        try:
            with urllib.request.urlopen(req["sourceLocation"], timeout=30) as resp:
                files = read_context(resp.read())
            self.sources[run["runId"]] = files
            log += docker_log(files)
            if run["_fail"]:
                raise RuntimeError(run["_fail"])
            run["outputImages"] = []
            for name in req["imageNames"]:
                repo, tag = name.rsplit(":", 1)
                digest = push_image(f"{self.login_server}/{name}")
                run["outputImages"].append(
                    {
                        "registry": self.login_server,
                        "repository": repo,
                        "tag": tag,
                        "digest": digest,
                    }
                )
                log.append(f"{self.login_server}/{name}: digest: {digest}")
            run["status"] = "Succeeded"
            log.append(f"Run ID: {run['runId']} was successful")
        except Exception as exc:  # the run fails, as ACR reports it
            run["status"] = "Failed"
            run["runErrorMessage"] = f"failed during run, err: {exc}"
            log.append(f"Run ID: {run['runId']} failed: {exc}")
