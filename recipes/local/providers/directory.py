"""A local directory as a Pulumi dynamic resource: created, checked for drift, guarded on delete."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
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

#: Inputs the provider reads; everything else in the state is an output.
INPUT_KEYS = ("path", "purpose", "guard_data", "force_destroy")


def _count_entries(path: Path, limit: int = 1000) -> int:
    """How many files and folders ``path`` holds, counting at most ``limit``."""
    count = 0
    for _root, dirs, files in os.walk(path):
        count += len(dirs) + len(files)
        if count >= limit:
            break
    return count


def _outs(props: dict[str, Any], created: bool) -> dict[str, Any]:
    outs = {key: props.get(key) for key in INPUT_KEYS}
    outs["created"] = created
    return outs


class LocalDirectoryProvider(ResourceProvider):
    """Creates a directory; deletes it only if it created it.

    Inputs: ``path`` (absolute), ``purpose`` (words for messages, e.g. "artifact store"),
    ``guard_data`` (refuse to delete a non-empty directory), ``force_destroy`` (delete it
    anyway). Outputs: the inputs plus ``created`` (whether this provider made it). The id is
    the path, so a lost create can be adopted.
    """

    serialize_as_secret_always = False

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = []
        path = news.get("path")
        if not isinstance(path, str) or not os.path.isabs(path):
            failures.append(CheckFailure("path", f"must be an absolute path, got {path!r}"))
        for key in ("guard_data", "force_destroy"):
            if not isinstance(news.get(key, False), bool):
                failures.append(CheckFailure(key, f"must be true or false, got {news[key]!r}"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [k for k in INPUT_KEYS if olds.get(k) != news.get(k)]
        replaces = [k for k in changed if k == "path"]
        return DiffResult(changes=bool(changed), replaces=replaces, stables=[])

    def create(self, props: dict[str, Any]) -> CreateResult:
        path = Path(props["path"])
        if path.exists() and not path.is_dir():
            raise OperationError(f"{_purpose(props)} path {path} exists and is not a directory")
        created = not path.exists()
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            what = f"{_purpose(props)} directory {path}"
            raise OperationError(f"cannot create {what}: {exc}") from exc
        return CreateResult(str(path), _outs(props, created))

    def adopt(self, props: dict[str, Any]) -> CreateResult | None:
        """Find the directory a create that crashed half-way may have made.

        Returns:
            The result that create would have returned, or None if the directory is absent.
            An empty directory counts as made by us; one holding data never does, so a
            later delete cannot remove data it is not sure it owns.
        """
        path = Path(props["path"])
        if not path.is_dir():
            return None
        return CreateResult(str(path), _outs(props, _count_entries(path, 1) == 0))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        path = Path(props.get("path") or id_)
        if not path.is_dir():
            return ReadResult("", {})
        # An import reads with the ID alone: the path is the ID; it did not create it.
        return ReadResult(id_, _outs({**props, "path": str(path)}, bool(props.get("created"))))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(_outs(news, bool(olds.get("created"))))

    def check_delete(self, id_: str, props: dict[str, Any]) -> str | None:
        """Why ``delete`` would refuse, or None; changes nothing."""
        path = Path(props.get("path") or id_)
        if not props.get("created") or not path.exists():
            return None
        if not path.is_dir():
            return f"{_purpose(props)} path {path} is no longer a directory"
        entries = _count_entries(path)
        if entries and props.get("guard_data") and not props.get("force_destroy"):
            more = "+" if entries >= 1000 else ""
            return (
                f"refusing to delete {_purpose(props)} directory {path}: "
                f"it is not empty ({entries}{more} entries)"
            )
        return None

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        refusal = self.check_delete(id_, props)
        if refusal:
            raise OperationError(
                refusal,
                hint="Move or delete the data yourself, or set `force_destroy: true` in the "
                "component's config and deploy once before destroying.",
            )
        path = Path(props.get("path") or id_)
        if not props.get("created") or not path.exists():
            return
        shutil.rmtree(path, ignore_errors=False)


def _purpose(props: dict[str, Any]) -> str:
    return str(props.get("purpose") or "local")


@dataclass(frozen=True)
class LocalDirectoryArgs:
    """Inputs of a LocalDirectory.

    Attributes:
        path: absolute directory path.
        purpose: what the directory is for, used in messages.
        guard_data: refuse to delete it while it holds files.
        force_destroy: delete it with its files anyway.
    """

    path: str
    purpose: str
    guard_data: bool = False
    force_destroy: bool = False


class LocalDirectory(pulumi.dynamic.Resource, module="provisioner", name="LocalDirectory"):
    """A directory on this machine, managed by LocalDirectoryProvider."""

    path: pulumi.Output[str]
    created: pulumi.Output[bool]

    def __init__(
        self, name: str, args: LocalDirectoryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = {
            "path": args.path,
            "purpose": args.purpose,
            "guard_data": args.guard_data,
            "force_destroy": args.force_destroy,
            "created": None,
        }
        super().__init__(LocalDirectoryProvider(), name, props, opts)
