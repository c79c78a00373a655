"""Read a secret a component needs (a bot token, a webhook URL) from where its reference says.

The stack config names the place (an environment variable, an AWS Secrets Manager secret, a
GCP Secret Manager version, an Azure Key Vault secret), never the value. Each cloud's SDK is
imported only when a reference needs it.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from provisioner.catalog.references import (
    AWSSecret,
    AzureSecret,
    EnvSecret,
    GCPSecret,
    SecretReference,
)
from provisioner.errors import OperationError, UserInputError
from provisioner.runtime.components.base import import_sdk

if TYPE_CHECKING:
    from provisioner.stackconfig import StackConfig

_REFERENCE: TypeAdapter[Any] = TypeAdapter(SecretReference)


class SecretReadError(OperationError):
    """The secret's store refused or could not be reached, or the secret is empty."""


def parse_reference(data: Any, where: str) -> EnvSecret | AWSSecret | GCPSecret | AzureSecret:
    """A secret reference from connection data.

    Raises:
        UserInputError: naming ``where`` and what a reference looks like.
    """
    try:
        return _REFERENCE.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise UserInputError(
            f"{where}: not a secret reference ({loc}: {first['msg']})",
            hint="expected {source: env, name: VAR}, {source: aws, secret_id: ARN}, "
            "{source: gcp, secret: projects/P/secrets/S} or "
            "{source: azure, vault_url: https://V.vault.azure.net, secret: NAME}",
        ) from None


def read_secret(
    ref: EnvSecret | AWSSecret | GCPSecret | AzureSecret, stack: StackConfig, what: str
) -> str:
    """The value the reference points at.

    Args:
        ref: where the secret is.
        stack: the stack config (AWS auth reference and endpoint overrides).
        what: what the secret is, for messages (``the Slack token of alerter slack``).

    Raises:
        UserInputError: an environment variable that is not set.
        SecretReadError: the secret store refused, or the secret is empty.
        MissingIntegrationError: the cloud's SDK is not installed.
    """
    if isinstance(ref, EnvSecret):
        value = os.environ.get(ref.name, "")
        if not value:
            raise UserInputError(
                f"{what} is read from ${ref.name}, which is not set",
                hint=f"export {ref.name}=... in the environment that runs the pipeline",
            )
        return value
    if isinstance(ref, AWSSecret):
        value = _aws(ref, stack, what)
    elif isinstance(ref, GCPSecret):
        value = _gcp(ref, what)
    else:
        value = _azure(ref, stack, what)
    if not value:
        raise SecretReadError(f"{what}: the secret is empty", hint="put the value in it first")
    return value


def _aws(ref: AWSSecret, stack: StackConfig, what: str) -> str:
    boto3 = import_sdk("boto3", "aws")
    from botocore.exceptions import BotoCoreError, ClientError

    from provisioner.runtime.stores.endpoints import check_endpoint

    region = ref.region or _arn_region(ref.secret_id) or stack.location.get("region")
    endpoint = stack.endpoints.get("secretsmanager")
    url = check_endpoint(endpoint, "endpoints.secretsmanager").url if endpoint else None
    session = _aws_session(boto3, stack, region)
    client = session.client(
        "secretsmanager", region_name=region or session.region_name or "us-east-1", endpoint_url=url
    )
    try:
        found = client.get_secret_value(SecretId=ref.secret_id)
    except ClientError as exc:
        err = exc.response.get("Error", {})
        hint = None
        if err.get("Code") == "ResourceNotFoundException":
            hint = "the secret does not exist (or has no value yet: put-secret-value)"
        elif err.get("Code") in ("AccessDeniedException", "UnrecognizedClientException"):
            hint = "your AWS credentials may not read it (secretsmanager:GetSecretValue)"
        raise SecretReadError(
            f"{what}: AWS Secrets Manager refused {ref.secret_id}: {err.get('Code')}: "
            f"{err.get('Message')}",
            hint=hint,
        ) from None
    except BotoCoreError as exc:
        raise SecretReadError(f"{what}: AWS Secrets Manager: {exc}") from None
    value = found.get("SecretString") or ""
    if ref.key is None:
        return value.strip()
    try:
        return str(json.loads(value)[ref.key]).strip()
    except (ValueError, KeyError, TypeError):
        raise SecretReadError(
            f"{what}: the secret {ref.secret_id} is not JSON with the key {ref.key!r}"
        ) from None


def _arn_region(secret_id: str) -> str | None:
    parts = secret_id.split(":")
    return parts[3] or None if secret_id.startswith("arn:") and len(parts) > 3 else None


def _aws_session(boto3: Any, stack: StackConfig, region: str | None) -> Any:
    """A boto3 session with the stack's AWS auth reference (as the S3 store builds it)."""
    from provisioner.runtime.stores.factory import _env

    session = boto3.session.Session(
        profile_name=stack.auth.aws_profile,
        aws_access_key_id=_env(stack, "aws_access_key_id"),
        aws_secret_access_key=_env(stack, "aws_secret_access_key"),
    )
    if stack.auth.method == "aws-role" and stack.auth.aws_role_arn:
        from provisioner.runtime.stores.aws_role import assume

        session = assume(
            session,
            stack.auth.aws_role_arn,
            region=region or session.region_name or "us-east-1",
            sts_endpoint_url=stack.endpoints.get("sts"),
        )
    return session


def _gcp(ref: GCPSecret, what: str) -> str:  # pragma: no cover - no Secret Manager emulator
    secretmanager = import_sdk("google.cloud.secretmanager", "gcp-secrets")
    from google.api_core import exceptions as gexc

    name = ref.secret if "/versions/" in ref.secret else f"{ref.secret}/versions/latest"
    try:
        response = secretmanager.SecretManagerServiceClient().access_secret_version(name=name)
    except gexc.GoogleAPIError as exc:
        raise SecretReadError(f"{what}: GCP Secret Manager refused {name}: {exc}") from None
    return response.payload.data.decode("utf-8").strip()


def _azure(ref: AzureSecret, stack: StackConfig, what: str) -> str:  # pragma: no cover
    secrets = import_sdk("azure.keyvault.secrets", "azure-secrets")
    identity = import_sdk("azure.identity", "azure")
    from azure.core.exceptions import AzureError

    credential = identity.DefaultAzureCredential(
        managed_identity_client_id=stack.auth.azure_client_id
    )
    try:
        secret = secrets.SecretClient(ref.vault_url, credential).get_secret(ref.secret)
    except AzureError as exc:
        raise SecretReadError(
            f"{what}: Azure Key Vault {ref.vault_url} refused {ref.secret}: {exc}"
        ) from None
    return (secret.value or "").strip()
