"""What the kubernetes orchestrator's runner may do in its namespace, on every cloud."""

from __future__ import annotations

from typing import Any

#: Exactly what the kubernetes orchestrator's runtime does in its namespace (its preflight
#: checks these rights before a run; a test keeps the two lists in step).
RUNNER_RULES: tuple[dict[str, Any], ...] = (
    {
        "api_groups": ["batch"],
        "resources": ["jobs"],
        "verbs": ["create", "delete", "deletecollection", "get", "list", "watch"],
    },
    {"api_groups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]},
    {"api_groups": [""], "resources": ["events"], "verbs": ["list"]},
)
