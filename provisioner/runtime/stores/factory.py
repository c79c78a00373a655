"""Build the artifact store a stack config describes (URI scheme -> backend)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.runtime.errors import StackNotRunnableError
from provisioner.runtime.stores.base import ArtifactStore
from provisioner.runtime.stores.endpoints import store_endpoint

if TYPE_CHECKING:
    from provisioner.stackconfig import StackConfig

#: Backends by URI scheme: "module:class", imported only when a stack uses it.
BACKENDS: dict[str, str] = {
    "file": "provisioner.runtime.stores.local:LocalArtifactStore",
    "s3": "provisioner.runtime.stores.s3:S3ArtifactStore",
    "gs": "provisioner.runtime.stores.gcs:GCSArtifactStore",
    "az": "provisioner.runtime.stores.azure:AzureArtifactStore",
}


def store_uri(stack: StackConfig) -> str:
    """The artifact store URI from the stack config (``config.uri``, else ``config.path``).

    Raises:
        StackNotRunnableError: the stack has no artifact store, or it has no URI.
    """
    comp = stack.component(ComponentType.ARTIFACT_STORE)
    if comp is None:
        raise StackNotRunnableError(
            f"stack {stack.name!r} has no artifact_store; a stack that runs pipelines needs "
            "an orchestrator and an artifact store"
        )
    uri = comp.config.get("uri") or comp.config.get("path")
    if not uri or not isinstance(uri, str):
        raise StackNotRunnableError(
            f"stack {stack.name!r}: the artifact_store has no 'uri' in its config"
        )
    return uri


def _env(stack: StackConfig, purpose: str) -> str | None:
    """The secret held by the env var the stack config names for ``purpose``."""
    var = stack.auth.env.get(purpose)
    if not var:
        return None
    value = os.environ.get(var)
    if not value:
        raise UserInputError(
            f"the stack config says auth.env.{purpose} is in ${var}, but ${var} is not set"
        )
    return value


def _endpoint_url(stack: StackConfig) -> str | None:
    endpoint = store_endpoint(stack)
    return endpoint.url if endpoint else None


def open_store(stack: StackConfig) -> ArtifactStore:
    """The artifact store of ``stack``, connected with its endpoints and auth references.

    An endpoint override is honoured only on loopback, or on a host the reader trusts (see
    :mod:`provisioner.runtime.stores.endpoints`).

    Raises:
        EndpointRefusedError: an endpoint override this reader does not send credentials to.
        StackNotRunnableError: no artifact store in the stack.
        UserInputError: an unknown URI scheme, or a named env var that is unset.
        ArtifactStoreError: the backend's SDK is missing or the URI is malformed.
    """
    uri = store_uri(stack)
    scheme = uri.split("://", 1)[0] if "://" in uri else "file"
    if scheme not in BACKENDS:
        raise UserInputError(
            f"artifact store URI {uri!r}: unsupported scheme {scheme!r} "
            f"(use a local path, {', '.join(s + '://' for s in BACKENDS if s != 'file')})"
        )
    config = stack.component(ComponentType.ARTIFACT_STORE).config  # type: ignore[union-attr]
    if scheme == "file":
        from provisioner.runtime.stores.local import LocalArtifactStore

        return LocalArtifactStore(uri)
    if scheme == "s3":
        from provisioner.runtime.stores.s3 import S3ArtifactStore

        return S3ArtifactStore(
            uri,
            endpoint_url=_endpoint_url(stack),
            region=_aws_extra(config, "region") or stack.location.get("region"),
            profile=stack.auth.aws_profile,
            access_key_id=_env(stack, "aws_access_key_id"),
            secret_access_key=_env(stack, "aws_secret_access_key"),
            role_arn=stack.auth.aws_role_arn if stack.auth.method == "aws-role" else None,
            sts_endpoint_url=stack.endpoints.get("sts"),
        )
    if scheme == "gs":
        from provisioner.runtime.stores.gcs import GCSArtifactStore

        extras = config.get("gcp") if isinstance(config.get("gcp"), dict) else {}
        return GCSArtifactStore(
            uri,
            endpoint_url=_endpoint_url(stack),
            project=config.get("project") or extras.get("project") or stack.location.get("project"),
            impersonate=stack.auth.gcp_service_account
            if stack.auth.method == "gcp-service-account"
            else None,
        )
    from provisioner.runtime.stores.azure import AzureArtifactStore

    connection_string = _env(stack, "azure_connection_string")  # the reader's own secret
    return AzureArtifactStore(
        uri,
        account_url=None if connection_string else _endpoint_url(stack),
        connection_string=connection_string,
        account_key=_env(stack, "azure_account_key"),
        account_name=config.get("account_name") or _azure(config).get("account_name"),
        client_id=stack.auth.azure_client_id,
    )


def _azure(config: dict) -> dict:
    """The Azure extras of a connection (``config["azure"]``), or {}."""
    extras = config.get("azure")
    return extras if isinstance(extras, dict) else {}


def _aws_extra(config: dict[str, Any], key: str) -> Any:
    """``config["aws"][key]``, or ``config[key]`` in a stack config from before it moved."""
    aws = config.get("aws")
    return (aws.get(key) if isinstance(aws, dict) else None) or config.get(key)
