"""Experiment tracker probe: the MLflow tracking server's health endpoint answers."""

from __future__ import annotations

import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from provisioner.handoff.check import ProbeFailed, ProbeSkipped

if TYPE_CHECKING:
    from provisioner.stackconfig import ComponentConnection, StackConfig

TIMEOUT = 5.0


def probe(stack: StackConfig, conn: ComponentConnection) -> str:
    """GET ``<server>/health`` (MLflow answers ``OK``); a ``file:`` store must be writable.

    Raises:
        ProbeSkipped: not MLflow.
        ProbeFailed: the server does not answer, answers wrongly, or the folder is unusable.
    """
    uri = conn.config.get("tracking_uri")
    if not isinstance(uri, str) or not uri:
        raise ProbeSkipped(f"the {conn.flavor} experiment tracker has no tracking_uri to check")
    if uri.startswith("file:"):
        return _file_store(uri)
    aws = conn.config.get("aws")
    server_url = (aws.get("tracking_server_url") if isinstance(aws, dict) else None) or (
        conn.config.get("tracking_server_url")  # a stack config from before it moved
    )
    url = server_url if uri.startswith("arn:") else uri
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ProbeSkipped(f"tracking URI {uri!r} has no HTTP endpoint to check")
    health = url.rstrip("/") + "/health"
    host = urllib.parse.urlparse(health).hostname or ""
    handlers = (
        [urllib.request.ProxyHandler({})] if host in ("127.0.0.1", "localhost", "::1") else []
    )
    try:
        with urllib.request.build_opener(*handlers).open(health, timeout=TIMEOUT) as resp:
            body = resp.read(64).decode(errors="replace").strip()
    except urllib.error.HTTPError as exc:
        hint = None
        if exc.code in (401, 403):
            hint = "the server wants credentials: set MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD"
        raise ProbeFailed(f"{health} answered HTTP {exc.code}", hint) from None
    except (urllib.error.URLError, OSError) as exc:
        raise ProbeFailed(
            f"{health} does not answer: {getattr(exc, 'reason', exc)}",
            "check that the tracking server is running and reachable from here",
        ) from None
    if body != "OK":
        raise ProbeFailed(f"{health} answered {body[:40]!r}, not MLflow's 'OK'")
    return f"{health} answers OK"


def _file_store(uri: str) -> str:
    path = Path(urllib.parse.urlparse(uri).path)
    if not path.is_dir():
        raise ProbeFailed(
            f"the MLflow file store {path} does not exist on this machine",
            "a file: tracking URI only works on the machine that deployed the stack",
        )
    if not os.access(path, os.W_OK):
        raise ProbeFailed(f"the MLflow file store {path} is not writable by you")
    return f"MLflow file store {path} is writable"
