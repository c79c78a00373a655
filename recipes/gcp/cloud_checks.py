"""Check GCP values offline (regions, labels) against GCP's rules and the shipped lists."""

from __future__ import annotations

import difflib
import os
import re

from pydantic_core import PydanticCustomError

from provisioner.recipes.gcp import cloud_data

#: Set to 1 to accept a region newer than the shipped list.
ALLOW_UNLISTED_ENV = "PROVISIONER_ALLOW_UNLISTED_GCP_VALUES"

#: GCP allows 64 labels per resource; the recipes add 2 of their own (stack, managed-by).
MAX_USER_LABELS = 62

_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")


def _allow_unlisted() -> bool:
    return os.environ.get(ALLOW_UNLISTED_ENV, "").strip().lower() in ("1", "true", "yes")


def check_region(region: str) -> str:
    """The region if GCP has it, else a validation error naming close ones."""
    if region in cloud_data.REGIONS or _allow_unlisted():
        return region
    close = difflib.get_close_matches(region, cloud_data.REGIONS, n=3, cutoff=0.6)
    suggestion = f"did you mean {' or '.join(close)}? " if close else ""
    raise PydanticCustomError(
        "gcp_unlisted",
        "a known GCP region; {suggestion}(list as of {as_of}; if Google added it since, set "
        "{env}=1 to skip this check)",
        {"suggestion": suggestion, "as_of": cloud_data.AS_OF, "env": ALLOW_UNLISTED_ENV},
    )


def label_problem(key: str, value: str) -> str | None:
    """Why GCP would reject a label, or None.

    Keys: 1-63 characters, lowercase letters, digits, ``_`` and ``-``, starting with a
    lowercase letter. Values: at most 63 of the same characters (may be empty).
    """
    if not _LABEL_KEY.match(key):
        return (
            f"label {key!r}: keys are 1-63 lowercase letters, digits, '_' or '-', starting "
            "with a lowercase letter"
        )
    if not _LABEL_VALUE.match(value):
        return f"label {key!r}: values are at most 63 lowercase letters, digits, '_' or '-'"
    return None


def check_labels(labels: dict[str, str]) -> dict[str, str]:
    """The labels (the definition's ``tags``) if GCP accepts every one, else an error."""
    if len(labels) > MAX_USER_LABELS:
        raise PydanticCustomError(
            "gcp_label",
            "at most {most} labels (GCP allows 64 per resource, and the recipes add their own); "
            "{count} given",
            {"most": MAX_USER_LABELS, "count": len(labels)},
        )
    for key, value in labels.items():
        problem = label_problem(key, value)
        if problem:
            raise PydanticCustomError(
                "gcp_label", "labels GCP accepts; {problem}", {"problem": problem}
            )
    return labels
