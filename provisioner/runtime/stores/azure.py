"""The Azure Blob artifact store (azure-storage-blob, azure-identity by default)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from provisioner.runtime.errors import ArtifactNotFoundError, ArtifactStoreError
from provisioner.runtime.stores.base import (
    CONNECT_TIMEOUT,
    MAX_ATTEMPTS,
    READ_TIMEOUT,
    ArtifactStore,
    local_temp_for,
)

_BLOCK = 8 << 20


def _client_options() -> dict[str, Any]:
    from azure.storage.blob import ExponentialRetry

    # The SDK's default storage retry waits 15 s before the first retry: too long to
    # tell a user that the store is unreachable.
    retry = ExponentialRetry(
        initial_backoff=1, increment_base=2, retry_total=MAX_ATTEMPTS - 1, random_jitter_range=1
    )
    return {
        "retry_policy": retry,
        "connection_timeout": CONNECT_TIMEOUT,
        "read_timeout": READ_TIMEOUT,
        "retry_total": MAX_ATTEMPTS - 1,
        "retry_backoff_factor": 0.2,
        "max_single_put_size": _BLOCK,
        "max_block_size": _BLOCK,
        "max_single_get_size": _BLOCK,
        "max_chunk_get_size": _BLOCK,
    }


class AzureArtifactStore(ArtifactStore):
    """Artifacts under ``az://container/prefix``.

    Authentication, in order: a connection string, an account key, else azure-identity's
    ``DefaultAzureCredential``. Secrets are passed in by the caller (read from env vars
    that the stack config names); they are never part of the stack config.

    Args:
        uri: ``az://container[/prefix]``.
        account_url: ``https://<account>.blob.core.windows.net`` or an Azurite URL.
        connection_string: a full connection string (wins over everything else).
        account_key: the storage account key, used with the account name.
        account_name: defaults to the name found in ``account_url``.
        client_id: a user-assigned managed identity's client id, for DefaultAzureCredential.
    """

    def __init__(
        self,
        uri: str,
        *,
        account_url: str | None = None,
        connection_string: str | None = None,
        account_key: str | None = None,
        account_name: str | None = None,
        client_id: str | None = None,
    ) -> None:
        super().__init__(uri)
        self.container_name, _, prefix = uri[len("az://") :].partition("/")
        if not self.container_name:
            raise ArtifactStoreError(
                uri, "no container in the URI (expected az://container/prefix)"
            )
        self.prefix = prefix.strip("/")
        try:
            from azure.storage.blob import BlobServiceClient
        except ImportError:
            raise ArtifactStoreError(
                uri, "azure-storage-blob is not installed", hint='pip install "provisioner[azure]"'
            ) from None
        opts = _client_options()
        with self._errors():
            if connection_string:
                service = BlobServiceClient.from_connection_string(connection_string, **opts)
            else:
                if not account_url:
                    raise ArtifactStoreError(
                        uri, "no account_url in the artifact store config and no connection string"
                    )
                service = BlobServiceClient(
                    account_url,
                    credential=_credential(account_url, account_key, account_name, client_id),
                    **opts,
                )
        self.container = service.get_container_client(self.container_name)

    @contextlib.contextmanager
    def _errors(self, key: str | None = None) -> Iterator[None]:
        from azure.core import exceptions as aexc

        uri = self.object_uri(key) if key else self.uri
        try:
            yield
        except aexc.ResourceNotFoundError:
            raise ArtifactNotFoundError(uri, "no such object") from None
        except aexc.ClientAuthenticationError as exc:
            raise ArtifactStoreError(
                uri,
                f"authentication failed: {_first_line(exc)}",
                hint="sign in (`az login`), use a managed identity, or name an env var holding "
                "a connection string under auth.env.azure_connection_string",
            ) from None
        except aexc.AzureError as exc:
            raise ArtifactStoreError(uri, f"{type(exc).__name__}: {_first_line(exc)}") from None
        except ValueError as exc:  # e.g. a token credential over plain http
            raise ArtifactStoreError(uri, str(exc)) from None

    def put_bytes(self, key: str, data: bytes) -> None:
        """One Put Blob: the blob appears whole or not at all."""
        with self._errors(key):
            self.container.upload_blob(self._key(key), data, overwrite=True)

    def put_file(self, key: str, path: Path) -> None:
        """Staged blocks from the file, committed at the end (atomic)."""
        with self._errors(key), open(path, "rb") as fh:
            self.container.upload_blob(
                self._key(key), fh, length=path.stat().st_size, overwrite=True, max_concurrency=4
            )

    def get_bytes(self, key: str) -> bytes:
        """Download the blob."""
        with self._errors(key):
            return self.container.download_blob(self._key(key)).readall()

    def get_file(self, key: str, dest: Path) -> None:
        """Chunked download to a temp file, renamed on success."""
        with self._errors(key), local_temp_for(dest) as tmp, open(tmp, "wb") as fh:
            self.container.download_blob(self._key(key), max_concurrency=4).readinto(fh)

    def exists(self, key: str) -> bool:
        """Fetch the blob's properties."""
        with self._errors(key):
            return self.container.get_blob_client(self._key(key)).exists()

    def list_keys(self, prefix: str) -> Iterator[str]:
        """List blobs under ``prefix/``."""
        full = self._key(prefix) + "/"
        cut = len(self.prefix) + 1 if self.prefix else 0
        with self._errors(prefix):
            for blob in self.container.list_blobs(name_starts_with=full):
                yield blob.name[cut:]

    def delete(self, key: str) -> None:
        """Delete the blob if present."""
        from azure.core.exceptions import ResourceNotFoundError

        with self._errors(key), contextlib.suppress(ResourceNotFoundError):
            self.container.delete_blob(self._key(key))

    def temp_parts(self) -> Iterator[str]:
        """Blobs a killed staged upload left with uncommitted blocks only (never listed by
        ``list_keys``), last touched before ``TEMP_GRACE``."""
        import datetime as dt

        full = f"{self.prefix}/" if self.prefix else ""
        cut = len(full)
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=self.TEMP_GRACE)
        with self._errors():
            committed = {b.name for b in self.container.list_blobs(name_starts_with=full)}
            every = self.container.list_blobs(name_starts_with=full, include=["uncommittedblobs"])
            for blob in every:
                if blob.name not in committed and blob.last_modified < cutoff:
                    yield blob.name[cut:]

    def delete_temp(self, part: str) -> None:
        """Delete the uncommitted blob (commit it empty first where the service insists)."""
        from azure.core.exceptions import ResourceNotFoundError

        client = self.container.get_blob_client(self._key(part))
        with self._errors(part):
            try:
                client.delete_blob()
            except ResourceNotFoundError:
                client.commit_block_list([])
                client.delete_blob()

    def check(self) -> None:
        """Fetch the container's properties."""
        try:
            with self._errors():
                self.container.get_container_properties()
        except ArtifactNotFoundError:
            raise ArtifactStoreError(
                self.uri, f"container {self.container_name!r} does not exist"
            ) from None


def _credential(
    account_url: str, account_key: str | None, account_name: str | None, client_id: str | None
) -> Any:
    if account_key:
        from azure.core.credentials import AzureNamedKeyCredential

        return AzureNamedKeyCredential(account_name or _account_name(account_url), account_key)
    from azure.identity import DefaultAzureCredential

    return (
        DefaultAzureCredential(managed_identity_client_id=client_id)
        if client_id
        else (DefaultAzureCredential())
    )


def _account_name(account_url: str) -> str:
    """``https://acct.blob.core.windows.net`` -> acct; ``http://127.0.0.1:1/acct`` -> acct."""
    from urllib.parse import urlparse

    parsed = urlparse(account_url)
    path = parsed.path.strip("/")
    if path:
        return path.split("/")[0]
    return (parsed.hostname or "").split(".")[0]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
