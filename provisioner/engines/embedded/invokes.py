"""Offline answers to data-source calls (Invoke) for plans computed without provider plugins.

Each answer is a documented placeholder: recognisably fake values (account ``123456789012``,
region ``us-east-1``, zero UUIDs) that let a program finish so the plan can list its
resources. Calls with no placeholder are answered with an empty result (every field unknown).
The plan's notes name each call answered this way.
"""

from __future__ import annotations

from typing import Any

PLACEHOLDER_ACCOUNT = "123456789012"
PLACEHOLDER_REGION = "us-east-1"
PLACEHOLDER_PROJECT = "offline-project"
ZERO_UUID = "00000000-0000-0000-0000-000000000000"


def _aws_region(args: dict[str, Any]) -> str:
    return str(args.get("region") or args.get("name") or PLACEHOLDER_REGION)


def _zone_id_prefix(region: str) -> str:
    """AWS's zone-id prefix for a region: eu-west-1 -> euw1, us-east-2 -> use2."""
    parts = region.split("-")
    if len(parts) < 3:
        return "offline"
    return parts[0] + "".join(p[0] for p in parts[1:-1]) + parts[-1]


def _azs(args: dict[str, Any]) -> dict[str, Any]:
    region = _aws_region(args)
    prefix = _zone_id_prefix(region)
    return {
        "id": region,
        "names": [f"{region}{s}" for s in "abc"],
        "zoneIds": [f"{prefix}-az{i}" for i in (1, 2, 3)],
        "groupNames": [region] * 3,
    }


_PLACEHOLDERS: dict[str, Any] = {
    "aws:index/getCallerIdentity:getCallerIdentity": lambda a: {
        "id": PLACEHOLDER_ACCOUNT,
        "accountId": PLACEHOLDER_ACCOUNT,
        "arn": f"arn:aws:iam::{PLACEHOLDER_ACCOUNT}:user/offline-plan",
        "userId": "OFFLINEPLAN",
    },
    "aws:index/getRegion:getRegion": lambda a: {
        "id": _aws_region(a),
        "name": _aws_region(a),
        "region": _aws_region(a),
        "endpoint": f"ec2.{_aws_region(a)}.amazonaws.com",
        "description": "offline placeholder",
    },
    "aws:index/getPartition:getPartition": lambda a: {
        "id": "aws",
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws",
    },
    "aws:index/getAvailabilityZones:getAvailabilityZones": _azs,
    "gcp:organizations/getProject:getProject": lambda a: {
        "id": f"projects/{a.get('projectId') or PLACEHOLDER_PROJECT}",
        "projectId": a.get("projectId") or PLACEHOLDER_PROJECT,
        "number": "000000000000",
        "name": a.get("projectId") or PLACEHOLDER_PROJECT,
    },
    "gcp:organizations/getClientConfig:getClientConfig": lambda a: {
        "id": "offline",
        "project": PLACEHOLDER_PROJECT,
        "region": "us-central1",
        "zone": "us-central1-a",
    },
    "azure-native:authorization:getClientConfig": lambda a: {
        "clientId": ZERO_UUID,
        "objectId": ZERO_UUID,
        "subscriptionId": ZERO_UUID,
        "tenantId": ZERO_UUID,
    },
    "azure-native:authorization/getClientConfig:getClientConfig": lambda a: {
        "clientId": ZERO_UUID,
        "objectId": ZERO_UUID,
        "subscriptionId": ZERO_UUID,
        "tenantId": ZERO_UUID,
    },
}


def answer(token: str, args: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The offline answer to a data-source call.

    Returns:
        (result, placeholder): ``placeholder`` is False when the result is empty (unknown).
    """
    make = _PLACEHOLDERS.get(token)
    if make is None:
        return {}, False
    return make(args), True
