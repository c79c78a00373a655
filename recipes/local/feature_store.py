"""Recipe: a Feast feature repository's home on this machine (registry file, sqlite online
store), with its offline data as files in the stack's artifact store."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.recipes.local import paths
from provisioner.recipes.local.flavors import LocalFeastConfig
from provisioner.recipes.local.providers.directory import LocalDirectory, LocalDirectoryArgs

#: Folder of the offline data (Parquet files of the feature views' sources) in the store.
OFFLINE_FOLDER = "feature_store"


def feast_project(stack: str) -> str:
    """The Feast project of a stack: its name with ``_`` for ``-`` (Feast allows no dashes)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", stack)


@dataclass(frozen=True)
class LocalFeastArgs:
    """Inputs of a LocalFeast.

    Attributes:
        path: absolute directory holding the registry and the online store.
        project: the Feast project.
        force_destroy: let a destroy delete the directory while it holds the registry.
    """

    path: str
    project: str
    force_destroy: bool = False

    @classmethod
    def from_config(cls, config: LocalFeastConfig, ctx: RecipeContext) -> LocalFeastArgs:
        """Args from the flavor config; the default path is ``<home>/feature_store/<stack>``."""
        path = paths.resolve_dir(config.path, paths.feature_store_dir(ctx.spec.name), ctx.base_dir)
        return cls(
            path=path,
            project=config.project or feast_project(ctx.spec.name),
            force_destroy=config.force_destroy,
        )


def offline_root(store_uri: str) -> str:
    """Where the offline data lives: a folder of the artifact store."""
    return f"{store_uri.rstrip('/')}/{OFFLINE_FOLDER}"


class LocalFeast(pulumi.ComponentResource):
    """The home of a Feast repository: a directory for its registry file and sqlite online
    store; the offline store is a folder of files in the artifact store.

    Connection: ``{"project", "registry", "online_store": {"type": "sqlite", "path"},
    "offline_store": {"type": "file", "root"}}``.
    """

    TYPE = "provisioner:local:Feast"

    def __init__(
        self,
        name: str,
        config: LocalFeastConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        self.args = args = LocalFeastArgs.from_config(config, ctx)
        self.home = LocalDirectory(
            f"{name}-home",
            LocalDirectoryArgs(
                path=args.path,
                purpose="feature store",
                guard_data=True,
                force_destroy=args.force_destroy,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        store = ctx.components.get(ComponentType.ARTIFACT_STORE)
        if store is None or "uri" not in getattr(store, "connection", {}):
            raise UserInputError(
                f"the feast feature_store {name!r} needs an artifact_store of flavor 'local' "
                "in the same stack (its offline data lives there)"
            )
        self.connection: dict[str, Any] = {
            "project": args.project,
            "registry": self.home.path.apply(lambda p: f"{p}/registry.db"),
            "online_store": {
                "type": "sqlite",
                "path": self.home.path.apply(lambda p: f"{p}/online_store.db"),
            },
            "offline_store": {"type": "file", "root": store.connection["uri"].apply(offline_root)},
        }
        self.register_outputs({"path": self.home.path, "connection": self.connection})
