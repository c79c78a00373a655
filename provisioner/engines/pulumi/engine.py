"""PulumiEngine: the production engine, running the inline program through the Automation API."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Collection, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.engines.base import Engine
from provisioner.engines.history import HistoryEntry, history_message, parse_message
from provisioner.engines.model import (
    EVERYTHING,
    EventCallback,
    Plan,
    RefreshResult,
    Secret,
    StalePlanError,
    StateBackup,
    StateChange,
    StateResource,
    Targeting,
    no_events,
)
from provisioner.engines.pulumi import cli, failures
from provisioner.engines.pulumi.events import EventRecorder
from provisioner.engines.pulumi.surgery import reparent, state_resource
from provisioner.engines.pulumi.values import decode
from provisioner.engines.pulumi.workspace import (
    PROJECT,
    WorkspaceSettings,
    check_backend,
    cloud_config,
    runtime_options,
)
from provisioner.errors import (
    EngineUnavailableError,
    NotFoundError,
    OperationError,
    UserInputError,
)

#: Update plans (``preview --save-plan``, ``up --plan``) are an experimental CLI feature:
#: the CLI documents them as enabled only when ``PULUMI_EXPERIMENTAL`` is set.
PLAN_ENV = {"PULUMI_EXPERIMENTAL": "true"}

if TYPE_CHECKING:
    from pulumi.automation import PulumiCommand, Stack

    from provisioner.spec.loader import LoadedStack


class PulumiEngine(Engine):
    """Runs a stack's inline program with the Pulumi CLI through ``pulumi.automation``.

    State lives in a ``file://`` backend under the provisioner home unless a team backend
    (``s3://``, ``gs://``, ``azblob://``) is given here or in the stack definition. Secrets
    use the passphrase provider, read as the CLI reads it: ``PULUMI_CONFIG_PASSPHRASE``
    whenever it is set (even empty), else ``PULUMI_CONFIG_PASSPHRASE_FILE``, else a
    passphrase generated once into the home (mode 0600). For a team backend, share the
    passphrase through ``PULUMI_CONFIG_PASSPHRASE``.

    Args:
        backend: state backend URL; overrides the stack definition's ``backend``.
        pulumi_command: the CLI to run; default: the one in the provisioner home, else on PATH.

    Raises:
        EngineUnavailableError: no Pulumi CLI was found.
        UserInputError: ``backend`` is not a supported URL.
    """

    name = "pulumi"

    def __init__(
        self, backend: str | None = None, *, pulumi_command: PulumiCommand | None = None
    ) -> None:
        self._backend = check_backend(backend) if backend else None
        self._command = pulumi_command
        if pulumi_command is None and not cli.pulumi_cli_available():
            raise EngineUnavailableError(cli.missing_cli_message())

    # -- Engine interface ---------------------------------------------------------------

    def preview(
        self,
        stack: LoadedStack,
        on_event: EventCallback = no_events,
        *,
        refresh: bool = False,
        targeting: Targeting = EVERYTHING,
        save: bool = False,
    ) -> Plan:
        """Compute the steps an ``up`` would take, from the engine's step events.

        With ``refresh``, the CLI reads every resource back first (``preview --refresh``) and
        plans against what is real; ``Plan.drift`` lists what changed outside provisioner.
        ``targeting`` becomes ``--target`` (with what the targets depend on) and
        ``--replace``. With ``save``, the CLI saves its update plan (``--save-plan``), which
        ``Plan.saved`` carries with the fingerprint of the state it was made from.
        """
        if not save:
            return self._preview(stack, on_event, refresh=refresh, targeting=targeting)
        with _plan_file(self._settings(stack.name, stack).work_dir) as plan_file:
            plan = self._preview(
                stack, on_event, refresh=refresh, targeting=targeting, plan_file=plan_file
            )
            state = self._fingerprint(stack.name)  # a preview changes no state
            plan.saved = {"state": state, "pulumi_plan": json.loads(plan_file.read_text("utf-8"))}
        return plan

    def up(
        self, stack: LoadedStack, on_event: EventCallback = no_events, *, refresh: bool = False
    ) -> Plan:
        """Deploy the stack; live progress goes to ``on_event``."""
        return self._up(stack, on_event, refresh=refresh)

    def plan_and_apply(
        self,
        stack: LoadedStack,
        on_event: EventCallback = no_events,
        *,
        confirm: Callable[[Plan], bool] | None = None,
        refresh: bool = False,
        forget: Collection[str] = (),
        targeting: Targeting = EVERYTHING,
        expect: dict[str, Any] | None = None,
    ) -> Plan | None:
        """Preview into a Pulumi update plan, let ``confirm`` see it, then apply that plan.

        The preview saves an update plan (``preview --save-plan``) and the update runs with
        it (``up --plan``): the CLI performs only the operations the plan holds and stops
        with an error if the state or the program no longer produce them, so the plan
        ``confirm`` saw is the plan applied, or nothing beyond it is.

        With ``expect`` (a saved plan's ``Plan.saved``), the update runs with the saved
        Pulumi plan instead, after checking that the state is still the one it was made from.

        Raises:
            StalePlanError: with ``expect``, the state changed since the plan was made.
            OperationError: the stack changed after the plan was shown, so the CLI refused
                the plan (nothing beyond it was applied; rerun to see the new plan), or a
                provider failed.
            UserInputError: ``forget`` was given (the pulumi engine cannot forget).
        """
        if forget:
            return super().plan_and_apply(stack, on_event, forget=forget)  # refuses
        if expect is not None:
            return self._apply_saved(stack, on_event, expect, confirm, refresh, targeting)
        if confirm is None:
            return self._up(stack, on_event, refresh=refresh, targeting=targeting)
        with _plan_file(self._settings(stack.name, stack).work_dir) as plan_file:
            plan = self._preview(
                stack, no_events, refresh=refresh, targeting=targeting, plan_file=plan_file
            )
            if not confirm(plan):
                return None
            applied = self._up(
                stack, on_event, refresh=refresh, targeting=targeting, plan_file=plan_file
            )
        applied.drift = plan.drift
        return applied

    def _apply_saved(
        self,
        stack: LoadedStack,
        on_event: EventCallback,
        expect: dict[str, Any],
        confirm: Callable[[Plan], bool] | None,
        refresh: bool,
        targeting: Targeting,
    ) -> Plan | None:
        """Apply a saved Pulumi update plan (``up --plan``); the CLI refuses any step the
        plan does not hold."""
        if self._fingerprint(stack.name) != expect.get("state"):
            raise StalePlanError(
                f"the saved plan no longer applies: the state of stack {stack.name!r} changed "
                "since the plan was made (another deploy, a refresh or a state command ran); "
                "nothing was changed",
                hint="Make a new plan with `provisioner stack preview --out`.",
            )
        with _plan_file(self._settings(stack.name, stack).work_dir) as plan_file:
            plan_file.write_text(json.dumps(expect.get("pulumi_plan", {})), "utf-8")
            if confirm is not None:
                shown = self._preview(stack, no_events, refresh=refresh, targeting=targeting)
                if not confirm(shown):
                    return None
            return self._up(
                stack, on_event, refresh=refresh, targeting=targeting, plan_file=plan_file
            )

    def _fingerprint(self, stack_name: str) -> str:
        """A digest of the resources the backend records for the stack ("" without one)."""
        target = self._open(stack_name, create=False)
        if target is None:
            return ""
        deployment = self._run("stack export", stack_name, None, target.export_stack)
        resources = (deployment.deployment or {}).get("resources") or []
        data = json.dumps(resources, sort_keys=True).encode()
        return "sha256:" + hashlib.sha256(data).hexdigest()

    def _urns(self, stack_name: str, targeting: Targeting) -> tuple[list[str], list[str]]:
        """``--target`` (plus what each depends on, and its parents) and ``--replace`` as
        the URNs the CLI takes; names are looked up in the recorded state."""
        if not targeting:
            return [], []
        target = self._open(stack_name, create=False)
        deployment = (
            self._run("stack export", stack_name, None, target.export_stack)
            if target is not None
            else None
        )
        resources = ((deployment.deployment if deployment else None) or {}).get("resources") or []
        nodes = {r["urn"]: r for r in resources if "urn" in r}

        def lookup(names: tuple[str, ...], flag: str) -> list[str]:
            urns = []
            for name in names:
                if name.startswith("urn:pulumi:"):
                    urns.append(name)
                    continue
                hits = [u for u in nodes if u.rsplit("::", 1)[-1] == name]
                if not hits:
                    raise UserInputError(
                        f"{flag} {name!r}: the stack's state has no resource of that name; "
                        "pass its URN (`provisioner stack preview --json` lists them)"
                    )
                urns.extend(hits)
            return urns

        chosen, todo = [], lookup(targeting.targets, "--target")
        while todo:
            urn = todo.pop(0)
            if urn in chosen:
                continue
            chosen.append(urn)
            node = nodes.get(urn, {})
            todo.extend(node.get("dependencies") or [])
            todo.extend([node["parent"]] if node.get("parent") else [])
        stack_urns = [u for u in chosen if u.split("::")[2] != "pulumi:pulumi:Stack"]
        return stack_urns, lookup(targeting.replace, "--replace")

    def destroy(
        self,
        stack_name: str,
        on_event: EventCallback = no_events,
        *,
        targets: tuple[str, ...] = (),
    ) -> Plan:
        """Delete every resource and then the stack itself; no state means nothing to do.

        With ``targets`` (names or URNs), only those and what depends on them
        (``--target-dependents``) are deleted, and the stack stays.
        """
        target = self._open(stack_name, create=False)
        if target is None:
            return Plan(stack_name, self.name)
        # The targets themselves (resolved as --replace names are), not what they need.
        urns = self._urns(stack_name, Targeting(replace=targets))[1] if targets else []
        recorder = EventRecorder(on_event)
        self._run(
            "destroy",
            stack_name,
            recorder,
            lambda: target.destroy(
                on_event=recorder,
                remove=not urns,
                target=urns or None,
                target_dependents=True if urns else None,
                message=history_message("destroy"),
            ),
        )
        return Plan(stack_name, self.name, recorder.steps)

    def refresh(self, stack_name: str, on_event: EventCallback = no_events) -> RefreshResult:
        """Read every resource back and report the ones whose outputs changed."""
        target = self._require(stack_name, "refresh")
        recorder = EventRecorder(on_event, refresh=True)
        self._run(
            "refresh",
            stack_name,
            recorder,
            lambda: target.refresh(on_event=recorder, message=history_message("refresh")),
        )
        return RefreshResult(stack_name, self.name, recorder.checked, recorder.drift)

    def outputs(self, stack_name: str) -> dict[str, Any]:
        """The last deploy's stack outputs; secret outputs are ``Secret``."""
        target = self._require(stack_name, "read the outputs of")
        return _plain_outputs(self._run("stack output", stack_name, None, target.outputs))

    def has_state(self, stack_name: str) -> bool:
        """True when the backend holds resources or pending operations for the stack."""
        target = self._open(stack_name, create=False)
        if target is None:
            return False
        deployment = self._run("stack export", stack_name, None, target.export_stack)
        body = deployment.deployment or {}
        return bool(body.get("resources") or body.get("pending_operations"))

    # -- state surgery: the CLI's own ``state`` and ``stack import``, after a backup -------

    def state_list(self, stack_name: str) -> list[StateResource]:
        """The resources the backend records (exported without ``--show-secrets``: secret
        values stay encrypted, and show as secrets)."""
        return [state_resource(r) for r in self._export(stack_name).get("resources") or []]

    def state_remove(self, stack_name: str, names: list[str]) -> StateChange:
        """``pulumi state delete`` each resource (the CLI refuses one that others need)."""
        urns = self._state_urns(stack_name, names)
        saved = self._backup(stack_name, "rm")
        for i, urn in enumerate(urns):
            try:
                self._cli(stack_name, "state delete", ["state", "delete", urn, "--yes"])
            except OperationError:
                if i == 0:  # nothing changed: no backup to keep
                    saved.unlink(missing_ok=True)
                raise
        return StateChange(stack_name, str(saved), dict.fromkeys(urns, ""))

    def state_move(
        self, stack_name: str, name: str, new_name: str | None, new_parent: str | None
    ) -> StateChange:
        """Rename with ``pulumi state rename``; re-parent by editing an export and
        importing it (``stack import``), which the CLI has no command for."""
        if not new_name and not new_parent:
            raise UserInputError("state mv needs a NEW_NAME, --parent, or both")
        [urn] = self._state_urns(stack_name, [name])
        saved = self._backup(stack_name, "mv")
        moved: dict[str, str] = {}
        if new_name:
            self._cli(stack_name, "state rename", ["state", "rename", urn, new_name, "--yes"])
            moved[urn] = urn = f"{urn.rsplit('::', 1)[0]}::{new_name}"
        if new_parent:
            [parent] = self._state_urns(stack_name, [new_parent])
            deployment = self._export(stack_name)
            renames = reparent(deployment.get("resources") or [], urn, parent)
            document = {"version": 3, "deployment": deployment}
            self._import(stack_name, document)
            first = next(iter(moved), urn)
            moved = {**renames, first: renames.get(urn, urn)}
        return StateChange(stack_name, str(saved), moved)

    def import_resource(
        self, stack: LoadedStack, type_: str, name: str, id_: str, parent: str | None = None
    ) -> StateResource:
        """Adopt an existing resource with ``pulumi import`` (``Stack.import_resources``):
        the provider plugin reads it by ID into the state, under ``parent`` (a URN, or a
        name in the state) when given. Give the name and parent the program uses, so the
        next preview matches it: ``same``, or the updates the definition needs."""
        stack_name = stack.name
        target = self._open(stack_name, stack=stack)
        resource: dict[str, Any] = {"type": type_, "name": name, "id": id_}
        name_table = None
        if parent:
            urn = (
                parent
                if parent.startswith("urn:pulumi:")
                else self._state_urns(stack_name, [parent])[0]
            )
            resource["parent"] = "parent"
            name_table = {"parent": urn}
        self._run(
            "import",
            stack_name,
            None,
            lambda: target.import_resources(
                message=history_message("import"),
                resources=[resource],  # type: ignore[list-item]
                name_table=name_table,
                protect=False,
                generate_code=False,
            ),
        )
        found = [r for r in self.state_list(stack_name) if r.name == name and r.type == type_]
        if not found:
            raise OperationError(f"pulumi import of {type_} {name} recorded nothing")
        return found[-1]

    def state_backups(self, stack_name: str) -> list[StateBackup]:
        folder = self._settings(stack_name).work_dir / "backups"
        found = []
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            stat = path.stat()
            created = datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(timespec="seconds")
            found.append(StateBackup(path.stem, str(path), created, stat.st_size))
        return found

    def state_restore(self, stack_name: str, name: str | None) -> StateChange:
        """``stack import`` a backup, after backing up what it replaces."""
        found = self.state_backups(stack_name)
        if not found:
            raise NotFoundError(f"stack {stack_name!r} has no state backups")
        chosen = (
            found[-1]
            if name is None
            else next((b for b in found if name in (b.name, b.path)), None)
        )
        if chosen is None:
            raise NotFoundError(f"stack {stack_name!r} has no state backup {name!r}")
        document = json.loads(Path(chosen.path).read_text(encoding="utf-8"))
        previous = self._backup(stack_name, "restore")
        self._import(stack_name, document)
        return StateChange(stack_name, str(previous), {chosen.path: "restored"})

    def _export(self, stack_name: str) -> dict[str, Any]:
        """The stack's deployment, secrets encrypted (``stack export`` without
        ``--show-secrets``, unlike ``Stack.export_stack``)."""
        out = self._cli(stack_name, "stack export", ["stack", "export"])
        return json.loads(out or "{}").get("deployment") or {}

    def _import(self, stack_name: str, document: dict[str, Any]) -> None:
        with tempfile.NamedTemporaryFile(
            "w", suffix=".json", dir=self._settings(stack_name).work_dir, delete=False
        ) as handle:
            json.dump(document, handle)
        try:
            self._cli(stack_name, "stack import", ["stack", "import", "--file", handle.name])
        finally:
            os.unlink(handle.name)

    def _backup(self, stack_name: str, why: str) -> Path:
        """Save the stack's export (secrets encrypted) under the workspace, mode 0600."""
        document = {"version": 3, "deployment": self._export(stack_name)}
        folder = self._settings(stack_name).work_dir / "backups"
        folder.mkdir(mode=0o700, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = folder / f"{stamp}-{why}.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=1)
        return path

    def _state_urns(self, stack_name: str, names: list[str]) -> list[str]:
        resources = self._export(stack_name).get("resources") or []
        urns = []
        for name in names:
            hits = [r["urn"] for r in resources if name in (r["urn"], r["urn"].rsplit("::", 1)[-1])]
            if not hits:
                raise NotFoundError(f"stack {stack_name!r} has no resource {name!r} in its state")
            if len(hits) > 1:
                raise UserInputError(f"{name!r} names {len(hits)} resources; pass one URN")
            urns.append(hits[0])
        return urns

    def _cli(self, stack_name: str, action: str, args: list[str]) -> str:
        """Run one CLI command on the stack (the backend's lock is the CLI's to take)."""
        self._require(stack_name, action)
        settings = self._settings(stack_name)
        return self._run(
            action,
            stack_name,
            None,
            lambda: (
                self.command()
                .run(
                    [*args, "--stack", stack_name, "--non-interactive"],
                    str(settings.work_dir),
                    settings.env,
                )
                .stdout
            ),
        )

    def history(self, stack_name: str) -> list[HistoryEntry]:
        """The backend's update history of the stack (``pulumi stack history``), oldest
        first; user, host and version come from the message provisioner tags updates with."""
        target = self._open(stack_name, create=False)
        if target is None:
            return []
        updates = self._run("stack history", stack_name, None, target.history)
        entries = []
        for update in updates:
            tagged = parse_message(update.message)
            changes = {str(op): int(n) for op, n in (update.resource_changes or {}).items() if n}
            entries.append(
                HistoryEntry(
                    kind=tagged.get("kind") or _KINDS.get(update.kind, update.kind),
                    started=_iso(update.start_time),
                    ended=_iso(update.end_time),
                    user=tagged.get("user", ""),
                    host=tagged.get("host", ""),
                    version=tagged.get("version", ""),
                    result=str(update.result),
                    changes=changes,
                    message="" if tagged else update.message,
                )
            )
        return entries[::-1]  # the CLI lists the newest first

    def state_location(self, stack_name: str) -> str:
        """The stack's checkpoint in the backend, e.g. ``file:///…/state/.pulumi/stacks/…``."""
        return self._settings(stack_name).state_location()

    # -- helpers ------------------------------------------------------------------------

    def _preview(
        self,
        stack: LoadedStack,
        on_event: EventCallback,
        *,
        refresh: bool,
        targeting: Targeting = EVERYTHING,
        plan_file: Path | None = None,
    ) -> Plan:
        recorder = EventRecorder(on_event)
        target = self._open(stack.name, stack=stack, plans=plan_file is not None)
        urns, replace = self._urns(stack.name, targeting)
        self._run(
            "preview",
            stack.name,
            recorder,
            lambda: target.preview(
                on_event=recorder,
                refresh=refresh,
                plan=str(plan_file) if plan_file is not None else None,
                target=urns or None,
                replace=replace or None,
            ),
        )
        notes = self._settings(stack.name, stack).notes
        plan = Plan(stack.name, self.name, recorder.steps, recorder.stack_outputs, notes)
        plan.drift = recorder.drift
        return plan

    def _up(
        self,
        stack: LoadedStack,
        on_event: EventCallback,
        *,
        refresh: bool,
        targeting: Targeting = EVERYTHING,
        plan_file: Path | None = None,
    ) -> Plan:
        recorder = EventRecorder(on_event)
        target = self._open(stack.name, stack=stack, plans=plan_file is not None)
        urns, replace = self._urns(stack.name, targeting)
        result = self._run(
            "up",
            stack.name,
            recorder,
            lambda: target.up(
                on_event=recorder,
                refresh=refresh,
                plan=str(plan_file) if plan_file is not None else None,
                target=urns or None,
                replace=replace or None,
                message=history_message("deploy"),
            ),
        )
        plan = Plan(stack.name, self.name, recorder.steps, outputs=_plain_outputs(result.outputs))
        plan.drift = recorder.drift
        return plan

    def command(self) -> PulumiCommand:
        """The PulumiCommand in use (found on first use)."""
        if self._command is None:
            self._command = cli.find_pulumi_command()
        return self._command

    def _open(
        self,
        stack_name: str,
        *,
        stack: LoadedStack | None = None,
        create: bool = True,
        plans: bool = False,
    ) -> Stack | None:
        """Create or select the Pulumi stack; with ``create=False``, None if it does not exist.

        With ``plans``, the CLI runs with update plans enabled (``PULUMI_EXPERIMENTAL``).
        """
        from pulumi.automation import (
            ConfigValue,
            LocalWorkspace,
            ProjectBackend,
            ProjectRuntimeInfo,
            ProjectSettings,
            Stack,
            StackNotFoundError,
        )

        settings = self._settings(stack_name, stack)
        program = None
        if stack is not None:
            from provisioner.program import build_program

            program = build_program(stack)
        project = ProjectSettings(
            name=PROJECT,
            runtime=ProjectRuntimeInfo("python", runtime_options() or None),
            main=str(settings.work_dir),
            description="Stacks provisioned by provisioner (managed; do not edit).",
            backend=ProjectBackend(settings.backend),
        )
        command = self.command()

        def connect() -> Stack | None:
            workspace = LocalWorkspace(
                work_dir=str(settings.work_dir),
                program=program,
                env_vars={**settings.env, **PLAN_ENV} if plans else settings.env,
                secrets_provider="passphrase",
                project_settings=project,
                pulumi_command=command,
            )
            if create:
                return Stack.create_or_select(stack_name, workspace)
            try:
                return Stack.select(stack_name, workspace)
            except StackNotFoundError:
                return None

        target = self._run("stack select", stack_name, None, connect)
        if target is not None and stack is not None:
            config = {k: ConfigValue(v) for k, v in cloud_config(stack.spec).items()}
            if config:
                self._run("config set", stack_name, None, lambda: target.set_all_config(config))
        return target

    def _settings(self, stack_name: str, stack: LoadedStack | None = None) -> WorkspaceSettings:
        backend = self._backend or (stack.spec.backend if stack is not None else None)
        return WorkspaceSettings.for_stack(stack_name, backend)

    def _require(self, stack_name: str, what: str) -> Stack:
        target = self._open(stack_name, create=False)
        if target is None:
            location = self._settings(stack_name).backend
            raise NotFoundError(
                f"cannot {what} stack {stack_name!r}: the Pulumi backend {location} has no such "
                "stack; deploy it first (or pass the --backend it was deployed with)"
            )
        return target

    def _run(
        self,
        action: str,
        stack_name: str,
        recorder: EventRecorder | None,
        call: Callable[[], Any],
    ) -> Any:
        from pulumi.automation.errors import CommandError

        try:
            return call()
        except CommandError as exc:
            raise failures.translate(
                exc, action=action, stack_name=stack_name, recorder=recorder
            ) from None
        except FileNotFoundError as exc:
            # The SDK raises this when the CLI binary vanished between the check and the run.
            raise EngineUnavailableError(f"{cli.missing_cli_message()} ({exc})") from None
        except RuntimeError as exc:  # e.g. "summary event never found"
            raise OperationError(f"pulumi {action} of stack {stack_name!r} failed: {exc}") from None


#: Pulumi's update kinds, in provisioner's words.
_KINDS = {"update": "deploy", "destroy": "destroy", "refresh": "refresh"}


def _iso(moment: Any) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


@contextlib.contextmanager
def _plan_file(work_dir: Path) -> Iterator[Path]:
    """A fresh file for a Pulumi update plan under the workspace, removed afterwards."""
    plans = work_dir / "plans"
    plans.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="update-", suffix=".json", dir=plans)
    os.close(handle)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def _plain_outputs(outputs: Any) -> dict[str, Any]:
    """OutputMap -> plain dict; secret outputs become ``Secret``."""
    plain = {}
    for key, output in (outputs or {}).items():
        value = decode(output.value)
        plain[key] = Secret(value) if output.secret else value
    return plain
