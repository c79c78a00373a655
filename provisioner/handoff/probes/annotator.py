"""Annotator probe: the Label Studio server answers and accepts the API token."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from provisioner.handoff.check import ProbeFailed, ProbeSkipped

if TYPE_CHECKING:
    from provisioner.stackconfig import ComponentConnection, StackConfig


def probe(stack: StackConfig, conn: ComponentConnection) -> str:
    """List one project with the token from the connection's ``token_env``.

    Raises:
        ProbeSkipped: not Label Studio.
        ProbeFailed: the token is not set, the server does not answer, or refuses the token.
    """
    url, var = conn.config.get("url"), conn.config.get("token_env")
    if conn.flavor != "label_studio" or not isinstance(url, str) or not isinstance(var, str):
        raise ProbeSkipped(f"no check for the {conn.flavor} annotator yet")
    if not os.environ.get(var):
        raise ProbeFailed(
            f"${var} (the annotator's API token) is not set",
            f"the operator reads it with `provisioner stack outputs {stack.name} "
            "secrets.annotator.api_token --raw --show-secrets`",
        )
    from provisioner.runtime.annotators.label_studio import LabelStudioAnnotator

    client = LabelStudioAnnotator.from_connection(conn, stack)
    data = client._call("GET", "/api/projects", query={"page_size": "1"})
    count = data.get("count") if isinstance(data, dict) else len(data)
    return f"Label Studio at {client.base_url} accepts the token ({count} projects)"
