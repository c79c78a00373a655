"""The ``feast`` feature store client: Feast run in-process from the stack config's connection.

Feast takes seconds to import, so nothing here imports it until the first call.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from provisioner.errors import UserInputError
from provisioner.runtime.components.base import import_sdk
from provisioner.runtime.components.feature_store import (
    FeatureInfo,
    FeatureStore,
    FeatureViewInfo,
)
from provisioner.runtime.keys import check_name

#: Environment variable Feast's S3 registry store reads for an endpoint override.
S3_ENDPOINT_ENV = "FEAST_S3_ENDPOINT_URL"


class FeastFeatureStore(FeatureStore):
    """Feast with the registry, online store and offline store the recipe set up.

    Connection: ``{"project", "registry", "online_store": {"type": "sqlite", "path"} |
    {"type": "dynamodb", "region", "table_prefix"}, "offline_store": {"type": "file",
    "root"}}``. The stack config's ``endpoints.s3`` and ``endpoints.dynamodb`` (loopback
    emulators, or hosts the reader trusts) are honoured.
    """

    def __init__(self, connection: Any, stack: Any) -> None:
        super().__init__(connection, stack)
        self._store: Any = None
        self._lock = threading.Lock()

    @property
    def project(self) -> str:
        return str(self.config["project"])

    def repo_config(self) -> dict[str, Any]:
        """The Feast ``RepoConfig`` fields this connection gives (no Feast import)."""
        online = dict(self.config.get("online_store") or {})
        kind = online.get("type")
        if kind == "sqlite":
            online_store: dict[str, Any] = {"type": "sqlite", "path": online["path"]}
            provider = "local"
        elif kind == "dynamodb":
            online_store = {
                "type": "dynamodb",
                "region": online["region"],
                "table_name_template": online.get("table_prefix", "{project}") + ".{table_name}",
            }
            endpoint = self._endpoint("dynamodb")
            if endpoint:
                online_store["endpoint_url"] = endpoint
            provider = "aws"
        else:
            raise UserInputError(
                f"stack {self.stack.name!r}: feature_store online_store type {kind!r} is not "
                "one this client knows (sqlite, dynamodb)"
            )
        registry = str(self.config["registry"])
        fields: dict[str, Any] = {
            "project": self.project,
            "provider": provider,
            "registry": {"registry_type": "file", "path": registry, "cache_ttl_seconds": 60},
            "online_store": online_store,
            "offline_store": {"type": "file"},
            "entity_key_serialization_version": 3,
        }
        if "://" not in registry:
            fields["repo_path"] = str(Path(registry).parent)
        return fields

    def _endpoint(self, service: str) -> str | None:
        url = self.stack.endpoints.get(service)
        if not url:
            return None
        from provisioner.runtime.stores.endpoints import check_endpoint

        return check_endpoint(url, f"endpoints.{service}").url

    @property
    def feast(self) -> Any:
        """The ``feast.FeatureStore``, built on first use (this imports Feast)."""
        with self._lock:
            if self._store is None:
                if "://" in str(self.config["registry"]):
                    endpoint = self._endpoint("s3")
                    if endpoint:  # Feast's S3 registry reads only this variable
                        os.environ[S3_ENDPOINT_ENV] = endpoint
                if self.repo_config()["provider"] == "aws":
                    self._use_stack_aws_auth()
                feast = import_sdk("feast", "feast")
                config = feast.RepoConfig(**self.repo_config())
                self._store = feast.FeatureStore(config=config)
            return self._store

    def _use_stack_aws_auth(self) -> None:
        """Make the stack config's AWS profile or role what Feast's boto3 clients act as.

        Feast builds its S3 and DynamoDB clients from boto3's default session, so that is
        what is set (only when the stack names a profile or a role; otherwise boto3's own
        chain applies, as for every other AWS client of the runtime).
        """
        auth = self.stack.auth
        role = auth.aws_role_arn if auth.method == "aws-role" else None
        if not auth.aws_profile and not role:
            return
        boto3 = import_sdk("boto3", "aws")
        region = (self.config.get("online_store") or {}).get("region")
        session = boto3.session.Session(profile_name=auth.aws_profile, region_name=region)
        if role:
            from provisioner.runtime.stores.aws_role import assume

            session = assume(
                session,
                role,
                region=region or session.region_name or "us-east-1",
                sts_endpoint_url=self._endpoint("sts"),
            )
        boto3.DEFAULT_SESSION = session

    def apply(self, objects: list[Any]) -> None:
        self.feast.apply(list(objects))

    def get_historical_features(self, entity_df: Any, features: list[str]) -> Any:
        job = self.feast.get_historical_features(entity_df=entity_df, features=list(features))
        return job.to_df()

    def materialize(
        self, start: datetime, end: datetime, feature_views: list[str] | None = None
    ) -> None:
        self.feast.materialize(start_date=start, end_date=end, feature_views=feature_views)

    def get_online_features(
        self, features: list[str], entity_rows: list[dict[str, Any]]
    ) -> dict[str, list[Any]]:
        response = self.feast.get_online_features(
            features=list(features), entity_rows=list(entity_rows)
        )
        return response.to_dict()

    def list_feature_views(self) -> list[FeatureViewInfo]:
        views = self.feast.list_feature_views(allow_cache=False)
        return [_describe(view) for view in sorted(views, key=lambda v: v.name)]

    def offline_path(self, name: str) -> str:
        check_name(name.removesuffix(".parquet"), "source name")
        offline = self.config.get("offline_store") or {}
        root = str(offline.get("root", "")).rstrip("/")
        if not root:
            raise UserInputError(
                f"stack {self.stack.name!r}: the feature store has no offline root"
            )
        filename = name if name.endswith(".parquet") else f"{name}.parquet"
        return f"{root}/{filename}"

    def write_source(self, name: str, df: Any) -> str:
        path = self.offline_path(name)
        if "://" in path:
            raise UserInputError(
                f"write_source writes local files; the offline store of stack "
                f"{self.stack.name!r} is {path}: upload the Parquet file there yourself"
            )
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        df.to_parquet(path, index=False)
        return path


def _describe(view: Any) -> FeatureViewInfo:
    """What ``feature list`` shows of a Feast feature view."""
    source = getattr(view, "batch_source", None)
    where = getattr(source, "path", None) or getattr(source, "name", None) or ""
    ttl = getattr(view, "ttl", None)
    return FeatureViewInfo(
        name=view.name,
        entities=list(view.entities),
        features=[FeatureInfo(f.name, str(f.dtype)) for f in view.features],
        ttl_seconds=ttl.total_seconds() if ttl else None,
        source=str(where),
        online=bool(getattr(view, "online", True)),
        tags=dict(getattr(view, "tags", {}) or {}),
    )
