"""Test-only dynamic provider: each resource is a file; every call is journaled."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import (
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)


class FileProvider(ResourceProvider):
    """Files under a test's tmp_path; ``path`` forces a replace, ``content`` updates in place.

    Args:
        journal: file that gets one line per provider call (``create <path>`` ...).
    """

    def __init__(self, journal: str) -> None:
        super().__init__()
        self.journal = journal

    def _log(self, line: str) -> None:
        with open(self.journal, "a") as f:
            f.write(line + "\n")

    def _outs(self, path: str, content: str) -> dict[str, Any]:
        return {"path": path, "content": content, "size": len(content)}

    def create(self, props: dict[str, Any]) -> CreateResult:
        if props.get("fail"):
            raise RuntimeError(f"cannot write {props['path']}: {props['fail']}")
        time.sleep(float(props.get("delay", 0)))
        path = Path(props["path"])
        if path.exists():
            raise FileExistsError(f"{path} already exists")
        path.write_text(props["content"])
        self._log(f"create {props['path']}")
        return CreateResult(str(path), self._outs(str(path), props["content"]))

    def adopt(self, props: dict[str, Any]) -> CreateResult | None:
        path = Path(props["path"])
        self._log(f"adopt {props['path']}")
        if not path.exists():
            return None
        return CreateResult(str(path), self._outs(str(path), path.read_text()))

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = ["path"] if olds.get("path") != news.get("path") else []
        changed = bool(replaces) or olds.get("content") != news.get("content")
        return DiffResult(changes=changed, replaces=replaces)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if news.get("fail"):
            raise RuntimeError(f"cannot update {id_}: {news['fail']}")
        Path(id_).write_text(news["content"])
        self._log(f"update {id_}")
        return UpdateResult(self._outs(id_, news["content"]))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        Path(id_).unlink(missing_ok=True)
        self._log(f"delete {id_}")

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        path = Path(id_)
        if not path.exists():
            return ReadResult(None, {})
        outs = self._outs(id_, path.read_text())
        return ReadResult(id_, outs, {"path": id_, "content": outs["content"]})


class File(Resource):
    """A file managed by :class:`FileProvider`."""

    path: pulumi.Output[str]
    content: pulumi.Output[str]
    size: pulumi.Output[float]

    def __init__(
        self,
        name: str,
        path: Any,
        content: Any,
        journal: str,
        opts: pulumi.ResourceOptions | None = None,
        fail: str | None = None,
        delay: float = 0,
    ) -> None:
        props = {"path": path, "content": content, "size": None}
        if fail:
            props["fail"] = fail
        if delay:
            props["delay"] = delay
        super().__init__(FileProvider(journal), name, props, opts)


class Folder(pulumi.ComponentResource):
    """A component holding two files, the second one depending on the first."""

    def __init__(
        self,
        name: str,
        root: str,
        journal: str,
        content: str = "v1",
        second: str = "b.txt",
        opts: pulumi.ResourceOptions | None = None,
        dbr: bool = False,
        delay: float = 0,
    ) -> None:
        super().__init__("provisioner:test:Folder", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.a = File(f"{name}-a", f"{root}/a.txt", content, journal, child, delay=delay)
        self.b = File(
            f"{name}-b",
            f"{root}/{second}",
            self.a.size.apply(lambda s: f"a has {int(s)} bytes"),
            journal,
            pulumi.ResourceOptions(parent=self, depends_on=[self.a], delete_before_replace=dbr),
        )
        self.register_outputs({"a": self.a.path, "b": self.b.path})
