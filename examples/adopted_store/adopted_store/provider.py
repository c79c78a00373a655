"""The dynamic provider: checks the directory on create and read, and never deletes it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from provisioner.errors import OperationError


class AdoptedDirectoryProvider(ResourceProvider):
    """Adopts ``path``: create fails unless it is an existing, writable directory."""

    serialize_as_secret_always = False

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        path = news.get("path")
        failures = []
        if not isinstance(path, str) or not os.path.isabs(path):
            failures.append(CheckFailure("path", f"must be an absolute path, got {path!r}"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = olds.get("path") != news.get("path")
        return DiffResult(changes=changed, replaces=["path"] if changed else [], stables=[])

    def create(self, props: dict[str, Any]) -> CreateResult:
        path = Path(props["path"])
        if not path.is_dir():
            raise OperationError(
                f"cannot adopt {path}: it is not an existing directory",
                hint="create it first; this flavor adopts a directory and never creates one",
            )
        if not os.access(path, os.W_OK):
            raise OperationError(f"cannot adopt {path}: it is not writable")
        return CreateResult(str(path), {"path": str(path)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        path = Path(props.get("path") or id_)
        return ReadResult(id_ if path.is_dir() else "", {"path": str(path)})

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({"path": news["path"]})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to do: the directory was there before the stack, and stays after it."""


class AdoptedDirectory(pulumi.dynamic.Resource, module="adopted", name="AdoptedDirectory"):
    """An existing directory, adopted by AdoptedDirectoryProvider."""

    path: pulumi.Output[str]

    def __init__(self, name: str, path: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(AdoptedDirectoryProvider(), name, {"path": path}, opts)
