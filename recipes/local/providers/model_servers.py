"""The model servers a local deployer started, as a dynamic resource: stopped on delete.

``deploy()`` starts model servers at run time and records them in the artifact store
(``deployments/<name>.json``); this resource owns them for the stack, so ``stack destroy``
stops every one and removes their logs.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, ReadResult, ResourceProvider

from provisioner.recipes.local.providers import process

DEPLOYMENTS = "deployments"


def recorded_servers(store_dir: Path) -> list[dict[str, Any]]:
    """The deployment records in a local artifact store (unreadable ones are skipped)."""
    folder = store_dir / DEPLOYMENTS
    out = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            out.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    return out


class LocalModelServersProvider(ResourceProvider):
    """Inputs: ``service_dir`` (logs of the servers) and ``store_dir`` (the artifact store
    holding their records). Create makes the service dir; delete stops every recorded server
    and removes the service dir and the records."""

    serialize_as_secret_always = False

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = [
            CheckFailure(key, f"must be an absolute path, got {news.get(key)!r}")
            for key in ("service_dir", "store_dir")
            if not isinstance(news.get(key), str) or not os.path.isabs(news[key])
        ]
        return CheckResult(news, failures)

    def create(self, props: dict[str, Any]) -> CreateResult:
        Path(props["service_dir"]).mkdir(parents=True, exist_ok=True, mode=0o700)
        return CreateResult(props["service_dir"], {**props, "servers": 0})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if not Path(props.get("service_dir") or id_).is_dir():
            return ReadResult("", {})
        running = [
            r
            for r in recorded_servers(Path(props["store_dir"]))
            if process.pid_alive(r.get("pid"), r.get("model_path"))
        ]
        return ReadResult(id_, {**props, "servers": len(running)})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        store_dir = Path(props["store_dir"])
        for record in recorded_servers(store_dir):
            process.stop_process(record.get("pid"), record.get("model_path"), group=True)
            name = record.get("name")
            if isinstance(name, str) and name:
                (store_dir / DEPLOYMENTS / f"{name}.json").unlink(missing_ok=True)
        shutil.rmtree(props.get("service_dir") or id_, ignore_errors=True)


@dataclass(frozen=True)
class LocalModelServersArgs:
    """Inputs of LocalModelServers.

    Attributes:
        service_dir: absolute folder of the servers' logs.
        store_dir: absolute folder of the local artifact store holding their records.
    """

    service_dir: str
    store_dir: Any


class LocalModelServers(pulumi.dynamic.Resource, module="provisioner", name="LocalModelServers"):
    """The model servers of a local deployer, stopped when the stack is destroyed."""

    servers: pulumi.Output[int]

    def __init__(
        self, name: str, args: LocalModelServersArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = {"service_dir": args.service_dir, "store_dir": args.store_dir, "servers": None}
        super().__init__(LocalModelServersProvider(), name, props, opts)
