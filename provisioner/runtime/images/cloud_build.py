"""The ``gcp`` image builder's runtime side: the build context goes to the stack's bucket, a
Cloud Build build (``projects.locations.builds.create``) builds and pushes it to Artifact
Registry as the recipe's build service account, and its status and log stream back.

The tag is the same content hash as the other builders'; a tag the repository already holds
is not built again. Google's REST API is called directly with a google-auth access token
(imported only when a build runs).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.errors import OperationError, UserInputError
from provisioner.runtime.components.base import import_sdk
from provisioner.runtime.components.image_builder import BuiltImage, ImageBuilder, Progress
from provisioner.runtime.images import inputs, remote
from provisioner.runtime.images.append import running_python

if TYPE_CHECKING:
    from provisioner.runtime.pipeline import Pipeline

API = "https://cloudbuild.googleapis.com"
#: Cloud Build's own image with the docker CLI.
DOCKER_STEP = "gcr.io/cloud-builders/docker"
_DONE = ("SUCCESS", "FAILURE", "INTERNAL_ERROR", "TIMEOUT", "CANCELLED", "EXPIRED")
_SCOPE = "https://www.googleapis.com/auth/cloud-platform"


class GCPCloudBuildImageBuilder(ImageBuilder):
    """Connection: ``{"source_uri": "gs://bucket/prefix", "gcp": {"project", "region",
    "service_account", "logs_uri", "repository", "machine_type", "timeout_seconds"}}`` (the
    ``gcp`` keys also read from the top level); optional ``base_image``, ``poll_interval``.
    ``endpoints.cloudbuild`` overrides the API's address."""

    def build(
        self,
        pipeline: Pipeline | None = None,
        *,
        source_root: Path | None = None,
        requirements: tuple[str, ...] = (),
        progress: Progress | None = None,
    ) -> BuiltImage:
        say = progress or (lambda _line: None)
        started = time.monotonic()
        gcp = remote.extras(self.config, "gcp")
        project = gcp.get("project") or self.stack.location.get("project")
        region = gcp.get("region") or self.stack.location.get("region") or "global"
        if not project:
            raise UserInputError(
                f"stack {self.stack.name!r}: image_builder.config.gcp.project is missing; "
                "expected the GCP project Cloud Build runs in",
                hint="redeploy the stack to regenerate its stack config",
            )
        ins = inputs.collect(
            pipeline, self.stack, source_root=source_root, requirements=requirements
        )
        python = running_python()
        base = str(self.config.get("base_image") or remote.DEFAULT_BASE.format(python=python))
        repo = str(gcp.get("repository") or "") or remote.repository(
            self.stack, "Cloud Build", "flavor gcp"
        )
        tag = ins.tag(f"ref:{base}", python, (), "cloudbuild")
        image = f"{repo}:{tag}"
        found = remote.registry_digest(self.stack, repo, tag)
        if found:
            say(f"{image} is already in the registry: nothing to build")
            return BuiltImage(image, found, tag, "cloudbuild", True, time.monotonic() - started)

        source_uri = str(self.config["source_uri"]).rstrip("/")
        store = remote.source_store(self.stack, source_uri)
        key = f"{tag}.tar.gz"
        say(f"uploading the build context to {source_uri}/{key}")
        store.put_bytes(key, remote.context_tar(ins, base))
        bucket, _, prefix = source_uri.removeprefix("gs://").partition("/")
        obj = f"{prefix}/{key}".lstrip("/")

        endpoint = self.stack.endpoints.get("cloudbuild")
        token = None if remote.anonymous(self.stack, endpoint, "gcp") else self._token()
        api = (endpoint or API).rstrip("/")
        parent = f"projects/{project}/locations/{region}"
        body = self._request(bucket, obj, image, project, gcp)
        op = remote.call(
            "POST",
            f"{api}/v1/{parent}/builds",
            token=token,
            body=body,
            what=f"start a Cloud Build build in {parent}",
        )
        build = (op.get("metadata") or {}).get("build") or {}
        build_id = build.get("id")
        if not build_id:
            raise OperationError(f"Cloud Build answered no build id: {op}")
        say(f"Cloud Build build {build_id} started")
        final = self._follow(api, parent, build_id, token, say)
        status = final.get("status")
        if status != "SUCCESS":
            detail = final.get("statusDetail") or ""
            raise OperationError(
                f"Cloud Build build {build_id} ended {status}{': ' + detail if detail else ''}",
                hint=f"see its log: {final.get('logUrl') or f'gcloud builds log {build_id}'}",
            )
        digest = remote.registry_digest(self.stack, repo, tag)
        if not digest:
            raise OperationError(
                f"Cloud Build build {build_id} succeeded, but the registry has no {image}",
            )
        return BuiltImage(image, digest, tag, "cloudbuild", False, time.monotonic() - started)

    def _request(
        self, bucket: str, obj: str, image: str, project: str, gcp: dict[str, Any]
    ) -> dict[str, Any]:
        """The Build resource: one docker build step, the image pushed by ``images``."""
        body: dict[str, Any] = {
            "source": {"storageSource": {"bucket": bucket, "object": obj}},
            "steps": [{"name": DOCKER_STEP, "args": ["build", "-t", image, "."]}],
            "images": [image],
            "timeout": f"{int(gcp.get('timeout_seconds') or 3600)}s",
            "options": {},
            "tags": ["provisioner"],
        }
        account = gcp.get("service_account")
        if account:
            body["serviceAccount"] = f"projects/{project}/serviceAccounts/{account}"
        logs = gcp.get("logs_uri")
        if logs:
            body["logsBucket"] = str(logs).rstrip("/")
            body["options"]["logging"] = "GCS_ONLY"
        elif account:
            # a build with its own service account must say where its logs go
            body["options"]["logging"] = "CLOUD_LOGGING_ONLY"
        if gcp.get("machine_type"):
            body["options"]["machineType"] = gcp["machine_type"]
        return body

    def _follow(
        self, api: str, parent: str, build_id: str, token: str | None, say: Progress
    ) -> dict[str, Any]:
        """Poll the build until it ends, reporting each status and each new step's status,
        and the log's new lines when it is in the bucket; the final Build."""
        interval = float(self.config.get("poll_interval") or 5.0)
        seen: dict[str, str] = {}
        log = _LogTail(self, build_id)
        while True:
            build = remote.call(
                "GET",
                f"{api}/v1/{parent}/builds/{build_id}",
                token=token,
                what=f"read Cloud Build build {build_id}",
            )
            status = str(build.get("status") or "STATUS_UNKNOWN")
            if seen.get("") != status:
                say(f"status {status}")
                seen[""] = status
            for i, step in enumerate(build.get("steps") or []):
                step_status = str(step.get("status") or "")
                if step_status and seen.get(str(i)) != step_status:
                    say(f"step {i} ({step.get('name', '?')}) {step_status}")
                    seen[str(i)] = step_status
            for line in log.new_lines():
                say(line)
            if status in _DONE:
                for line in log.new_lines():
                    say(line)
                return build
            time.sleep(interval)

    def _token(self) -> str:
        auth = import_sdk("google.auth", "gcp")
        requests = import_sdk("google.auth.transport.requests", "gcp")
        try:
            creds, _ = auth.default(scopes=[_SCOPE])
            if self.stack.auth.gcp_service_account:
                impersonated = import_sdk("google.auth.impersonated_credentials", "gcp")
                creds = impersonated.Credentials(
                    source_credentials=creds,
                    target_principal=self.stack.auth.gcp_service_account,
                    target_scopes=[_SCOPE],
                )
            creds.refresh(requests.Request())
        except Exception as exc:  # google-auth raises several unrelated types
            raise OperationError(
                f"cannot get a Google access token for Cloud Build: {exc}",
                hint="run `gcloud auth application-default login`, or set "
                "GOOGLE_APPLICATION_CREDENTIALS",
            ) from None
        return str(creds.token)


class _LogTail:
    """The build's log object (``<logs_uri>/log-<id>.txt``) read again on each poll; the
    lines not yet shown. Nothing when the connection names no logs bucket."""

    def __init__(self, builder: GCPCloudBuildImageBuilder, build_id: str) -> None:
        self.logs = remote.extras(builder.config, "gcp").get("logs_uri")
        self.stack = builder.stack
        self.key = f"log-{build_id}.txt"
        self.shown = 0
        self.store: Any = None

    def new_lines(self) -> list[str]:
        if not self.logs:
            return []
        from provisioner.runtime.errors import ArtifactStoreError

        try:
            if self.store is None:
                self.store = remote.source_store(self.stack, str(self.logs))
            text = self.store.get_bytes(self.key).decode(errors="replace")
        except (ArtifactStoreError, UserInputError):
            return []  # not written yet, or not readable by this identity: status only
        lines = text.splitlines()
        complete = lines if text.endswith("\n") else lines[:-1]
        new = complete[self.shown :]
        self.shown = len(complete)
        return new
