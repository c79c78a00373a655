"""Physical names for Azure resources: explicit, within Azure's rules, stable per stack.

Azure's naming rules differ per resource. Storage accounts, container registries and key
vaults have global names (a DNS label), so theirs carry a short hash of the stack name.
"""

from __future__ import annotations

import hashlib
import re
import uuid

#: (min length, max length, pattern, what it allows) of the names the recipes set.
RESOURCE_GROUP = (1, 90, r"^[-\w._()]+$", "letters, digits, - _ . ( )")
STORAGE_ACCOUNT = (3, 24, r"^[a-z0-9]+$", "lowercase letters and digits")
STORAGE_CONTAINER = (
    3,
    63,
    r"^[a-z0-9](?!.*--)[a-z0-9-]*[a-z0-9]$",
    "lowercase letters, digits and single -",
)
CONTAINER_REGISTRY = (5, 50, r"^[a-zA-Z0-9]+$", "letters and digits")
KEY_VAULT = (
    3,
    24,
    r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]*[a-zA-Z0-9]$",
    "letters, digits and single -, starting with a letter",
)
AKS_CLUSTER = (1, 63, r"^[a-zA-Z0-9][-_a-zA-Z0-9]*[a-zA-Z0-9]$", "letters, digits, - and _")
AKS_DNS_PREFIX = (1, 54, r"^[a-zA-Z0-9][-a-zA-Z0-9]*[a-zA-Z0-9]$", "letters, digits and -")
AKS_NODE_POOL = (1, 12, r"^[a-z][a-z0-9]*$", "lowercase letters and digits")
IDENTITY = (3, 128, r"^[a-zA-Z0-9][-_a-zA-Z0-9]*$", "letters, digits, - and _")
FEDERATED_CREDENTIAL = (3, 120, r"^[a-zA-Z0-9][-_a-zA-Z0-9]*$", "letters, digits, - and _")
ML_WORKSPACE = (3, 33, r"^[a-zA-Z0-9][-_a-zA-Z0-9]*$", "letters, digits, - and _")
ML_COMPUTE = (3, 24, r"^[a-zA-Z][-a-zA-Z0-9]*[a-zA-Z0-9]$", "letters, digits and -, from a letter")
APP_INSIGHTS = (1, 260, r"^[^%&\\?/]+$", "no % & \\ ? /")
LOG_WORKSPACE = (4, 63, r"^[a-zA-Z0-9][-a-zA-Z0-9]*[a-zA-Z0-9]$", "letters, digits and -")
KEY_VAULT_SECRET = (1, 127, r"^[a-zA-Z0-9-]+$", "letters, digits and -")
K8S_NAME = (1, 63, r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "lowercase letters, digits and -")

Rule = tuple[int, int, str, str]


def digest(text: str, length: int = 6) -> str:
    """A short, stable hash of ``text`` (lowercase hex)."""
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def fit(name: str, limit: int) -> str:
    """``name`` if it fits in ``limit`` characters, else its head plus a 7-character hash.

    The hash is of the whole name, so two long names that share a head still differ.
    """
    if len(name) <= limit:
        return name
    head = name[: limit - 8].rstrip("-._")
    return f"{head}-{digest(name, 7)}"


def compact(stack: str, suffix: str, limit: int, *, lower: bool = True) -> str:
    """A global, alphanumeric-only name: the stack name without '-', a suffix and a 6-character
    hash of the stack name, cut to ``limit`` (storage accounts, registries).

    The hash keeps two stacks whose names differ only in dashes or length apart, and makes a
    collision with someone else's global name unlikely.
    """
    tail = f"{suffix}{digest(f'{stack}/{suffix}')}"
    head = re.sub(r"[^a-zA-Z0-9]", "", stack)[: limit - len(tail)]
    name = f"{head}{tail}"
    return name.lower() if lower else name


def dashed(stack: str, suffix: str, limit: int) -> str:
    """A global name that may hold '-': ``<stack>-<suffix>-<hash>`` cut to ``limit`` (key
    vaults), never with two dashes in a row nor a dash at either end."""
    tail = f"-{suffix}-{digest(f'{stack}/{suffix}')}"
    head = stack[: limit - len(tail)].rstrip("-")
    return f"{head}{tail}"


def problem(name: str, rule: Rule) -> str | None:
    """Why Azure would refuse ``name`` under ``rule``, or None."""
    low, high, pattern, allowed = rule
    if not low <= len(name) <= high or not re.fullmatch(pattern, name):
        return f"must be {low}-{high} characters of {allowed} ({len(name)} given)"
    return None


def assignment_id(*parts: str) -> str:
    """A role assignment's name: a GUID derived from what it grants, so it is stable."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "provisioner:azure:" + "/".join(parts)))
