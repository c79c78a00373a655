"""The S3 artifact store (boto3), with an endpoint override for MinIO and moto."""

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

_CHUNK = 8 << 20
_CONCURRENCY = 10


def _import_boto3() -> Any:
    try:
        import boto3
    except ImportError:
        raise ArtifactStoreError(
            "s3://", "boto3 is not installed", hint='pip install "provisioner[aws]"'
        ) from None
    return boto3


class S3ArtifactStore(ArtifactStore):
    """Artifacts under ``s3://bucket/prefix``.

    Args:
        uri: ``s3://bucket[/prefix]``.
        endpoint_url: an S3-compatible endpoint (MinIO, moto); None for AWS.
        region: the bucket's region.
        profile: an AWS profile name from the stack config's auth reference.
        access_key_id: explicit credentials (read from env vars the stack config names).
        secret_access_key: see ``access_key_id``.
        role_arn: a role to act as (the stack config's ``aws-role``), assumed with the
            credentials above.
        sts_endpoint_url: an STS endpoint override for assuming ``role_arn``.
    """

    def __init__(
        self,
        uri: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        profile: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        role_arn: str | None = None,
        sts_endpoint_url: str | None = None,
    ) -> None:
        super().__init__(uri)
        rest = uri[len("s3://") :]
        self.bucket, _, prefix = rest.partition("/")
        if not self.bucket:
            raise ArtifactStoreError(uri, "no bucket in the URI (expected s3://bucket/prefix)")
        self.prefix = prefix.strip("/")
        boto3 = _import_boto3()
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        session = boto3.session.Session(
            profile_name=profile,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
        )
        if role_arn:
            from provisioner.runtime.stores.aws_role import assume

            session = assume(
                session,
                role_arn,
                region=region or session.region_name or "us-east-1",
                sts_endpoint_url=sts_endpoint_url,
            )
        config = Config(
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
            retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
            max_pool_connections=32,
        )
        self.client = session.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region or session.region_name or "us-east-1",
            config=config,
        )
        self.transfer = TransferConfig(
            multipart_threshold=_CHUNK, multipart_chunksize=_CHUNK, max_concurrency=_CONCURRENCY
        )

    @contextlib.contextmanager
    def _errors(self, key: str | None = None) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError

        uri = self.object_uri(key) if key else self.uri
        try:
            yield
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("404", "NoSuchKey", "NotFound"):
                raise ArtifactNotFoundError(uri, "no such object") from None
            raise ArtifactStoreError(uri, f"{code}: {exc}") from None
        except BotoCoreError as exc:
            raise ArtifactStoreError(uri, f"{type(exc).__name__}: {exc}") from None

    def put_bytes(self, key: str, data: bytes) -> None:
        """One PUT: S3 objects appear whole or not at all."""
        with self._errors(key):
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def put_file(self, key: str, path: Path) -> None:
        """Multipart upload from the file; the object appears only on completion."""
        with self._errors(key):
            self.client.upload_file(str(path), self.bucket, self._key(key), Config=self.transfer)

    def get_bytes(self, key: str) -> bytes:
        """GET the object."""
        with self._errors(key):
            resp = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            return resp["Body"].read()

    def get_file(self, key: str, dest: Path) -> None:
        """Ranged parallel download to a temp file, renamed on success."""
        with self._errors(key), local_temp_for(dest) as tmp:
            self.client.download_file(self.bucket, self._key(key), str(tmp), Config=self.transfer)

    def exists(self, key: str) -> bool:
        """HEAD the object."""
        from botocore.exceptions import ClientError

        with self._errors(key):
            try:
                self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    return False
                raise
        return True

    def list_keys(self, prefix: str) -> Iterator[str]:
        """List with the v2 paginator."""
        full = self._key(prefix) + "/"
        cut = len(self.prefix) + 1 if self.prefix else 0
        with self._errors(prefix):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=full
            )
            for page in pages:
                for obj in page.get("Contents", []):
                    yield obj["Key"][cut:]

    def delete(self, key: str) -> None:
        """DELETE the object."""
        with self._errors(key):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def temp_parts(self) -> Iterator[str]:
        """Multipart uploads under the prefix that were started and never completed
        (``<key>?uploadId=<id>``)."""
        import datetime as dt

        full = f"{self.prefix}/" if self.prefix else ""
        cut = len(full)
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=self.TEMP_GRACE)
        with self._errors():
            pages = self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=full
            )
            for page in pages:
                for upload in page.get("Uploads", []):
                    if upload["Initiated"] < cutoff:
                        yield f"{upload['Key'][cut:]}?uploadId={upload['UploadId']}"

    def delete_temp(self, part: str) -> None:
        key, _, upload_id = part.partition("?uploadId=")
        with self._errors(key):
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self._key(key), UploadId=upload_id
            )

    def check(self) -> None:
        """HEAD the bucket."""
        try:
            with self._errors():
                self.client.head_bucket(Bucket=self.bucket)
        except ArtifactNotFoundError:
            raise ArtifactStoreError(self.uri, f"bucket {self.bucket!r} does not exist") from None
