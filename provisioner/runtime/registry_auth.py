"""Credentials for the stack's container registry: read from the file its stack config names.

A stack config never holds a password. The local registry's connection names a credentials
file (``credentials_file``, JSON ``{"username": ..., "password": ...}``, mode 0600) that the
deploy wrote; whoever pushes or pulls images reads the secret from there.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from provisioner.catalog.types import ComponentType
from provisioner.errors import OperationError, UserInputError

if TYPE_CHECKING:
    from provisioner.stackconfig import StackConfig

#: Connection keys that would put a secret into the stack config.
_SECRET_KEYS = ("password", "token", "auth")


def registry_credentials(stack: StackConfig) -> tuple[str, str] | None:
    """(username, password) for the stack's container registry, or None if it needs none.

    Raises:
        UserInputError: the stack config holds a password itself, or its credentials file
            is missing, unreadable, open to other users, or malformed.
    """
    comp = stack.component(ComponentType.CONTAINER_REGISTRY)
    if comp is None:
        return None
    inline = [k for k in _SECRET_KEYS if k in comp.config]
    if inline:
        raise UserInputError(
            f"stack {stack.name!r}: container_registry.config.{inline[0]} holds a secret in the "
            "stack config; it is never used",
            hint="name a credentials file (credentials_file) instead",
        )
    ref = comp.config.get("credentials_file")
    if not ref:
        return None
    path = Path(str(ref)).expanduser()
    try:
        info = path.stat()
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserInputError(
            f"the container registry's credentials file {path} does not exist",
            hint="it is written by the deploy, on the machine that deployed the stack",
        ) from None
    except (OSError, ValueError) as exc:
        raise UserInputError(f"cannot read the credentials file {path}: {exc}") from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO) or info.st_uid != os.getuid():
        raise UserInputError(
            f"the credentials file {path} is open to other users (mode "
            f"{stat.S_IMODE(info.st_mode):o}) or not yours",
            hint=f"chmod 600 {path}",
        )
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), str) for k in ("username", "password")
    ):
        raise UserInputError(f"{path}: expected a JSON object with 'username' and 'password'")
    return data["username"], data["password"]


def registry_auth_header(stack: StackConfig) -> dict[str, str]:
    """The HTTP ``Authorization`` header for the stack's registry (empty if none is needed)."""
    credentials = registry_credentials(stack)
    if credentials is None:
        return {}
    token = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def pull_credentials(stack: StackConfig, registry: str) -> tuple[str, str] | None:
    """(username, password) to read images from ``registry`` (``host[:port]``): the stack's
    container registry's, if ``registry`` is it; an ECR registry's from a fresh
    authorization token. None for any other registry (it is asked anonymously).

    Raises:
        UserInputError: the credentials file is unusable (see :func:`registry_credentials`).
        OperationError: ECR refuses an authorization token.
    """
    comp = stack.component(ComponentType.CONTAINER_REGISTRY)
    uri = str(comp.config.get("uri") or "") if comp else ""
    if comp is None or uri.split("/", 1)[0] != registry:
        return None
    if comp.flavor == "aws" and ".dkr.ecr." in registry:
        return _ecr_credentials(stack, registry)
    return registry_credentials(stack)


def _ecr_credentials(stack: StackConfig, registry: str) -> tuple[str, str]:
    """ECR's ``AWS`` user and a 12-hour token (``ecr:GetAuthorizationToken``)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    region = registry.split(".dkr.ecr.", 1)[1].split(".", 1)[0]
    session = boto3.session.Session(profile_name=stack.auth.aws_profile, region_name=region)
    if stack.auth.aws_role_arn:
        from provisioner.runtime.stores.aws_role import assume

        session = assume(session, stack.auth.aws_role_arn, region=region)
    try:
        data = session.client("ecr").get_authorization_token()["authorizationData"][0]
        user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    except (BotoCoreError, ClientError, KeyError, IndexError, ValueError) as exc:
        raise OperationError(
            f"cannot get an ECR authorization token for {registry}: {exc}",
            hint="check the AWS credentials (ecr:GetAuthorizationToken), or set the "
            "orchestrator's `pin_image_digest: false`",
        ) from None
    return user, password
