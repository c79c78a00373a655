"""Build engine-event streams in the Pulumi CLI's JSON format (one event per ``--event-log`` line).

The shape follows ``sdk/go/common/apitype/events.go`` and how the CLI fills it in:

- every event carries ``sequence`` and ``timestamp``, and a stream ends with ``cancelEvent``;
- property values are serialized with secrets *blinded* (``ciphertext: "[secret]"``), never
  in plaintext, and unknowns as the unknown sentinel;
- diagnostics carry colour markup: errors and warnings have a ``prefix`` such as
  ``<{%fg 1%}>error: <{%reset%}>``, and every message starts with a reset code;
- ``same``, ``create``, ``update``, ``delete`` and ``replace`` steps are ``logical``; the
  ``create-replacement``/``delete-replaced`` halves of a replacement are not, and
  ``delete-replaced`` carries no keys, diffs or detailed diff;
- a refresh reports ``refresh`` before reading a resource (with ``new`` set) and the result
  (``same``, ``update`` or ``delete``) when done;
- summary events carry the operation's ``result``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
#: A secret as the CLI writes it into engine events: always blinded.
SECRET = {SIG: SECRET_SIG, "ciphertext": "[secret]"}
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

RESET = "<{%reset%}>"
PREFIX = {
    "error": "<{%fg 1%}>error: " + RESET,
    "warning": "<{%fg 3%}>warning: " + RESET,
    "debug": RESET + "debug: " + RESET,
}
LOGICAL_OPS = ("same", "create", "update", "delete", "replace")


@dataclass(frozen=True)
class Res:
    """A resource of the stack: its type, name, parent and provider."""

    type: str
    name: str
    parent: Res | None = None
    custom: bool = True
    provider: str = ""  # the provider reference, ``<provider urn>::<provider id>``
    project: str = "provisioner"
    stack: str = "dev"

    @property
    def urn(self) -> str:
        chain = [self.type]
        parent = self.parent
        while parent is not None and parent.type != "pulumi:pulumi:Stack":
            chain.insert(0, parent.type)
            parent = parent.parent
        return f"urn:pulumi:{self.stack}::{self.project}::{'$'.join(chain)}::{self.name}"

    def state(
        self,
        inputs: dict[str, Any] | None = None,
        outputs: dict[str, Any] | None = None,
        *,
        id: str = "",
        delete: bool = False,
    ) -> dict[str, Any]:
        """The resource's ``StepEventStateMetadata`` (fields in the CLI's order)."""
        out: dict[str, Any] = {"type": self.type, "urn": self.urn}
        if self.custom:
            out["custom"] = True
        if delete:
            out["delete"] = True
        out["id"] = id
        out["parent"] = self.parent.urn if self.parent else ""
        out["inputs"] = inputs or {}
        out["outputs"] = outputs or {}
        out["provider"] = self.provider
        return out


@dataclass
class Stream:
    """One operation's events, numbered and time-stamped as the CLI writes them."""

    preview: bool = False
    start: int = 1764513600
    events: list[dict[str, Any]] = field(default_factory=list)

    def _emit(self, kind: str, body: dict[str, Any], seconds: int = 0) -> None:
        stamp = self.start + seconds + len(self.events) // 3
        self.events.append({"sequence": len(self.events) + 1, "timestamp": stamp, kind: body})

    def prelude(self, config: dict[str, str]) -> None:
        self._emit("preludeEvent", {"config": config})

    def step(
        self,
        kind: str,
        op: str,
        res: Res,
        old: dict[str, Any] | None,
        new: dict[str, Any] | None,
        *,
        keys: list[str] | None = None,
        diffs: list[str] | None = None,
        detailed: dict[str, tuple[str, bool]] | None = None,
        logical: bool | None = None,
        status: int = 0,
    ) -> None:
        """A ``resourcePreEvent``, ``resOutputsEvent`` or ``resOpFailedEvent``.

        Args:
            detailed: property path -> (diff kind, input diff).
            logical: default: whether ``op`` is one of the logical operations.
        """
        md: dict[str, Any] = {"op": op, "urn": res.urn, "type": res.type, "old": old, "new": new}
        if keys:
            md["keys"] = keys
        if diffs:
            md["diffs"] = diffs
        md["detailedDiff"] = (
            {p: {"diffKind": k, "inputDiff": i} for p, (k, i) in detailed.items()}
            if detailed is not None
            else None
        )
        if op in LOGICAL_OPS if logical is None else logical:
            md["logical"] = True
        md["provider"] = res.provider
        if kind == "resOpFailedEvent":
            self._emit(kind, {"metadata": md, "status": status, "steps": 1})
            return
        body: dict[str, Any] = {"metadata": md}
        if self.preview:
            body["planning"] = True
        self._emit(kind, body)

    def pre(self, op: str, res: Res, old: Any, new: Any, **diff: Any) -> None:
        self.step("resourcePreEvent", op, res, old, new, **diff)

    def done(self, op: str, res: Res, old: Any, new: Any, **diff: Any) -> None:
        self.step("resOutputsEvent", op, res, old, new, **diff)

    def both(self, op: str, res: Res, old: Any, new: Any, done: Any = None, **diff: Any) -> None:
        """A pre-event and an outputs event; ``done`` is the new state once applied."""
        self.pre(op, res, old, new, **diff)
        self.done(op, res, old, new if done is None else done, **diff)

    def failed(self, op: str, res: Res, old: Any, new: Any, **diff: Any) -> None:
        self.step("resOpFailedEvent", op, res, old, new, **diff)

    def diag(self, severity: str, text: str, res: Res | None = None) -> None:
        body: dict[str, Any] = {}
        if res is not None:
            body["urn"] = res.urn
        if severity in PREFIX:
            body["prefix"] = PREFIX[severity]
        body.update(message=f"{RESET}{text}{RESET}\n", color="raw", severity=severity)
        self._emit("diagnosticEvent", body)

    def summary(self, changes: dict[str, int], result: str = "succeeded") -> None:
        self._emit(
            "summaryEvent",
            {
                "maybeCorrupt": False,
                "durationSeconds": len(self.events) // 3 + 1,
                "resourceChanges": changes,
                "PolicyPacks": {},
                "isPreview": self.preview,
                "result": result,
            },
        )
        self._emit("cancelEvent", {})

    def write(self, path: Path) -> None:
        path.write_text("".join(json.dumps(e) + "\n" for e in self.events), encoding="utf-8")
