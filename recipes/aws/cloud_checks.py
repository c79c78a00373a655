"""Check AWS values offline (regions, instance types, EKS versions, tags) against shipped lists."""

from __future__ import annotations

import difflib
import os
import unicodedata
from datetime import date

from pydantic_core import PydanticCustomError

from provisioner.recipes.aws import cloud_data

#: Set to 1 to accept a region, instance type or EKS version newer than the shipped lists.
ALLOW_UNLISTED_ENV = "PROVISIONER_ALLOW_UNLISTED_AWS_VALUES"

#: AWS allows 50 tags per resource; the recipes add up to 5 of their own (stack, managed-by,
#: Name and the Kubernetes subnet tags).
MAX_USER_TAGS = 45

#: Characters IAM, EC2 and the other tagging APIs accept besides letters, digits and spaces.
_TAG_PUNCTUATION = frozenset("_.:/=+-@")


def _allow_unlisted() -> bool:
    return os.environ.get(ALLOW_UNLISTED_ENV, "").strip().lower() in ("1", "true", "yes")


def _refuse(what: str, value: str, choices: list[str]) -> PydanticCustomError:
    close = difflib.get_close_matches(value, choices, n=3, cutoff=0.6)
    suggestion = f"did you mean {' or '.join(close)}? " if close else ""
    return PydanticCustomError(
        "aws_unlisted",
        "{what}; {suggestion}(lists as of {as_of}; if AWS added it since, set "
        "{env}=1 to skip this check)",
        {
            "what": what,
            "suggestion": suggestion,
            "as_of": cloud_data.AS_OF,
            "env": ALLOW_UNLISTED_ENV,
        },
    )


def check_region(region: str) -> str:
    """The region if AWS has it (any partition), else a validation error naming close ones."""
    known = [r for regions in cloud_data.REGIONS.values() for r in regions]
    if region in known or _allow_unlisted():
        return region
    raise _refuse("a known AWS region", region, known)


def _check_type(value: str, families: dict[str, str], prefix: str, what: str) -> str:
    family, _, size = value.removeprefix(prefix).partition(".")
    sizes = families.get(family, "").split()
    if size in sizes or _allow_unlisted():
        return value
    if not sizes:
        raise _refuse(f"a known {what} family", value, [f"{prefix}{f}.{size}" for f in families])
    raise _refuse(
        f"a size {prefix}{family} comes in ({', '.join(sizes)})",
        value,
        [f"{prefix}{family}.{s}" for s in sizes],
    )


def check_instance_type(value: str) -> str:
    """An EC2 instance type (``m5.large``) whose family and size exist, else an error."""
    return _check_type(value, cloud_data.EC2_INSTANCE_TYPES, "", "EC2 instance type")


def check_training_instance_type(value: str) -> str:
    """A SageMaker training instance type (``ml.m5.xlarge``), else an error."""
    return _check_type(
        value, cloud_data.SAGEMAKER_TRAINING_INSTANCE_TYPES, "ml.", "SageMaker instance type"
    )


def check_kubernetes_version(version: str, today: date | None = None) -> str:
    """An EKS version new clusters may use: listed, and its extended support not yet over."""
    if _allow_unlisted():
        return version
    today = today or date.today()
    live = {
        v: dates
        for v, dates in cloud_data.EKS_VERSIONS.items()
        if date.fromisoformat(dates[2]) > today
    }
    if version in live:
        return version
    choices = sorted(live, key=lambda v: tuple(map(int, v.split("."))))
    ended = cloud_data.EKS_VERSIONS.get(version)
    what = (
        f"an EKS version still supported ({version} reached end of extended support on "
        f"{ended[2]}; supported: {', '.join(choices)})"
        if ended
        else f"an EKS Kubernetes version ({', '.join(choices)})"
    )
    raise _refuse(what, version, [])  # the supported versions are listed already


def check_tags(tags: dict[str, str]) -> dict[str, str]:
    """The tags if AWS accepts every one, else a validation error naming the first bad tag."""
    if len(tags) > MAX_USER_TAGS:
        raise PydanticCustomError(
            "aws_tag",
            "at most {most} tags (AWS allows 50 per resource, and the recipes add their own); "
            "{count} given",
            {"most": MAX_USER_TAGS, "count": len(tags)},
        )
    for key, value in tags.items():
        problem = tag_problem(key, value)
        if problem:
            raise PydanticCustomError(
                "aws_tag", "tags AWS accepts; {problem}", {"problem": problem}
            )
    return tags


def tag_problem(key: str, value: str) -> str | None:
    """Why AWS would reject a tag, or None: reserved ``aws:`` keys, lengths, characters."""
    if key.lower().startswith("aws:"):
        return f"tag {key!r}: keys starting with 'aws:' are reserved for AWS"
    if not 1 <= len(key) <= 128:
        return f"tag {key!r}: keys are 1-128 characters"
    if len(value) > 256:
        return f"tag {key!r}: values are at most 256 characters"
    for part, text in (("key", key), ("value", value)):
        bad = sorted({c for c in text if not _tag_char(c)})
        if bad:
            return (
                f"tag {key!r}: the {part} holds {', '.join(map(repr, bad))}; AWS allows only "
                "letters, digits, spaces and _ . : / = + - @"
            )
    return None


def _tag_char(char: str) -> bool:
    return char in _TAG_PUNCTUATION or unicodedata.category(char)[0] in "LZN"
