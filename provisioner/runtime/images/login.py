"""Credentials to push to the stack's container registry, from the stack config's references:
none or a credentials file for the local registry, an ECR token through boto3, an access
token through google-auth for Artifact Registry, an ACR refresh token through azure-identity."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

from provisioner.catalog.types import ComponentType
from provisioner.errors import OperationError
from provisioner.runtime.components.base import import_sdk
from provisioner.runtime.registry_auth import pull_credentials
from provisioner.stackconfig import StackConfig

#: ACR's user name for a token exchanged from an Entra ID access token.
ACR_TOKEN_USER = "00000000-0000-0000-0000-000000000000"


def push_credentials(stack: StackConfig, registry: str) -> tuple[str, str] | None:
    """(username, password) for ``registry`` (``host[:port]``), or None to go anonymous.

    Raises:
        UserInputError: the local registry's credentials file is unusable.
        OperationError: the cloud refuses a token.
    """
    comp = stack.component(ComponentType.CONTAINER_REGISTRY)
    if (
        registry.endswith("-docker.pkg.dev")
        or registry in ("gcr.io",)
        or registry.endswith(".gcr.io")
    ):
        return _gcp(stack)
    if registry.endswith(".azurecr.io"):
        return _acr(stack, registry)
    if comp is not None:
        return pull_credentials(stack, registry)
    return None


def _gcp(stack: StackConfig) -> tuple[str, str]:
    auth = import_sdk("google.auth", "gcp")
    requests = import_sdk("google.auth.transport.requests", "gcp")
    try:
        creds, _ = auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
        if stack.auth.gcp_service_account:
            impersonated = import_sdk("google.auth.impersonated_credentials", "gcp")
            creds = impersonated.Credentials(
                source_credentials=creds,
                target_principal=stack.auth.gcp_service_account,
                target_scopes=["https://www.googleapis.com/auth/cloud-platform"],
            )
        creds.refresh(requests.Request())
    except Exception as exc:  # google-auth raises several unrelated types
        raise OperationError(
            f"cannot get a Google access token for Artifact Registry: {exc}",
            hint="run `gcloud auth application-default login`, or set "
            "GOOGLE_APPLICATION_CREDENTIALS",
        ) from None
    return "oauth2accesstoken", creds.token


def _acr(stack: StackConfig, registry: str) -> tuple[str, str]:
    identity = import_sdk("azure.identity", "azure")
    kwargs = (
        {"exclude_managed_identity_credential": True} if stack.auth.azure_client_id is None else {}
    )
    try:
        cred = identity.DefaultAzureCredential(**kwargs)
        token = cred.get_token("https://management.azure.com/.default").token
    except Exception as exc:  # azure-identity's errors share no useful base
        raise OperationError(
            f"cannot get an Entra ID token for {registry}: {exc}",
            hint="run `az login`, or set AZURE_CLIENT_ID, AZURE_TENANT_ID and a secret",
        ) from None
    body = urllib.parse.urlencode(
        {"grant_type": "access_token", "service": registry, "access_token": token}
    ).encode()
    req = urllib.request.Request(f"https://{registry}/oauth2/exchange", data=body, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            refresh = json.loads(resp.read())["refresh_token"]
    except (OSError, ValueError, KeyError) as exc:
        raise OperationError(f"{registry} refuses the Entra ID token: {exc}") from None
    return ACR_TOKEN_USER, refresh
