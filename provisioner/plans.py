"""Saved plans: ``stack preview --out plan.json`` writes one, ``stack deploy plan.json`` applies it.

A saved plan records what it was made from: the definition (a digest of the validated spec,
after ``${VAR}`` interpolation), the state (the engine's fingerprint of it), provisioner's
version and the engine; and what it does: each change (URN and op). It holds no secret: the
state is a digest with secret values left out, and a Pulumi update plan keeps secrets
encrypted with the stack's key.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner import __version__
from provisioner.engines.model import Op, Plan, StalePlanError, Targeting
from provisioner.errors import UserInputError

if TYPE_CHECKING:
    from provisioner.spec.loader import LoadedStack

KIND = "provisioner-plan"
FORMAT = 1


@dataclass
class SavedPlan:
    """A plan file's content (see the module docstring)."""

    stack: str
    engine: str
    definition: str
    digest: str
    version: str
    created: str
    refresh: bool
    targeting: Targeting
    steps: list[tuple[str, str]]
    saved: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, int] = field(default_factory=dict)

    def expect(self) -> dict[str, Any]:
        """What the engine checks before applying: ``Plan.saved`` plus the changes."""
        return {**self.saved, "steps": [list(s) for s in self.steps]}


def definition_digest(stack: LoadedStack) -> str:
    """A digest of the validated definition (what the program is built from)."""
    data = json.dumps(stack.spec.model_dump(mode="json"), sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(data.encode()).hexdigest()


def changes(plan: Plan) -> list[tuple[str, str]]:
    return [(s.urn, str(s.op)) for s in plan.steps if s.op not in (Op.SAME, Op.READ)]


def write(
    path: Path,
    stack: LoadedStack,
    definition: str,
    plan: Plan,
    *,
    refresh: bool,
    targeting: Targeting,
) -> SavedPlan:
    """Write ``plan`` of ``stack`` (loaded from ``definition``) to ``path`` (mode 0600)."""
    if path.is_dir():
        raise UserInputError(f"--out {path}: is a folder; give a file path")
    counts = Counter(str(s.op) for s in plan.steps if s.type != "pulumi:pulumi:Stack")
    saved = SavedPlan(
        stack=stack.name,
        engine=plan.engine,
        definition=definition,
        digest=definition_digest(stack),
        version=__version__,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        refresh=refresh,
        targeting=targeting,
        steps=changes(plan),
        saved=plan.saved,
        summary=dict(sorted(counts.items())),
    )
    doc = {
        "kind": KIND,
        "format": FORMAT,
        "stack": saved.stack,
        "engine": saved.engine,
        "definition": {"ref": saved.definition, "digest": saved.digest},
        "provisioner_version": saved.version,
        "created": saved.created,
        "refresh": saved.refresh,
        **targeting.to_json(),
        "summary": saved.summary,
        "changes": [{"urn": urn, "op": op} for urn, op in saved.steps],
        "engine_plan": saved.saved,
    }
    from provisioner.stackconfig import atomic_write_text

    atomic_write_text(path, json.dumps(doc, indent=1) + "\n")
    path.chmod(0o600)
    return saved


def is_plan_file(ref: str) -> bool:
    """True when ``ref`` is a file holding a saved plan."""
    path = Path(ref).expanduser()
    if not path.is_file():
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return f'"kind": "{KIND}"'.encode() in head


def read(path: Path) -> SavedPlan:
    """Read a plan file.

    Raises:
        UserInputError: it is not a readable provisioner plan of a known format.
    """
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserInputError(f"cannot read the plan {path}: {exc}") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise UserInputError(f'{path} is not a provisioner plan (expected "kind": "{KIND}")')
    if doc.get("format") != FORMAT:
        raise UserInputError(
            f"the plan {path} has format {doc.get('format')!r}; this provisioner reads "
            f"format {FORMAT}"
        )
    try:
        return SavedPlan(
            stack=doc["stack"],
            engine=doc["engine"],
            definition=doc["definition"]["ref"],
            digest=doc["definition"]["digest"],
            version=doc["provisioner_version"],
            created=doc["created"],
            refresh=bool(doc["refresh"]),
            targeting=Targeting(tuple(doc.get("targets", [])), tuple(doc.get("replace", []))),
            steps=[(c["urn"], c["op"]) for c in doc["changes"]],
            saved=doc.get("engine_plan") or {},
            summary=doc.get("summary") or {},
        )
    except (KeyError, TypeError) as exc:
        raise UserInputError(f"the plan {path} is damaged: missing {exc}") from None


def check(saved: SavedPlan, stack: LoadedStack, path: Path) -> None:
    """Refuse a plan made by another provisioner version or from another definition.

    Raises:
        StalePlanError: the reason, and that nothing was changed.
    """
    hint = "Make a new plan with `provisioner stack preview --out`."
    if saved.version != __version__:
        raise StalePlanError(
            f"the plan {path} was made by provisioner {saved.version}, this is {__version__}: "
            "the program it builds may differ, so the plan no longer applies; nothing was "
            "changed",
            hint=hint,
        )
    if stack.name != saved.stack:
        raise StalePlanError(
            f"the plan {path} is for stack {saved.stack!r}, but {saved.definition} now "
            f"defines stack {stack.name!r}; nothing was changed",
            hint=hint,
        )
    if definition_digest(stack) != saved.digest:
        raise StalePlanError(
            f"the definition {saved.definition} changed since the plan {path} was made "
            f"({saved.created}), so the plan no longer applies; nothing was changed",
            hint=hint,
        )
