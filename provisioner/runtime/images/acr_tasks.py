"""The ``azure`` image builder's runtime side: the build context goes to the stack's blob
container, ACR's ``scheduleRun`` runs a quick task (a ``DockerBuildRequest``) that builds
it from a read-only SAS URL and pushes it to the registry, and the run's status and log
stream back.

The tag is the same content hash as the other builders'; a tag the registry already holds is
not built again. Azure Resource Manager's REST API is called directly with an azure-identity
token (imported only when a build runs).
"""

from __future__ import annotations

import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.errors import OperationError, UserInputError
from provisioner.runtime.components.base import import_sdk
from provisioner.runtime.components.image_builder import BuiltImage, ImageBuilder, Progress
from provisioner.runtime.images import inputs, remote
from provisioner.runtime.images.append import running_python

if TYPE_CHECKING:
    from provisioner.runtime.pipeline import Pipeline
    from provisioner.runtime.stores.azure import AzureArtifactStore

ARM = "https://management.azure.com"
API_VERSION = "2019-06-01-preview"
_DONE = ("Succeeded", "Failed", "Canceled", "Error", "Timeout")
_SCOPE = "https://management.azure.com/.default"
#: How long ACR may read the uploaded context.
SAS_HOURS = 4


class AzureACRTasksImageBuilder(ImageBuilder):
    """Connection: ``{"source_uri": "az://container/prefix", "azure": {"registry_name",
    "resource_group", "subscription_id", "timeout_seconds", "platform"}}`` (the ``azure``
    keys also read from the top level); optional ``base_image``, ``poll_interval``.
    ``endpoints.arm`` overrides Azure Resource Manager's address."""

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
        az = remote.extras(self.config, "azure")
        missing = [
            k for k in ("registry_name", "resource_group", "subscription_id") if not az.get(k)
        ]
        if missing:
            raise UserInputError(
                f"stack {self.stack.name!r}: image_builder.config.azure lacks "
                f"{', '.join(missing)}; expected the registry ACR Tasks runs in",
                hint="redeploy the stack to regenerate its stack config",
            )
        ins = inputs.collect(
            pipeline, self.stack, source_root=source_root, requirements=requirements
        )
        python = running_python()
        base = str(self.config.get("base_image") or remote.DEFAULT_BASE.format(python=python))
        repo = remote.repository(self.stack, "ACR Tasks", "flavor azure")
        tag = ins.tag(f"ref:{base}", python, (), "acrtasks")
        image = f"{repo}:{tag}"
        found = remote.registry_digest(self.stack, repo, tag)
        if found:
            say(f"{image} is already in the registry: nothing to build")
            return BuiltImage(image, found, tag, "acrtasks", True, time.monotonic() - started)

        source_uri = str(self.config["source_uri"]).rstrip("/")
        store: AzureArtifactStore = remote.source_store(self.stack, source_uri)  # type: ignore[assignment]
        key = f"{tag}.tar.gz"
        say(f"uploading the build context to {source_uri}/{key}")
        store.put_bytes(key, remote.context_tar(ins, base))
        source = read_url(store, key)

        endpoint = self.stack.endpoints.get("arm")
        token = None if remote.anonymous(self.stack, endpoint, "azure") else self._token()
        registry_id = (
            f"{(endpoint or ARM).rstrip('/')}/subscriptions/{az['subscription_id']}"
            f"/resourceGroups/{az['resource_group']}/providers/Microsoft.ContainerRegistry"
            f"/registries/{az['registry_name']}"
        )
        body = {
            "type": "DockerBuildRequest",
            "imageNames": [f"{repo.split('/', 1)[1]}:{tag}"],
            "isPushEnabled": True,
            "noCache": False,
            "sourceLocation": source,
            "dockerFilePath": "Dockerfile",
            "platform": _platform(str(az.get("platform") or "linux/amd64")),
            "timeout": int(az.get("timeout_seconds") or 3600),
        }
        run = self._schedule(registry_id, body, token)
        run_id = (run.get("properties") or {}).get("runId") or run.get("name")
        if not run_id:
            raise OperationError(f"ACR answered no run id: {run}")
        say(f"ACR run {run_id} started")
        final = self._follow(registry_id, run_id, token, say)
        props = final.get("properties") or {}
        status = props.get("status")
        if status != "Succeeded":
            detail = props.get("runErrorMessage") or ""
            raise OperationError(
                f"ACR run {run_id} ended {status}{': ' + detail if detail else ''}",
                hint=f"see its log: az acr task logs --registry {az['registry_name']} "
                f"--run-id {run_id}",
            )
        digest = remote.registry_digest(self.stack, repo, tag)
        if not digest:
            raise OperationError(f"ACR run {run_id} succeeded, but the registry has no {image}")
        return BuiltImage(image, digest, tag, "acrtasks", False, time.monotonic() - started)

    def _schedule(self, registry_id: str, body: dict, token: str | None) -> dict[str, Any]:
        """``scheduleRun``: the Run, following a 202's ``Location`` until it is there."""
        status, headers, run = remote.exchange(
            "POST",
            f"{registry_id}/scheduleRun?api-version={API_VERSION}",
            token=token,
            body=body,
            what="schedule an ACR run",
        )
        interval = float(self.config.get("poll_interval") or 5.0)
        location = _header(headers, "Location") or _header(headers, "Azure-AsyncOperation")
        for _ in range(600):
            if status != 202 or not location:
                return run
            time.sleep(interval)
            status, headers, run = remote.exchange(
                "GET", location, token=token, what="read the scheduled ACR run"
            )
            location = _header(headers, "Location") or location
        raise OperationError("ACR did not schedule the run in time")

    def _follow(
        self, registry_id: str, run_id: str, token: str | None, say: Progress
    ) -> dict[str, Any]:
        """Poll the run until it ends, reporting each status and the log's new lines."""
        interval = float(self.config.get("poll_interval") or 5.0)
        seen = ""
        shown = 0
        url = f"{registry_id}/runs/{run_id}"
        while True:
            run = remote.call(
                "GET",
                f"{url}?api-version={API_VERSION}",
                token=token,
                what=f"read ACR run {run_id}",
            )
            status = str((run.get("properties") or {}).get("status") or "Queued")
            if status != seen:
                say(f"status {status}")
                seen = status
            done = status in _DONE
            shown = self._log(url, token, shown, say, final=done)
            if done:
                return run
            time.sleep(interval)

    def _log(
        self, run_url: str, token: str | None, shown: int, say: Progress, *, final: bool
    ) -> int:
        """Show the run log's complete lines after the first ``shown``; how many are shown."""
        try:
            link = remote.call(
                "POST",
                f"{run_url}/listLogSasUrl?api-version={API_VERSION}",
                token=token,
                what="read the ACR run's log address",
            ).get("logLink")
            if not link:
                return shown
            text = _get_text(link)
        except (remote.RestError, OSError):
            return shown  # no log yet: status only
        lines = text.splitlines()
        complete = lines if (final or text.endswith("\n")) else lines[:-1]
        for line in complete[shown:]:
            say(line)
        return max(shown, len(complete))

    def _token(self) -> str:
        identity = import_sdk("azure.identity", "azure")
        client_id = self.stack.auth.azure_client_id
        kwargs: dict[str, Any] = (
            {"managed_identity_client_id": client_id}
            if client_id
            else {"exclude_managed_identity_credential": True}
        )
        try:
            return identity.DefaultAzureCredential(**kwargs).get_token(_SCOPE).token
        except Exception as exc:  # azure-identity's errors share no useful base
            raise OperationError(
                f"cannot get an Entra ID token for ACR Tasks: {exc}",
                hint="run `az login`, or set AZURE_CLIENT_ID, AZURE_TENANT_ID and a secret",
            ) from None


