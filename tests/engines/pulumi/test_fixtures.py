"""The replay fixtures stay in the Pulumi CLI's real engine-event format."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.engines.pulumi.eventstream import PREFIX, RESET, SECRET, SECRET_SIG, SIG
from tests.engines.pulumi.replay import FIXTURES, load_events
from tests.engines.pulumi.scenarios import SCENARIOS

EVENT_KINDS = {
    "cancelEvent",
    "stdoutEvent",
    "diagnosticEvent",
    "preludeEvent",
    "summaryEvent",
    "resourcePreEvent",
    "resOutputsEvent",
    "resOpFailedEvent",
    "policyEvent",
    "progressEvent",
    "errorEvent",
}
OPS = {
    "same",
    "create",
    "update",
    "delete",
    "replace",
    "create-replacement",
    "delete-replaced",
    "read",
    "read-replacement",
    "refresh",
    "discard",
    "discard-replaced",
    "remove-pending-replace",
    "import",
    "import-replacement",
}
LOGICAL = {"same", "create", "update", "delete", "replace"}
REFRESH_RESULTS = {"same", "update", "delete"}
SEVERITIES = {"debug", "info", "info#err", "warning", "error"}
RESULTS = {"succeeded", "failed", "canceled"}
STATE_KEYS = {"type", "urn", "id", "parent", "inputs", "outputs", "provider"}
DIFF_KINDS = {"add", "add-replace", "update", "update-replace", "delete", "delete-replace"}


def problems(events: list[dict[str, Any]]) -> list[str]:
    """Every way ``events`` differ from what the CLI writes to its event log (empty: none)."""
    found: list[str] = []
    refreshed: set[str] = set()
    for i, event in enumerate(events):
        where = f"event {i + 1}"
        kinds = [k for k in event if k not in ("sequence", "timestamp")]
        if not isinstance(event.get("sequence"), int) or not isinstance(
            event.get("timestamp"), int
        ):
            found.append(f"{where}: needs integer sequence and timestamp")
        if i and event.get("sequence", 0) <= events[i - 1].get("sequence", 0):
            found.append(f"{where}: sequence does not increase")
        if len(kinds) != 1 or kinds[0] not in EVENT_KINDS:
            found.append(f"{where}: expected exactly one known event, got {kinds}")
            continue
        kind, body = kinds[0], event[kinds[0]]
        found += [f"{where}: {p}" for p in _secret_problems(body)]
        if kind == "diagnosticEvent":
            found += [f"{where}: {p}" for p in _diagnostic_problems(body)]
        elif kind == "summaryEvent":
            if body.get("result") not in RESULTS:
                found.append(f"{where}: summary result must be one of {sorted(RESULTS)}")
            for key in ("maybeCorrupt", "durationSeconds", "resourceChanges", "PolicyPacks"):
                if key not in body:
                    found.append(f"{where}: summary lacks {key}")
        elif kind in ("resourcePreEvent", "resOutputsEvent", "resOpFailedEvent"):
            md = body.get("metadata") or {}
            found += [f"{where}: {p}" for p in _step_problems(kind, md, refreshed)]
            if kind == "resOpFailedEvent" and not {"status", "steps"} <= set(body):
                found.append(f"{where}: resOpFailedEvent needs status and steps")
    if events and "cancelEvent" not in events[-1]:
        found.append("the stream must end with cancelEvent")
    return found


def _secret_problems(value: Any) -> list[str]:
    if isinstance(value, list):
        return [p for item in value for p in _secret_problems(item)]
    if not isinstance(value, dict):
        return []
    if "plaintext" in value:
        return ["a secret in plaintext (the CLI always blinds them: ciphertext [secret])"]
    if value.get(SIG) == SECRET_SIG and value != SECRET:
        return [f"a secret not in the blinded form {json.dumps(SECRET)}"]
    return [p for item in value.values() for p in _secret_problems(item)]


def _diagnostic_problems(body: dict[str, Any]) -> list[str]:
    out = []
    severity = body.get("severity")
    if severity not in SEVERITIES:
        out.append(f"diagnostic severity {severity!r}")
    if severity in PREFIX and body.get("prefix") != PREFIX[severity]:
        out.append(f"a {severity} diagnostic needs the prefix {PREFIX[severity]!r}")
    if severity in ("info", "info#err") and "prefix" in body:
        out.append("an info diagnostic has no prefix")
    if not str(body.get("message", "")).startswith(RESET):
        out.append("a diagnostic message starts with a reset code")
    if "color" not in body:
        out.append("a diagnostic carries its color mode")
    return out


def _step_problems(kind: str, md: dict[str, Any], refreshed: set[str]) -> list[str]:
    out = []
    op, urn = md.get("op"), md.get("urn", "")
    for key in ("op", "urn", "type", "old", "new", "detailedDiff", "provider"):
        if key not in md:
            out.append(f"step metadata lacks {key}")
    if op not in OPS:
        return [*out, f"unknown op {op!r}"]
    for side in ("old", "new"):
        state = md.get(side)
        if state is not None and STATE_KEYS - set(state):
            out.append(f"{side} state lacks {sorted(STATE_KEYS - set(state))}")
    for path, diff in (md.get("detailedDiff") or {}).items():
        if diff.get("diffKind") not in DIFF_KINDS or "inputDiff" not in diff:
            out.append(f"detailed diff of {path} is malformed")
    if op == "refresh":
        refreshed.add(urn)
        if kind == "resourcePreEvent" and md.get("new") is None:
            out.append("a refresh pre-event has a non-null new")
    if kind == "resOutputsEvent" and urn in refreshed:
        # The read-back is over; with ``preview/up --refresh`` the resource's logical steps
        # follow.
        refreshed.discard(urn)
        if op not in REFRESH_RESULTS:
            out.append(f"a refresh reports its result op (same, update, delete), not {op!r}")
        if md.get("logical"):
            out.append("a refresh step is not logical")
    elif op in LOGICAL and md.get("logical") is not True and kind != "resOpFailedEvent":
        out.append(f"a {op} step carries logical: true")
    elif op not in LOGICAL and md.get("logical"):
        out.append(f"a {op} step is not logical")
    if op == "delete-replaced":
        if md.get("new") is not None:
            out.append("delete-replaced has new: null")
        if md.get("keys") or md.get("diffs") or md.get("detailedDiff") is not None:
            out.append("delete-replaced carries no keys, diffs or detailedDiff")
    return out


@pytest.mark.parametrize("name", sorted(p.stem for p in FIXTURES.glob("*.jsonl")))
def test_every_fixture_is_in_the_cli_format(name):
    assert problems(load_events(name)) == []


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_fixtures_are_what_the_scenarios_build(name):
    built = SCENARIOS[name]().events
    assert built == load_events(name), (
        f"fixtures/{name}.jsonl is stale: run `python -m tests.engines.pulumi.scenarios`"
    )


def test_schema_rejects_a_plaintext_secret():
    events = load_events("create")
    leaked = copy.deepcopy(events)
    token = next(e for e in leaked if "resOutputsEvent" in e and "secretString" in json.dumps(e))
    state = token["resOutputsEvent"]["metadata"]["new"]
    state["outputs"]["secretString"] = {SIG: SECRET_SIG, "plaintext": '"hunter2"'}
    [problem] = problems(leaked)
    assert "plaintext" in problem


def test_schema_rejects_a_diagnostic_without_prefix():
    events = copy.deepcopy(load_events("failed"))
    diag = next(e["diagnosticEvent"] for e in events if "diagnosticEvent" in e)
    del diag["prefix"]
    [problem] = problems(events)
    assert "prefix" in problem


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda md: md.pop("logical"), "logical"),
        (lambda md: md.update(keys=["bucket"]), "delete-replaced carries no keys"),
    ],
)
def test_schema_rejects_steps_the_cli_never_writes(mutate, expected):
    events = copy.deepcopy(load_events("replace-delete-first"))
    first, replace = [e["resourcePreEvent"]["metadata"] for e in events if "resourcePreEvent" in e][
        3:5
    ]
    assert (first["op"], replace["op"]) == ("delete-replaced", "replace")
    mutate(replace if expected == "logical" else first)
    assert any(expected in p for p in problems(events))
