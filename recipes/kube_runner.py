"""What the runtime may do in the stack's namespace, on every cloud."""

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

#: Exactly what the ``kubernetes`` model deployer does in its namespace: apply (read, create,
#: replace) and delete its Deployment and Service, call the Service through the API server's
#: proxy, and read its pods and their logs. Granted only when the stack has that deployer; a
#: test runs the deployer on the fake API with these rights alone and holds the two equal.
DEPLOYER_RULES: tuple[dict[str, Any], ...] = (
    {
        "api_groups": ["apps"],
        "resources": ["deployments"],
        "verbs": ["create", "delete", "get", "update"],
    },
    {"api_groups": [""], "resources": ["services"], "verbs": ["create", "delete", "get", "update"]},
    {"api_groups": [""], "resources": ["services/proxy"], "verbs": ["create"]},
    {"api_groups": [""], "resources": ["pods"], "verbs": ["list"]},
    {"api_groups": [""], "resources": ["pods/log"], "verbs": ["get"]},
)
