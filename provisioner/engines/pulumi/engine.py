"""PulumiEngine: the production engine, running the inline program through the Automation API."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.engines.base import Engine
from provisioner.engines.model import EventCallback, Plan, RefreshResult, Secret, no_events
from provisioner.engines.pulumi import cli, failures
from provisioner.engines.pulumi.events import EventRecorder
from provisioner.engines.pulumi.values import decode
from provisioner.engines.pulumi.workspace import (
    PROJECT,
    WorkspaceSettings,
    check_backend,
    cloud_config,
    runtime_options,
)
from provisioner.errors import EngineUnavailableError, NotFoundError, OperationError

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
        self, stack: LoadedStack, on_event: EventCallback = no_events, *, refresh: bool = False
    ) -> Plan:
        """Compute the steps an ``up`` would take, from the engine's step events.

        With ``refresh``, the CLI reads every resource back first (``preview --refresh``) and
        plans against what is real; ``Plan.drift`` lists what changed outside provisioner.
        """
        return self._preview(stack, on_event, refresh=refresh)

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
    ) -> Plan | None:
        """Preview into a Pulumi update plan, let ``confirm`` see it, then apply that plan.

        The preview saves an update plan (``preview --save-plan``) and the update runs with
        it (``up --plan``): the CLI performs only the operations the plan holds and stops
        with an error if the state or the program no longer produce them, so the plan
        ``confirm`` saw is the plan applied, or nothing beyond it is.

        Raises:
            OperationError: the stack changed after the plan was shown, so the CLI refused
                the plan (nothing beyond it was applied; rerun to see the new plan), or a
                provider failed.
            UserInputError: ``forget`` was given (the pulumi engine cannot forget).
        """
        if forget:
            return super().plan_and_apply(stack, on_event, forget=forget)  # refuses
        if confirm is None:
            return self._up(stack, on_event, refresh=refresh)
        plans = self._settings(stack.name, stack).work_dir / "plans"
        plans.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix="update-", suffix=".json", dir=plans)
        os.close(handle)
        plan_file = Path(name)
        try:
            plan = self._preview(stack, no_events, refresh=refresh, plan_file=plan_file)
            if not confirm(plan):
                return None
            applied = self._up(stack, on_event, refresh=refresh, plan_file=plan_file)
        finally:
            plan_file.unlink(missing_ok=True)
        applied.drift = plan.drift
        return applied

    def destroy(self, stack_name: str, on_event: EventCallback = no_events) -> Plan:
        """Delete every resource and then the stack itself; no state means nothing to do."""
        target = self._open(stack_name, create=False)
        if target is None:
            return Plan(stack_name, self.name)
        recorder = EventRecorder(on_event)
        self._run(
            "destroy",
            stack_name,
            recorder,
            lambda: target.destroy(on_event=recorder, remove=True),
        )
        return Plan(stack_name, self.name, recorder.steps)

    def refresh(self, stack_name: str, on_event: EventCallback = no_events) -> RefreshResult:
        """Read every resource back and report the ones whose outputs changed."""
        target = self._require(stack_name, "refresh")
        recorder = EventRecorder(on_event, refresh=True)
        self._run("refresh", stack_name, recorder, lambda: target.refresh(on_event=recorder))
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
        plan_file: Path | None = None,
    ) -> Plan:
        recorder = EventRecorder(on_event)
        target = self._open(stack.name, stack=stack, plans=plan_file is not None)
        self._run(
            "preview",
            stack.name,
            recorder,
            lambda: target.preview(
                on_event=recorder,
                refresh=refresh,
                plan=str(plan_file) if plan_file is not None else None,
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
        plan_file: Path | None = None,
    ) -> Plan:
        recorder = EventRecorder(on_event)
        target = self._open(stack.name, stack=stack, plans=plan_file is not None)
        result = self._run(
            "up",
            stack.name,
            recorder,
            lambda: target.up(
                on_event=recorder,
                refresh=refresh,
                plan=str(plan_file) if plan_file is not None else None,
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


def _plain_outputs(outputs: Any) -> dict[str, Any]:
    """OutputMap -> plain dict; secret outputs become ``Secret``."""
    plain = {}
    for key, output in (outputs or {}).items():
        value = decode(output.value)
        plain[key] = Secret(value) if output.secret else value
    return plain
