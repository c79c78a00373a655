"""A PulumiCommand test double: answers the Automation API's CLI calls and replays engine events.

It stands in for the Pulumi CLI binary only. The real ``pulumi.automation`` Stack and
LocalWorkspace code builds the command lines, starts the event-log watcher (a file, or a
gRPC server for CLI versions after 3.205) and parses every event. The double answers each
command the way the CLI does (stdout, stderr, exit code), keeps a checkpoint per stack built
from the replayed events, and writes the fixture events (Pulumi's engine-event JSON, one per
line) to the ``--event-log`` target.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pulumi.automation import PulumiCommand
from pulumi.automation._cmd import CommandResult, OnOutput
from pulumi.automation.errors import create_command_error
from semver import VersionInfo

FIXTURES = Path(__file__).parent / "fixtures"
SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
DATETIME = "%Y-%m-%dT%H:%M:%S.000Z"


@dataclass
class Script:
    """What one operation (preview, up, destroy, refresh) replays and how it ends."""

    fixture: str
    code: int = 0
    stderr: str = ""
    outputs: dict[str, Any] | None = None
    message: str = ""


@dataclass
class FakeStack:
    """The double's checkpoint of one stack."""

    passphrase: str = ""
    config: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)


def load_events(name: str) -> list[dict[str, Any]]:
    """Read a fixture: one engine event JSON object per line."""
    lines = (FIXTURES / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def secret(value: Any) -> dict[str, Any]:
    """A secret output as ``stack output --show-secrets`` would serialize it."""
    return {"__secret__": value}


class ReplayPulumi(PulumiCommand):
    """The test double. Configure with :meth:`script`, inspect ``calls`` and ``envs``."""

    def __init__(self, version: str = "3.272.0") -> None:
        # Deliberately not calling super().__init__: that runs the real `pulumi version`.
        self.command = "pulumi"
        self.version = VersionInfo.parse(version)
        self.stacks: dict[str, FakeStack] = {}
        self.scripts: dict[str, Script] = {}
        self.calls: list[list[str]] = []
        self.envs: list[dict[str, str]] = []
        self.inline_programs = 0
        self.locked_by: str | None = None
        self.current: str | None = None

    def script(self, operation: str, fixture: str, **kwargs: Any) -> None:
        """Make ``operation`` replay ``fixtures/<fixture>.jsonl`` (and fail if ``code`` != 0)."""
        load_events(fixture)  # fail early on a bad fixture
        self.scripts[operation] = Script(fixture, **kwargs)

    # -- the PulumiCommand interface -----------------------------------------------------

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: OnOutput | None = None,
        on_error: OnOutput | None = None,
    ) -> CommandResult:
        args = [a for a in args if a != "--non-interactive"]
        self.calls.append(list(args))
        self.envs.append(dict(additional_env))
        stdout, stderr, code = self._dispatch(args, Path(cwd), dict(additional_env))
        for line in stdout.splitlines():
            if on_output:
                on_output(line)
        result = CommandResult(stdout=stdout, stderr=stderr, code=code)
        if code != 0:
            raise create_command_error(result)
        return result

    # -- commands ------------------------------------------------------------------------

    def _dispatch(self, args: list[str], cwd: Path, env: dict[str, str]) -> tuple[str, str, int]:
        stack = _flag(args, "--stack")
        head = args[:2]
        if args[:1] == ["version"]:
            return f"v{self.version}", "", 0
        merged = {**os.environ, **env}  # the CLI sees the process env plus the workspace's
        backend = _backend_error(merged.get("PULUMI_BACKEND_URL", ""))
        if backend:
            return "", backend, 255
        if head not in (["stack", "select"], ["stack", "init"], ["stack", "rm"]):
            locked = self._check_passphrase(stack, merged)
            if locked:
                return "", locked, 255
        if head == ["stack", "select"]:
            return self._select(stack)
        if head == ["stack", "init"]:
            return self._init(args[2], merged, cwd)
        if head == ["stack", "rm"]:
            self.stacks.pop(args[-1], None)
            return "", "", 0
        if head == ["stack", "output"]:
            return self._outputs(stack, "--show-secrets" in args)
        if head == ["stack", "history"]:
            newest = self._stack(stack).history[::-1]
            size = _flag(args, "--page-size")
            return json.dumps(newest[: int(size)] if size else newest), "", 0
        if head == ["stack", "export"]:
            return self._export(stack)
        if head == ["stack", "import"]:
            return self._import(stack, Path(_flag(args, "--file") or ""))
        if head == ["state", "delete"]:
            return self._state_delete(self._stack(stack), args[2])
        if head == ["state", "rename"]:
            return self._state_rename(self._stack(stack), args[2], args[3])
        if head == ["config", "set-all"]:
            return self._config_set_all(stack, args)
        if args[:1] == ["config"] and "--json" in args:
            return json.dumps(self._stack(stack).config), "", 0
        if args[:1] == ["whoami"]:
            return json.dumps({"user": "tester", "url": env.get("PULUMI_BACKEND_URL")}), "", 0
        if args[:1] == ["import"]:
            return self._import_resources(self._stack(stack), args)
        if args[:1] in (["preview"], ["up"], ["destroy"], ["refresh"]):
            return self._operation(args[0], stack, args, env)
        return "", f"error: unknown command {' '.join(args)!r} for the test double", 1

    def _stack(self, name: str | None) -> FakeStack:
        return self.stacks[name or self.current or ""]

    def _select(self, name: str | None) -> tuple[str, str, int]:
        if name not in self.stacks:
            return "", f"error: no stack named '{name}' found", 255
        self.current = name
        return "", "", 0

    def _init(self, name: str, env: dict[str, str], cwd: Path) -> tuple[str, str, int]:
        if name in self.stacks:
            return "", f"error: stack '{name}' already exists", 255
        if not (cwd / "Pulumi.yaml").is_file():
            return "", "error: no Pulumi.yaml project file found", 255
        passphrase = read_passphrase(env)
        if passphrase is None:
            return (
                "",
                (
                    "error: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or "
                    "PULUMI_CONFIG_PASSPHRASE_FILE environment variables"
                ),
                255,
            )
        self.stacks[name] = FakeStack(passphrase=passphrase)
        self.current = name
        return f"Created stack '{name}'", "", 0

    def _check_passphrase(self, name: str | None, env: dict[str, str]) -> str | None:
        """The CLI's error when the passphrase cannot decrypt the stack's secrets."""
        target = self.stacks.get(name or self.current or "")
        if target is None:
            return None
        passphrase = read_passphrase(env)
        if passphrase is None:
            return (
                "error: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or "
                "PULUMI_CONFIG_PASSPHRASE_FILE environment variables"
            )
        if passphrase != target.passphrase:
            return "error: incorrect passphrase"
        return None

    def _config_set_all(self, name: str | None, args: list[str]) -> tuple[str, str, int]:
        config = self._stack(name).config
        for flag, pair in itertools.pairwise(args):
            if flag in ("--plaintext", "--secret"):
                key, _, value = pair.partition("=")
                config[key] = {"value": value, "secret": flag == "--secret"}
        return "", "", 0

    def _outputs(self, name: str | None, show_secrets: bool) -> tuple[str, str, int]:
        shown = {}
        for key, value in self._stack(name).outputs.items():
            if isinstance(value, dict) and "__secret__" in value:
                shown[key] = value["__secret__"] if show_secrets else "[secret]"
            else:
                shown[key] = value
        return json.dumps(shown), "", 0

    def _export(self, name: str | None) -> tuple[str, str, int]:
        stack = self._stack(name)
        deployment = {
            "manifest": {"time": "2024-01-01T00:00:00Z", "version": "v3.272.0"},
            "resources": list(stack.resources.values()),
        }
        return json.dumps({"version": 3, "deployment": deployment}), "", 0

    def _import(self, name: str | None, path: Path) -> tuple[str, str, int]:
        """``stack import``: the deployment in the file becomes the stack's checkpoint."""
        doc = json.loads(path.read_text(encoding="utf-8"))
        resources = doc["deployment"].get("resources") or []
        self._stack(name).resources = {r["urn"]: r for r in resources}
        return "Import complete.", "", 0

    def _import_resources(self, stack: FakeStack, args: list[str]) -> tuple[str, str, int]:
        """``pulumi import --file``: each resource is read by ID into the state, under its
        parent's type chain (the double reads nothing real: the ID is taken as found)."""
        if "--yes" not in args:
            return "", "error: --yes must be passed in non-interactive mode", 255
        doc = json.loads(Path(_flag(args, "--file") or "").read_text(encoding="utf-8"))
        table = doc.get("nameTable") or {}
        root = f"urn:pulumi:{self.current}::provisioner::pulumi:pulumi:Stack::provisioner-{self.current}"
        for item in doc["resources"]:
            parent = table.get(item.get("parent", ""), root)
            chain = parent.split("::")[2]
            qualified = (
                item["type"] if chain == "pulumi:pulumi:Stack" else f"{chain}${item['type']}"
            )
            urn = f"urn:pulumi:{self.current}::provisioner::{qualified}::{item['name']}"
            if urn in stack.resources:
                return "", f"error: resource '{urn}' already exists", 255
            stack.resources[urn] = {
                "urn": urn,
                "custom": True,
                "type": item["type"],
                "id": item["id"],
                "parent": parent,
                "inputs": {},
                "outputs": {},
            }
        now = time.strftime(DATETIME, time.gmtime())
        stack.history.append(
            {
                "kind": "import",
                "startTime": now,
                "endTime": now,
                "message": _flag(args, "--message") or "",
                "environment": {},
                "config": stack.config,
                "result": "succeeded",
                "version": len(stack.history) + 1,
                "resourceChanges": {"import": len(doc["resources"])},
            }
        )
        return "Resources imported", "", 0

    def _state_delete(self, stack: FakeStack, urn: str) -> tuple[str, str, int]:
        """``state delete``: refused while another resource depends on it (as the CLI)."""
        if urn not in stack.resources:
            return "", f"error: No such resource {urn!r} exists in the current state", 255
        users = [
            u
            for u, r in stack.resources.items()
            if u != urn and (r.get("parent") == urn or urn in (r.get("dependencies") or []))
        ]
        if users:
            return "", f"error: {urn} can't be safely deleted because {users[0]} depends on it", 255
        del stack.resources[urn]
        return "Resource deleted", "", 0

    def _state_rename(self, stack: FakeStack, urn: str, new: str) -> tuple[str, str, int]:
        """``state rename``: a new name, the same type chain; references follow."""
        if urn not in stack.resources:
            return "", f"error: No such resource {urn!r} exists in the current state", 255
        renamed = f"{urn.rsplit('::', 1)[0]}::{new}"
        moved = {}
        for u, r in stack.resources.items():
            r = dict(r)
            if r.get("parent") == urn:
                r["parent"] = renamed
            r["dependencies"] = [renamed if d == urn else d for d in r.get("dependencies") or []]
            if u == urn:
                r["urn"] = u = renamed
            moved[u] = r
        stack.resources = moved
        return "Resource renamed", "", 0

    def _operation(
        self, op: str, name: str | None, args: list[str], env: dict[str, str]
    ) -> tuple[str, str, int]:
        if (
            op in ("up", "destroy", "refresh")
            and "--preview-only" not in args
            and "--yes" not in args
        ):
            return (
                "",
                "error: --yes must be passed in to proceed when running in non-interactive mode",
                255,
            )
        if self.locked_by:
            return (
                "",
                (
                    "error: the stack is currently locked by 1 lock(s). Either wait for the other "
                    "process(es) to end or delete the lock file with `pulumi cancel`.\n"
                    f"  {env.get('PULUMI_BACKEND_URL')}/.pulumi/locks/organization/provisioner/{name}/"
                    f"1.json: created by {self.locked_by} at 2026-11-30T15:04:05Z"
                ),
                255,
            )
        client = _flag(args, "--client")
        if client:
            self._check_language_server(client)
        script = self.scripts.get(op)
        if script is None:
            return "", f"error: the test double has no script for {op!r}", 1
        events = _only(load_events(script.fixture), _flags(args, "--target"))
        if op in ("preview", "up"):
            # ``--refresh`` reads back every resource the state holds before planning.
            refreshes = any(_op(e) == "refresh" for e in events)
            expected = "--refresh" in args and bool(self._stack(name).resources)
            if refreshes != expected:
                return "", f"error: {script.fixture!r} does not fit --refresh={expected}", 1
        log = _flag(args, "--event-log")
        plan_in = _flag(args, "--plan") if op == "up" else None
        if plan_in:
            refusal = self._check_plan(self._stack(name), Path(plan_in), events)
            if refusal:
                if log:
                    _emit(log, _refusal_events(*refusal))
                return "", f"error: resource {refusal[0]} violates plan: {refusal[1]}", 255
        if log:
            _emit(log, events)
        plan_out = _flag(args, "--save-plan") if op == "preview" else None
        if plan_out:
            Path(plan_out).write_text(json.dumps(_plan(self._stack(name), events)), "utf-8")
        if op != "preview":
            script.message = _flag(args, "--message") or ""
            self._apply(self._stack(name), op, events, script)
        return f"{op}: replayed {script.fixture}", script.stderr, script.code

    def _check_plan(
        self, stack: FakeStack, path: Path, events: list[dict[str, Any]]
    ) -> tuple[str, str] | None:
        """Why ``up --plan`` must stop, as (urn, reason); None when the update fits the plan.

        The CLI generates the update's steps against the state it finds now and refuses any
        step the plan does not hold: a state that changed since the preview changes the
        steps (the double compares the recorded state), and so does a changed program.
        """
        planned = json.loads(path.read_text(encoding="utf-8"))["resourcePlans"]
        for urn, entry in planned.items():
            if _fingerprint(stack.resources.get(urn)) != entry["state"]:
                return urn, "the resource's state changed since the plan was made"
        for urn, ops in _steps(events).items():
            allowed = planned.get(urn, {}).get("steps", [])
            extra = [o for o in ops if o not in allowed]
            if extra:
                return urn, f"expected {allowed or 'no operations'}, got {extra}"
        return None

    def _check_language_server(self, address: str) -> None:
        """Talk to the inline program's language server as the CLI does, proving it is up."""
        import grpc
        from google.protobuf import empty_pb2
        from pulumi.runtime.proto import language_pb2_grpc

        with grpc.insecure_channel(address) as channel:
            language_pb2_grpc.LanguageRuntimeStub(channel).GetPluginInfo(
                empty_pb2.Empty(), timeout=10
            )
        self.inline_programs += 1

    def _apply(self, stack: FakeStack, op: str, events: list[dict], script: Script) -> None:
        """Update the checkpoint from the replayed events, as the engine would."""
        changes: dict[str, int] = {}
        for event in events:
            done = event.get("resOutputsEvent")
            if done:
                md = done["metadata"]
                if md["op"] == "delete":
                    stack.resources.pop(md["urn"], None)
                elif md.get("new") and md["op"] != "delete-replaced":
                    stack.resources[md["urn"]] = {
                        k: v for k, v in md["new"].items() if v is not None
                    }
            summary = event.get("summaryEvent")
            if summary:
                changes = summary.get("resourceChanges", {})
        if script.code == 0 and op == "up":
            stack.outputs = dict(script.outputs or {})
        if op == "destroy" and script.code == 0:
            stack.resources.clear()
            stack.outputs = {}
        now = time.strftime(DATETIME, time.gmtime())
        stack.history.append(
            {
                "kind": {"up": "update"}.get(op, op),
                "startTime": now,
                "endTime": now,
                "message": script.message,
                "environment": {},
                "config": stack.config,
                "result": "succeeded" if script.code == 0 else "failed",
                "version": len(stack.history) + 1,
                "resourceChanges": changes,
            }
        )


