"""The GCS artifact store (google-cloud-storage), with an emulator endpoint override."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from provisioner.runtime.errors import ArtifactNotFoundError, ArtifactStoreError
from provisioner.runtime.stores.base import (
    CONNECT_TIMEOUT,
    READ_TIMEOUT,
    ArtifactStore,
    local_temp_for,
)

_CHUNK = 16 << 20  # resumable-upload chunk (a multiple of 256 KiB)
_RETRY_DEADLINE = 5.0


_STORAGE_SCOPE = "https://www.googleapis.com/auth/devstorage.read_write"


def _impersonated(email: str) -> Any:
    """Credentials acting as ``email``, minted from the caller's own (no key file)."""
    import google.auth
    from google.auth import impersonated_credentials

    source, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    return impersonated_credentials.Credentials(
        source_credentials=source, target_principal=email, target_scopes=[_STORAGE_SCOPE]
    )


class GCSArtifactStore(ArtifactStore):
    """Artifacts under ``gs://bucket/prefix``.

    Args:
        uri: ``gs://bucket[/prefix]``.
        endpoint_url: an emulator endpoint; else ``$STORAGE_EMULATOR_HOST``; else Google.
            With an emulator the client uses anonymous credentials.
        project: the GCP project (needed by the client; any name works on an emulator).
        impersonate: a service account email to act as (the stack config's ``auth``): the
            reader's own Google credentials mint its short-lived tokens. Not with an emulator.
    """

    def __init__(
        self,
        uri: str,
        *,
        endpoint_url: str | None = None,
        project: str | None = None,
        impersonate: str | None = None,
    ) -> None:
        super().__init__(uri)
        self.bucket_name, _, prefix = uri[len("gs://") :].partition("/")
        if not self.bucket_name:
            raise ArtifactStoreError(uri, "no bucket in the URI (expected gs://bucket/prefix)")
        self.prefix = prefix.strip("/")
        try:
            from google.cloud import storage
            from google.cloud.storage.retry import DEFAULT_RETRY
        except ImportError:
            raise ArtifactStoreError(
                uri, "google-cloud-storage is not installed", hint='pip install "provisioner[gcp]"'
            ) from None
        endpoint = endpoint_url or os.environ.get("STORAGE_EMULATOR_HOST")
        kwargs: dict[str, Any] = {"project": project or "provisioner"}
        if endpoint:
            from google.auth.credentials import AnonymousCredentials

            if "://" not in endpoint:
                endpoint = f"http://{endpoint}"
            kwargs["credentials"] = AnonymousCredentials()
            kwargs["client_options"] = {"api_endpoint": endpoint}
        elif project is None:
            kwargs.pop("project")
        with self._errors():
            if impersonate and not endpoint:
                kwargs["credentials"] = _impersonated(impersonate)
            self.client = storage.Client(**kwargs)
        self.bucket = self.client.bucket(self.bucket_name)
        self.retry = DEFAULT_RETRY.with_delay(initial=0.25, maximum=2.0).with_timeout(
            _RETRY_DEADLINE
        )
        self.timeout = (CONNECT_TIMEOUT, READ_TIMEOUT)

    @contextlib.contextmanager
    def _errors(self, key: str | None = None) -> Iterator[None]:
        from google.api_core import exceptions as gexc
        from google.auth import exceptions as auth_exc

        uri = self.object_uri(key) if key else self.uri
        try:
            yield
        except gexc.NotFound:
            raise ArtifactNotFoundError(uri, "no such object") from None
        except gexc.GoogleAPIError as exc:
            cause = exc.cause if isinstance(exc, gexc.RetryError) and exc.cause else exc
            raise ArtifactStoreError(uri, f"{type(cause).__name__}: {cause}") from None
        except auth_exc.GoogleAuthError as exc:
            raise ArtifactStoreError(
                uri,
                f"no Google credentials: {exc}",
                hint="run `gcloud auth application-default login` or set "
                "GOOGLE_APPLICATION_CREDENTIALS",
            ) from None
        except OSError as exc:  # requests' ConnectionError and timeouts derive from OSError
            raise ArtifactStoreError(uri, f"{type(exc).__name__}: {exc}") from None

    def _blob(self, key: str, chunked: bool = False) -> Any:
        return self.bucket.blob(self._key(key), chunk_size=_CHUNK if chunked else None)

    def put_bytes(self, key: str, data: bytes) -> None:
        """One upload request: the object appears whole or not at all."""
        with self._errors(key):
            self._blob(key).upload_from_string(data, timeout=self.timeout, retry=self.retry)

    def put_file(self, key: str, path: Path) -> None:
        """Resumable upload in chunks; the object appears only when the last chunk lands."""
        with self._errors(key):
            blob = self._blob(key, chunked=path.stat().st_size > _CHUNK)
            blob.upload_from_filename(str(path), timeout=self.timeout, retry=self.retry)

    def get_bytes(self, key: str) -> bytes:
        """Download the object."""
        with self._errors(key):
            return self._blob(key).download_as_bytes(timeout=self.timeout, retry=self.retry)

    def get_file(self, key: str, dest: Path) -> None:
        """Download in chunks to a temp file, renamed on success."""
        with self._errors(key), local_temp_for(dest) as tmp:
            self._blob(key, chunked=True).download_to_filename(
                str(tmp), timeout=self.timeout, retry=self.retry
            )

    def exists(self, key: str) -> bool:
        """Fetch the object's metadata."""
        with self._errors(key):
            return self._blob(key).exists(timeout=self.timeout, retry=self.retry)

    def list_keys(self, prefix: str) -> Iterator[str]:
        """List the objects under ``prefix/``."""
        full = self._key(prefix) + "/"
        cut = len(self.prefix) + 1 if self.prefix else 0
        with self._errors(prefix):
            blobs = self.client.list_blobs(
                self.bucket_name, prefix=full, timeout=self.timeout, retry=self.retry
            )
            for blob in blobs:
                yield blob.name[cut:]

    def delete(self, key: str) -> None:
        """Delete the object if present."""
        from google.api_core.exceptions import NotFound

        with self._errors(key), contextlib.suppress(NotFound):
            self._blob(key).delete(timeout=self.timeout, retry=self.retry)

    def check(self) -> None:
        """Fetch the bucket's metadata."""
        try:
            with self._errors():
                self.bucket.reload(timeout=self.timeout, retry=self.retry)
        except ArtifactNotFoundError:
            raise ArtifactStoreError(
                self.uri, f"bucket {self.bucket_name!r} does not exist"
            ) from None
