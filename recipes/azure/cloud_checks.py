"""Check Azure values offline (locations, AKS versions, tags) against shipped lists and rules."""

from __future__ import annotations

import difflib
import os
from datetime import date

from pydantic_core import PydanticCustomError

from provisioner.recipes.azure import cloud_data

#: Set to 1 to accept a location or AKS version newer than the shipped lists.
ALLOW_UNLISTED_ENV = "PROVISIONER_ALLOW_UNLISTED_AZURE_VALUES"

#: Azure allows 50 tags per resource; the recipes add 2 of their own (stack, managed-by).
MAX_USER_TAGS = 48

#: Characters Azure refuses in tag names.
_BAD_KEY_CHARS = frozenset("<>%&\\?/")
#: Prefixes Azure reserves for its own tags.
_RESERVED = ("azure", "microsoft", "windows")


def _allow_unlisted() -> bool:
    return os.environ.get(ALLOW_UNLISTED_ENV, "").strip().lower() in ("1", "true", "yes")


def _refuse(what: str, value: str, choices: list[str]) -> PydanticCustomError:
    close = difflib.get_close_matches(value, choices, n=3, cutoff=0.6)
    suggestion = f"did you mean {' or '.join(close)}? " if close else ""
    return PydanticCustomError(
        "azure_unlisted",
        "{what}; {suggestion}(lists as of {as_of}; if Azure added it since, set "
        "{env}=1 to skip this check)",
        {
            "what": what,
            "suggestion": suggestion,
            "as_of": cloud_data.AS_OF,
            "env": ALLOW_UNLISTED_ENV,
        },
    )


def check_location(location: str) -> str:
    """The location if Azure has it, else a validation error naming close ones."""
    if location in cloud_data.LOCATIONS or _allow_unlisted():
        return location
    raise _refuse("a known Azure location", location, list(cloud_data.LOCATIONS))


def check_kubernetes_version(version: str, today: date | None = None) -> str:
    """An AKS version new clusters may use: listed, and its standard support not yet over."""
    if _allow_unlisted():
        return version
    today = today or date.today()
    live = {v for v, (_, end) in cloud_data.AKS_VERSIONS.items() if date.fromisoformat(end) > today}
    if version in live:
        return version
    choices = ", ".join(sorted(live, key=lambda v: tuple(map(int, v.split(".")))))
    ended = cloud_data.AKS_VERSIONS.get(version)
    what = (
        f"an AKS version still supported ({version} left standard support on {ended[1]}; "
        f"supported: {choices})"
        if ended
        else f"an AKS Kubernetes version ({choices})"
    )
    raise _refuse(what, version, [])


def check_tags(tags: dict[str, str]) -> dict[str, str]:
    """The tags if Azure accepts every one, else a validation error naming the first bad tag."""
    if len(tags) > MAX_USER_TAGS:
        raise PydanticCustomError(
            "azure_tag",
            "at most {most} tags (Azure allows 50 per resource, and the recipes add their own); "
            "{count} given",
            {"most": MAX_USER_TAGS, "count": len(tags)},
        )
    for key, value in tags.items():
        problem = tag_problem(key, value)
        if problem:
            raise PydanticCustomError(
                "azure_tag", "tags Azure accepts; {problem}", {"problem": problem}
            )
    return tags


def tag_problem(key: str, value: str) -> str | None:
    """Why Azure would refuse a tag, or None: reserved prefixes, lengths, characters."""
    if key.lower().startswith(_RESERVED):
        return f"tag {key!r}: names starting with azure, microsoft or windows are reserved"
    if not 1 <= len(key) <= 512:
        return f"tag {key!r}: names are 1-512 characters"
    if len(value) > 256:
        return f"tag {key!r}: values are at most 256 characters"
    bad = sorted(c for c in set(key) if c in _BAD_KEY_CHARS)
    if bad:
        return (
            f"tag {key!r}: the name holds {', '.join(map(repr, bad))}; Azure refuses < > % & \\ ? /"
        )
    if key != key.strip() or value != value.strip():
        return f"tag {key!r}: Azure trims leading and trailing spaces; remove them"
    return None
