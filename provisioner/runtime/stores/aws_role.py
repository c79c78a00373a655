"""An AWS session acting as the role a stack config names (``auth.method: aws-role``)."""

from __future__ import annotations

from typing import Any

#: How the runtime's sessions appear in CloudTrail.
SESSION_NAME = "provisioner-runtime"


def assume(base: Any, role_arn: str, *, region: str, sts_endpoint_url: str | None = None) -> Any:
    """A boto3 session whose credentials come from assuming ``role_arn`` with ``base``'s.

    The credentials are fetched on first use and refreshed before they expire, so a pipeline
    longer than the role's session duration keeps working.

    Args:
        base: the boto3 session holding the caller's own credentials.
        role_arn: the role to assume (the stack user role).
        region: the region for STS and the returned session.
        sts_endpoint_url: an STS endpoint override (moto, a VPC endpoint); None for AWS.
    """
    import boto3
    import botocore.session
    from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials

    source = base._session  # the botocore session behind the boto3 one

    def create_client(service: str, **kwargs: Any) -> Any:
        kwargs.setdefault("region_name", region)
        if sts_endpoint_url:
            kwargs["endpoint_url"] = sts_endpoint_url
        return source.create_client(service, **kwargs)

    fetcher = AssumeRoleCredentialFetcher(
        create_client,
        source.get_credentials(),
        role_arn,
        extra_args={"RoleSessionName": SESSION_NAME},
    )
    assumed = botocore.session.Session()
    # botocore has no public setter; this is how its own assume-role provider hands them over.
    assumed._credentials = DeferredRefreshableCredentials(
        refresh_using=fetcher.fetch_credentials, method="assume-role"
    )
    return boto3.session.Session(botocore_session=assumed, region_name=region)
