"""Container registry probe: the ``/v2/`` endpoint answers, and a login or token works."""

from __future__ import annotations

import base64
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from provisioner.handoff.check import ProbeFailed

if TYPE_CHECKING:
    from provisioner.stackconfig import ComponentConnection, StackConfig

TIMEOUT = 5.0
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
_ECR_HOST = re.compile(r"^\d{12}\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com$")
_LOGIN_HINT = (
    "name env vars holding a login in the stack config (auth.env.registry_username and "
    "auth.env.registry_password), or log in with `docker login HOST` (~/.docker/config.json)"
)


def registry_url(uri: str) -> tuple[str, str]:
    """The registry's host and base URL: plain HTTP for a loopback host (as docker does),
    else HTTPS. Credentials for a host are only ever sent to that host."""
    host = uri.split("://", 1)[-1].split("/", 1)[0]
    loopback = host.rsplit(":", 1)[0] in _LOOPBACK or host.startswith("[::1]")
    return host, f"{'http' if loopback else 'https'}://{host}"


def probe(stack: StackConfig, conn: ComponentConnection) -> str:
    """GET ``/v2/``; on a 401, log in (Basic, or a Bearer token from the realm) and retry.

    Raises:
        ProbeFailed: it does not answer, or refuses the credentials or their absence.
    """
    uri = conn.config.get("uri")
    if not uri or not isinstance(uri, str):
        raise ProbeFailed("the container_registry has no 'uri' in its config")
    host, base = registry_url(uri)
    status, headers = _get(f"{base}/v2/")
    if status == 200:
        return f"{base}/v2/ answers; no login needed"
    if status != 401:
        raise ProbeFailed(f"{base}/v2/ answered HTTP {status}, not an OCI registry's 200 or 401")
    login = credentials(stack, host)
    challenge = headers.get("WWW-Authenticate", "")
    scheme, params = _parse_challenge(challenge)
    if scheme == "bearer" and "realm" in params:
        token = _token(params, login)
        auth = f"Bearer {token}"
    elif login is None:
        raise ProbeFailed(f"{base}/v2/ needs a login and none is configured", _LOGIN_HINT)
    else:
        auth = "Basic " + base64.b64encode(f"{login[0]}:{login[1]}".encode()).decode()
    status, _ = _get(f"{base}/v2/", auth)
    if status != 200:
        who = f"user {login[0]!r}" if login else "an anonymous token"
        raise ProbeFailed(
            f"{base}/v2/ refused the login of {who} (HTTP {status})",
            "check the username and password (or renew the token) and that they "
            "are the registry's: " + _LOGIN_HINT,
        )
    return (
        f"{base}/v2/ answers; login as {login[0]!r} works"
        if login
        else f"{base}/v2/ answers; an anonymous token works"
    )


def credentials(stack: StackConfig, host: str) -> tuple[str, str] | None:
    """The login for ``host``: env vars the stack config names, ECR's token, docker's config."""
    user_var = stack.auth.env.get("registry_username")
    pass_var = stack.auth.env.get("registry_password")
    if user_var and pass_var:
        user, password = os.environ.get(user_var), os.environ.get(pass_var)
        if not user or not password:
            missing = user_var if not user else pass_var
            raise ProbeFailed(
                f"the stack config names ${missing} for the registry login, but it is not set",
                f"export {missing}=... before the check",
            )
        return user, password
    ecr = _ECR_HOST.match(host)
    if ecr:
        return _ecr_login(stack, ecr.group(1))
    return _docker_config_login(host)


def _ecr_login(stack: StackConfig, region: str) -> tuple[str, str]:
    try:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        raise ProbeFailed(
            "an ECR login needs boto3", "provisioner integration install aws"
        ) from None
    try:
        session = boto3.session.Session(profile_name=stack.auth.aws_profile)
        ecr = session.client("ecr", region_name=region)
        data = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    except (BotoCoreError, ClientError) as exc:
        raise ProbeFailed(
            f"cannot get an ECR login token: {exc}",
            "check your AWS credentials (the stack config's auth section)",
        ) from None
    user, _, password = base64.b64decode(data).decode().partition(":")
    return user, password


def _docker_config_login(host: str) -> tuple[str, str] | None:
    config = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker") / "config.json"
    try:
        auths = json.loads(config.read_text()).get("auths", {})
    except (OSError, ValueError):
        return None
    entry = auths.get(host) or auths.get(f"https://{host}") or {}
    if not entry.get("auth"):
        return None
    user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
    return user, password


def _parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    scheme, _, rest = header.partition(" ")
    return scheme.lower(), dict(re.findall(r'(\w+)="([^"]*)"', rest))


def _token(params: dict[str, str], login: tuple[str, str] | None) -> str:
    query = {k: params[k] for k in ("service", "scope") if k in params}
    url = params["realm"] + ("?" + urllib.parse.urlencode(query) if query else "")
    auth = None
    if login:
        auth = "Basic " + base64.b64encode(f"{login[0]}:{login[1]}".encode()).decode()
    status, _, body = _request(url, auth)
    if status != 200:
        raise ProbeFailed(
            f"the token service {params['realm']} refused a token (HTTP {status})", _LOGIN_HINT
        )
    try:
        data = json.loads(body)
        return data.get("token") or data["access_token"]
    except (ValueError, KeyError):
        raise ProbeFailed(f"the token service {params['realm']} sent no token") from None


def _get(url: str, auth: str | None = None) -> tuple[int, dict[str, str]]:
    status, headers, _ = _request(url, auth)
    return status, headers


def _request(url: str, auth: str | None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers={"Authorization": auth} if auth else {})
    host = urllib.parse.urlparse(url).hostname or ""
    # A loopback registry is reached directly, whatever proxy the environment names.
    handlers = (
        [urllib.request.ProxyHandler({})] if host in ("127.0.0.1", "localhost", "::1") else []
    )
    try:
        with urllib.request.build_opener(*handlers).open(req, timeout=TIMEOUT) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ProbeFailed(
            f"{url} does not answer: {reason}",
            "check that the registry is running and reachable from here (VPN, firewall, proxy)",
        ) from None