def _op(event: dict[str, Any]) -> str | None:
    body = event.get("resourcePreEvent") or event.get("resOutputsEvent") or {}
    return body.get("metadata", {}).get("op")


def _steps(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The operations an event stream performs, by URN (a refresh's read-back is not one)."""
    steps: dict[str, list[str]] = {}
    for event in events:
        pre = event.get("resourcePreEvent")
        if pre and pre["metadata"]["op"] != "refresh":
            steps.setdefault(pre["metadata"]["urn"], []).append(pre["metadata"]["op"])
    return steps


def _fingerprint(resource: dict[str, Any] | None) -> str:
    return json.dumps(resource, sort_keys=True)


def _plan(stack: FakeStack, events: list[dict[str, Any]]) -> dict[str, Any]:
    """The double's update plan: each resource's planned operations and the state they start
    from (the CLI's plan file holds the operations and goals; the double needs no more)."""
    urns = set(_steps(events)) | set(stack.resources)
    return {
        "resourcePlans": {
            urn: {
                "steps": _steps(events).get(urn, []),
                "state": _fingerprint(stack.resources.get(urn)),
            }
            for urn in sorted(urns)
        }
    }


def _refusal_events(urn: str, reason: str) -> list[dict[str, Any]]:
    """What the CLI reports when an update leaves its plan: an error on the resource."""
    from types import SimpleNamespace

    from tests.engines.pulumi.eventstream import Stream

    s = Stream()
    s.diag("error", f"resource {urn} violates plan: {reason}", SimpleNamespace(urn=urn))
    s.summary({}, result="failed")
    return s.events


def _flags(args: list[str], name: str) -> list[str]:
    """Every value of a repeatable flag."""
    return [b for a, b in itertools.pairwise(args) if a == name]


def _only(events: list[dict[str, Any]], targets: list[str]) -> list[dict[str, Any]]:
    """With ``--target``, the CLI steps only the targets (and the root stack)."""
    if not targets:
        return events
    keep = set(targets)

    def wanted(event: dict[str, Any]) -> bool:
        body = event.get("resourcePreEvent") or event.get("resOutputsEvent")
        if not body:
            return True
        urn = body["metadata"]["urn"]
        return urn in keep or urn.split("::")[2] == "pulumi:pulumi:Stack"

    return [e for e in events if wanted(e)]


def _flag(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def read_passphrase(env: Mapping[str, str]) -> str | None:
    """The passphrase as the CLI reads it: the variable if set (even empty), else the file."""
    if "PULUMI_CONFIG_PASSPHRASE" in env:
        return env["PULUMI_CONFIG_PASSPHRASE"]
    path = env.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError:
            return None
    return None


def _backend_error(url: str) -> str | None:
    """The CLI's error for a ``file://`` backend whose (URL-decoded) folder does not exist."""
    if not url.startswith("file://"):
        return None
    parts = urlsplit(url)
    folder = Path(unquote(parts.netloc + parts.path)).expanduser()
    if folder.is_dir():
        return None
    return (
        f"error: could not create backend: unable to open bucket {url}: "
        f"stat {folder}: no such file or directory"
    )


def _emit(target: str, events: list[dict[str, Any]]) -> None:
    """Send the fixture's events (already numbered, ending in cancelEvent) to the event log.

    The target is a file (older CLIs), or the SDK's gRPC Events server.
    """
    if target.startswith("tcp://"):
        import grpc
        from pulumi.runtime.proto import events_pb2, events_pb2_grpc

        with grpc.insecure_channel(target.removeprefix("tcp://")) as channel:
            stub = events_pb2_grpc.EventsStub(channel)
            requests = (events_pb2.EventRequest(event=json.dumps(e)) for e in events)
            stub.StreamEvents(requests, timeout=30)
        return
    with open(target, "a", encoding="utf-8") as log:
        for event in events:
            log.write(json.dumps(event) + "\n")
            log.flush()
