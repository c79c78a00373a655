"""Physical names for GCP resources: explicit, within GCP's length rules, stable per stack."""

from __future__ import annotations

import hashlib

#: GCP's length limits of the names the recipes set.
GCS_BUCKET = 63
ARTIFACT_REPOSITORY = 63
GKE_CLUSTER = 40
GKE_NODE_POOL = 40
SERVICE_ACCOUNT_ID = 30
SECRET_ID = 255
COMPUTE_NAME = 63
K8S_NAME = 63


def short_hash(*parts: str, length: int = 7) -> str:
    """A short, stable hash of ``parts`` (hex, lowercase)."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def fit(name: str, limit: int) -> str:
    """``name`` if it fits in ``limit`` characters, else its head plus a 7-character hash.

    The hash is of the whole name, so two long names that share a head still differ.
    """
    if len(name) <= limit:
        return name
    digest = short_hash(name)
    head = name[: limit - len(digest) - 1].rstrip("-_")
    return f"{head}-{digest}"


def bucket(name: str, project: str) -> str:
    """A GCS bucket name: global, so it carries a hash of the project and the stack's name."""
    digest = short_hash(project, name)
    return f"{fit(name, GCS_BUCKET - len(digest) - 1)}-{digest}"


def service_account_id(name: str) -> str:
    """A service account id (6-30 characters, starting with a letter)."""
    return fit(name, SERVICE_ACCOUNT_ID)


def service_account_email(account_id: str, project: str) -> str:
    """The email GCP gives a service account of this id in this project."""
    return f"{account_id}@{project}.iam.gserviceaccount.com"