def read_url(store: AzureArtifactStore, key: str) -> str:
    """A read-only SAS URL of ``key`` in ``store``, valid for :data:`SAS_HOURS`: signed with
    the account key when the store has one, else with a user delegation key (Entra ID)."""
    blob_sdk = import_sdk("azure.storage.blob", "azure")
    container = store.container
    blob = store._key(key)
    now = datetime.now(UTC)
    expiry = now + timedelta(hours=SAS_HOURS)
    perm = blob_sdk.BlobSasPermissions(read=True)
    cred = container.credential
    account = container.account_name
    with store._errors(key):
        # a connection string or an account key: the client's credential holds the key
        if getattr(cred, "account_key", None):
            sas = blob_sdk.generate_blob_sas(
                account,
                container.container_name,
                blob,
                account_key=cred.account_key,
                permission=perm,
                expiry=expiry,
            )
        else:
            service = blob_sdk.BlobServiceClient(container.url.rsplit("/", 1)[0], credential=cred)
            delegation = service.get_user_delegation_key(now - timedelta(minutes=5), expiry)
            sas = blob_sdk.generate_blob_sas(
                account,
                container.container_name,
                blob,
                user_delegation_key=delegation,
                permission=perm,
                expiry=expiry,
            )
    url = container.get_blob_client(blob).url
    return f"{url}?{sas}"


def _platform(platform: str) -> dict[str, str]:
    """``linux/arm64`` as ACR's ``PlatformProperties``."""
    os_, _, arch = platform.partition("/")
    return {"os": os_.capitalize() or "Linux", "architecture": arch or "amd64"}


def _header(headers: dict[str, str], name: str) -> str | None:
    for k, v in headers.items():
        if k.lower() == name.lower():
            return v
    return None


def _get_text(url: str) -> str:
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise OSError(f"not an http(s) log address: {url}")
    with urllib.request.urlopen(url, timeout=30) as resp:
        return resp.read().decode(errors="replace")
