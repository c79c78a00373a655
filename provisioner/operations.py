"""What each stack command does: load, pick an engine, run it, write the stack config."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from provisioner import home, integrations, plans, refs
from provisioner.catalog.types import Cloud, ComponentType
from provisioner.engines import select
from provisioner.engines.base import Engine
from provisioner.engines.model import (
    EVERYTHING,
    UNKNOWN,
    EventCallback,
    Plan,
    RefreshResult,
    Secret,
    StateResource,
    Step,
    Targeting,
    Unknown,
    no_events,
)
from provisioner.errors import (
    EngineUnavailableError,
    LockedError,
    NotFoundError,
    OperationError,
    UserInputError,
)
from provisioner.program import AUTH_OUTPUT, COMPONENTS_OUTPUT
from provisioner.records import (
    StackRecord,
    forget,
    list_records,
    read_record,
    record_path,
    was_destroyed,
    write_record,
)
from provisioner.spec.loader import LoadedStack, builtin_recipes, load_stack
from provisioner.stackconfig import (
    SCHEMA_VERSION,
    AuthReference,
    ComponentConnection,
    Provenance,
    StackConfig,
    load_stack_config,
    now,
    scrub,
)

UNKNOWN_TEXT = "(known after apply)"


@dataclass
class PreviewResult:
    """A preview: the plan, the engine used, and the stack config a deploy would write."""

    stack: LoadedStack
    plan: Plan
    engine: str
    stack_config: dict[str, Any]
    notes: list[str] = field(default_factory=list)


@dataclass
class DeployResult:
    """A finished deploy."""

    stack: LoadedStack
    plan: Plan
    engine: str
    stack_config: StackConfig
    config_path: Path
    notes: list[str] = field(default_factory=list)


def is_stack_config_file(path: Path) -> bool:
    """True when ``path`` looks like a stack config (hand-off file), valid or not."""
    try:
        if not path.is_file() or path.stat().st_size > 1024 * 1024:
            return False
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and ("schema_version" in data or "provenance" in data)


RefKind = Literal["recipe", "definition", "stack-config", "name"]


def ref_kind(ref: str) -> RefKind:
    """What ``ref`` names: a built-in recipe, a definition file, a stack config file, or a
    (deployed) stack's name. Each file is read once, here."""
    if ref in builtin_recipes():
        return "recipe"
    path = Path(ref).expanduser()
    if refs.is_file_ref(ref) and path.is_file():
        return "stack-config" if is_stack_config_file(path) else "definition"
    refs.warn_if_shadowed(ref)
    return "name"


def target_name(ref: str) -> tuple[str, LoadedStack | None]:
    """A stack name from a definition (recipe or file), a stack config file, or a stack name."""
    kind = ref_kind(ref)
    if kind in ("recipe", "definition"):
        stack = load_stack(ref)
        return stack.name, stack
    if kind == "stack-config":
        return load_stack_config(Path(ref).expanduser()).name, None
    home.stack_dir(ref)  # validates the name
    return ref, None


def load_definition(ref: str) -> LoadedStack:
    """The stack definition behind ``ref``: a recipe, a definition file, or a deployed stack.

    Raises:
        UserInputError: ``ref`` is a stack config (hand-off) file, which holds no definition.
    """
    kind = ref_kind(ref)
    if kind == "stack-config":
        config = load_stack_config(Path(ref).expanduser())
        raise UserInputError(
            f"{ref} is a stack config (the hand-off file of stack {config.name!r}), not a stack "
            "definition",
            hint=f"Use the definition it was deployed from: {config.provenance.definition}"
            if config.provenance.recipe == "custom"
            else f"Use the definition it was deployed from: {config.provenance.recipe}",
        )
    if kind != "name":
        return load_stack(ref)
    try:
        record = read_record(ref)
    except UserInputError:
        record = None
    if record is not None:
        source = record.recipe or record.definition
        if record.recipe is None and not Path(record.definition).is_file():
            raise NotFoundError(
                f"stack {ref!r} was deployed from {record.definition}, which no longer exists; "
                "pass the definition file"
            )
        return load_stack(source)
    return load_stack(ref)  # explains that it is neither a recipe nor a file


def preview(
    ref: str,
    *,
    engine: str | None = None,
    offline: bool = False,
    backend: str | None = None,
    on_event: EventCallback = no_events,
    refresh: bool = True,
    targeting: Targeting = EVERYTHING,
    out: Path | None = None,
) -> PreviewResult:
    """Compute what a deploy of ``ref`` would change.

    With ``offline`` (or when the stack needs Pulumi and the CLI is missing), the embedded
    engine plans the program in-process with no credentials, CLI or network. It diffs against
    the embedded checkpoint, else against the Pulumi engine's ``file://`` state of the stack.
    With ``refresh`` (the default) the engine first reads every resource back (the embedded
    engine in memory, the Pulumi CLI with ``preview --refresh``), so the plan is made
    against what is real and shows the drift.

    ``targeting`` limits the plan to resources and what they need (``--target``) and forces
    replacements (``--replace``). With ``out``, the plan is saved there for ``deploy``.
    """
    select.check_backend(backend)
    stack = load_definition(ref)
    integrations.require_for_cloud(stack.cloud, f"stack {stack.name!r} on {stack.cloud}")
    notes = list(stack.warnings)
    backend = backend or stack.spec.backend
    choice = "embedded" if offline else select.resolve_choice(stack, engine)
    if choice == "pulumi" and not select.pulumi_cli_available():
        if engine == "pulumi":
            raise _no_cli_error()
        notes.append(
            "the Pulumi CLI is not installed, so this is the offline plan: it needs no CLI, "
            "credentials or network, and shows values known only after a deploy as "
            f"{UNKNOWN_TEXT}"
        )
        choice = "embedded"
    eng = select.make_engine(choice, backend=backend)
    if out is not None and offline:
        raise _offline_plan_error()
    if eng.name == "embedded" and not eng.has_state(stack.name) and not targeting and not out:
        # A stack deployed with Pulumi: the offline plan diffs against Pulumi's own state.
        from provisioner.engines.embedded.engine import EmbeddedEngine
        from provisioner.engines.embedded.pulumi_state import pulumi_baseline

        state, baseline_notes = pulumi_baseline(stack.name, backend)
        notes += baseline_notes
        assert isinstance(eng, EmbeddedEngine)
        plan = eng.preview(stack, on_event, baseline=state.checkpoint if state else None)
    elif eng.name == "embedded":
        from provisioner.engines.embedded.engine import EmbeddedEngine

        assert isinstance(eng, EmbeddedEngine)
        plan = eng.preview(stack, on_event, refresh=refresh and not offline, targeting=targeting)
    else:
        from provisioner.engines.pulumi.engine import PulumiEngine

        assert isinstance(eng, PulumiEngine)
        plan = eng.preview(
            stack, on_event, refresh=refresh, targeting=targeting, save=out is not None
        )
    if out is not None and plan.offline:
        raise _offline_plan_error()
    if out is not None:
        plans.write(out, stack, _definition_ref(stack), plan, refresh=refresh, targeting=targeting)
    target = select.resolve_choice(stack, engine)
    if target == "pulumi":  # the stack config a real deploy would write names Pulumi's state
        draft = draft_stack_config(
            stack,
            plan.outputs,
            eng,
            recipe=stack.recipe,
            engine_name="pulumi",
            state=_pulumi_state_location(stack, backend),
        )
    else:
        draft = draft_stack_config(stack, plan.outputs, eng, recipe=stack.recipe)
    return PreviewResult(stack, plan, eng.name, draft, notes + plan.notes)


def _offline_plan_error() -> UserInputError:
    return UserInputError(
        "--out saves a plan for `stack deploy` to apply; an offline plan cannot be applied",
        hint="Drop --offline; a cloud stack needs the Pulumi CLI to be planned for real.",
    )


def _definition_ref(stack: LoadedStack) -> str:
    """How a saved plan names its definition: the recipe, else the file's absolute path."""
    return stack.recipe or str(stack.source.resolve())


def _pulumi_state_location(stack: LoadedStack, backend: str | None) -> str:
    from provisioner.engines.pulumi import workspace

    backend = backend or workspace.recorded_backend(stack.name) or workspace.default_backend()
    return f"{backend.rstrip('/')}/.pulumi/stacks/provisioner/{stack.name}.json"


def deploy(
    ref: str,
    *,
    engine: str | None = None,
    on_event: EventCallback = no_events,
    confirm: Callable[[PreviewResult], bool] | None = None,
    lock_timeout: float = 0.0,
    backend: str | None = None,
    refresh: bool = True,
    forget: Collection[str] = (),
    targeting: Targeting = EVERYTHING,
) -> DeployResult | None:
    """Plan, confirm, apply that plan, and write the stack config.

    ``confirm`` sees the plan the engine applies: the embedded engine holds the stack's
    lock from the plan to the end of the apply. The stack's status turns ``deploying`` only
    once the plan is approved; a deploy refused or interrupted before that leaves the
    record as it was. Returns None when ``confirm`` declined. Reruns converge after a
    failure or a kill.

    Args:
        refresh: read the resources back before planning.
        forget: resources this deploy would delete that only leave the state instead.
        targeting: ``--target`` and ``--replace``.

    ``ref`` may be a saved plan (``stack preview --out``): the deploy applies exactly that
    plan, with the plan's engine, refresh and targeting, and refuses (``StalePlanError``,
    nothing changed) when the definition, the state or provisioner's version changed since.
    """
    select.check_backend(backend)
    expect = None
    if plans.is_plan_file(ref):
        saved = plans.read(Path(ref).expanduser())
        stack = load_definition(saved.definition)
        plans.check(saved, stack, Path(ref))
        if engine is not None and engine != saved.engine:
            raise UserInputError(
                f"the plan {ref} was made with the {saved.engine} engine; it cannot be applied "
                f"with --engine {engine}"
            )
        if targeting:
            raise UserInputError("a saved plan carries its own --target and --replace")
        engine, refresh, targeting = saved.engine, saved.refresh, saved.targeting
        expect = saved.expect()
    else:
        stack = load_definition(ref)
    integrations.require_for_cloud(stack.cloud, f"stack {stack.name!r} on {stack.cloud}")
    choice = select.resolve_choice(stack, engine)
    record = read_record(stack.name)
    backend = backend or stack.spec.backend or (record.backend if record else None)
    if (
        record is not None
        and engine is None
        and record.engine != choice
        and stack.spec.engine == "auto"
    ):
        choice = record.engine  # keep the state where it is
    if choice == "pulumi" and not select.pulumi_cli_available():
        raise _no_cli_error()
    _refuse_newer_config(stack.name)
    eng = select.make_engine(choice, backend=backend, lock_timeout=lock_timeout)
    notes = list(stack.warnings)
    if record is not None and record.definition != str(stack.source.resolve()):
        notes.append(
            f"stack {stack.name!r} was last deployed from {record.recipe or record.definition}; "
            f"this deploy uses {stack.recipe or stack.source.resolve()}"
        )
    started = False

    def approve(plan: Plan) -> bool:
        nonlocal started
        if confirm is not None:
            draft = draft_stack_config(stack, plan.outputs, eng, recipe=stack.recipe)
            if not confirm(PreviewResult(stack, plan, eng.name, draft, notes)):
                return False
        _write_status(stack, eng, "deploying", backend)
        started = True
        return True

    try:
        plan = eng.plan_and_apply(
            stack,
            on_event,
            confirm=approve,
            refresh=refresh,
            forget=forget,
            targeting=targeting,
            expect=expect,
        )
    except BaseException as exc:
        if started and not isinstance(exc, LockedError | EngineUnavailableError | UserInputError):
            _write_status(stack, eng, "failed", backend)
        else:
            # Refused or interrupted before changing anything (the lock, no CLI, a bad key,
            # a delete that would be refused, Ctrl-C at the prompt or while waiting for the
            # lock): the stack is as it was, so its record is too.
            _restore_record(stack.name, record)
        raise
    if plan is None:
        return None
    try:
        config = build_stack_config(stack, plan.outputs, eng)
    except OperationError:
        _write_status(stack, eng, "deployed", backend)  # the infrastructure is there
        raise
    path = home.stack_config_path(stack.name)
    previous = _read_config(path)
    if previous is not None and _same_config(previous, config):
        config = previous  # nothing changed: keep the file, and its deploy time, as they are
    else:
        config.write(path)
    _write_status(stack, eng, "deployed", backend)
    return DeployResult(stack, plan, eng.name, config, path, notes)


def destroy(
    ref: str,
    *,
    engine: str | None = None,
    on_event: EventCallback = no_events,
    lock_timeout: float = 0.0,
    backend: str | None = None,
    forget_resources: Collection[str] = (),
    targets: Collection[str] = (),
) -> Plan | None:
    """Delete every resource of the stack it may, then its state; None when there was
    nothing.

    A resource whose delete is refused stays, with what it needs; every other one is
    deleted, and a rerun deletes what is left. ``forget_resources`` only leave the state.
    With ``targets``, only those resources and what depends on them are deleted; the stack,
    its record and its stack config stay.

    Raises:
        NotFoundError: ``ref`` names no stack this home knows (never deployed or destroyed).
        OperationError: some resources could not be deleted; the message says which.
    """
    name, stack = target_name(ref)
    eng = _engine_for(name, stack, engine, lock_timeout, backend)
    if eng is None:
        record = read_record(name)
        if stack is None and record is None and not was_destroyed(name):
            known = ", ".join(r.name for r in list_records()) or "none"
            raise NotFoundError(
                f"no stack named {name!r} in this home (deployed stacks: {known})",
                hint="Pass a deployed stack's name, its definition file or its stack config.",
            )
        if forget_resources:
            raise NotFoundError(f"stack {name!r} has no state; there is nothing to forget")
        forget(name)
        return None
    if forget_resources and eng.name != "embedded":
        raise UserInputError("--forget needs the embedded engine")
    record = read_record(name)
    started = False

    def mark_destroying() -> None:
        nonlocal started
        if record is not None:
            write_record(
                replace(record, status="destroying", updated_at=now().isoformat(), owner=_owner())
            )
        started = True

    try:
        if eng.name == "embedded":  # "destroying" once the lock is held, not while waiting
            from provisioner.engines.embedded.engine import EmbeddedEngine

            assert isinstance(eng, EmbeddedEngine)
            plan = eng.destroy(
                name,
                on_event,
                forget=forget_resources,
                on_locked=mark_destroying,
                targets=tuple(targets),
            )
        else:
            from provisioner.engines.pulumi.engine import PulumiEngine

            assert isinstance(eng, PulumiEngine)
            mark_destroying()
            plan = eng.destroy(name, on_event, targets=tuple(targets))
    except BaseException as exc:
        if record is not None and started and not isinstance(exc, LockedError | UserInputError):
            # Part of it may be gone: never leave it "destroying".
            write_record(replace(record, status="failed", updated_at=now().isoformat(), owner=None))
        else:
            _restore_record(name, record)
        raise
    if targets:
        _restore_record(name, record)
        return plan
    forget(name)
    return plan


def destroy_targets(
    ref: str, *, engine: str | None = None, backend: str | None = None
) -> tuple[str, list[Step]] | None:
    """The stack name and the resources a destroy would delete; None when it has no state."""
    name, stack = target_name(ref)
    eng = _engine_for(name, stack, engine, 0.0, backend)
    return None if eng is None else (name, eng.resources(name))


def refresh(
    ref: str,
    *,
    engine: str | None = None,
    on_event: EventCallback = no_events,
    backend: str | None = None,
) -> RefreshResult:
    """Read the stack's resources back and report drift."""
    name, stack = target_name(ref)
    eng = _engine_for(name, stack, engine, 0.0, backend)
    if eng is None:
        raise NotFoundError(f"stack {name!r} has not been deployed; nothing to refresh")
    return eng.refresh(name, on_event)


def outputs(ref: str, *, engine: str | None = None, backend: str | None = None) -> dict[str, Any]:
    """The stack outputs of the last deploy."""
    name, stack = target_name(ref)
    eng = _engine_for(name, stack, engine, 0.0, backend)
    if eng is None:
        raise NotFoundError(f"stack {name!r} has not been deployed; it has no outputs")
    return eng.outputs(name)


def history(ref: str, *, engine: str | None = None, backend: str | None = None) -> list:
    """Every deploy, destroy and refresh of the stack (``HistoryEntry``), oldest first.

    The embedded engine's history stays after a destroy; the Pulumi engine's lives in its
    backend with the stack (``pulumi stack history``).
    """
    name, stack = target_name(ref)
    eng = _engine_for(name, stack, engine, 0.0, backend)
    if eng is not None:
        return eng.history(name)
    from provisioner.engines.history import read

    return read(home.stack_dir(name))


def import_resource(
    ref: str,
    type_: str,
    name: str,
    id_: str,
    *,
    parent: str | None = None,
    engine: str | None = None,
    backend: str | None = None,
    lock_timeout: float = 0.0,
) -> StateResource:
    """Adopt an existing resource into the stack's state (``stack import``)."""
    stack = load_definition(ref)
    record = read_record(stack.name)
    choice = engine or (record.engine if record else select.resolve_choice(stack, None))
    backend = backend or stack.spec.backend or (record.backend if record else None)
    if choice == "pulumi" and not select.pulumi_cli_available():
        raise _no_cli_error()
    eng = select.make_engine(choice, backend=backend, lock_timeout=lock_timeout)
    return eng.import_resource(stack, type_, name, id_, parent)


def stack_config(ref: str) -> StackConfig:
    """The stack config of a deployed stack (by recipe, definition or stack name) or a file."""
    if ref_kind(ref) == "stack-config":
        return load_stack_config(Path(ref).expanduser())
    name, _ = target_name(ref)
    return load_stack_config(name)


def _refuse_newer_config(name: str) -> None:
    """Never overwrite a stack config that a newer provisioner wrote."""
    path = home.stack_config_path(name)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return
    version = data.get("schema_version") if isinstance(data, dict) else None
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise UserInputError(
            f"stack {name!r} was last deployed by a newer provisioner (stack config "
            f"schema_version {version}, this one writes {SCHEMA_VERSION}); upgrade provisioner",
            hint=f"Its stack config is {path}.",
        )


def _read_config(path: Path) -> StackConfig | None:
    try:
        return load_stack_config(path) if path.is_file() else None
    except UserInputError:
        return None  # unreadable: it is replaced


def _same_config(a: StackConfig, b: StackConfig) -> bool:
    def strip(c: StackConfig) -> dict[str, Any]:
        data = c.model_dump(mode="json")
        data["provenance"].pop("deployed_at", None)
        return data

    return strip(a) == strip(b)


def list_stacks() -> list[StackRecord]:
    """Every stack recorded in the home; one whose deploy or destroy was killed shows as
    ``interrupted`` (its owner process is gone)."""
    return [_assess(r) for r in list_records()]


def _assess(record: StackRecord) -> StackRecord:
    """Report a ``deploying``/``destroying`` record whose process died as ``interrupted``
    (in the returned view only)."""
    if record.status not in ("deploying", "destroying") or not record.owner:
        return record
    from provisioner.runtime.liveness import ProcessState, process_state
    from provisioner.runtime.records import RunOwner

    try:
        owner = RunOwner.model_validate(record.owner)
    except ValueError:
        return record
    if process_state(owner) is ProcessState.DEAD:
        record.status = "interrupted"
    return record


def _owner() -> dict:
    from provisioner.runtime.liveness import this_owner

    return this_owner().model_dump(mode="json")


def _restore_record(name: str, record: StackRecord | None) -> None:
    if record is not None:
        write_record(record)
    else:
        record_path(name).unlink(missing_ok=True)


def engine_for(
    name: str,
    stack: LoadedStack | None,
    flag: str | None,
    lock_timeout: float = 0.0,
    backend: str | None = None,
) -> Engine | None:
    """The engine that holds state for stack ``name`` (``flag`` forces one), or None."""
    return _engine_for(name, stack, flag, lock_timeout, backend)


def no_cli_error() -> EngineUnavailableError:
    """The error for a stack that needs the Pulumi CLI, which is missing."""
    return _no_cli_error()


def _engine_for(
    name: str,
    stack: LoadedStack | None,
    flag: str | None,
    lock_timeout: float,
    backend: str | None = None,
) -> Engine | None:
    select.check_backend(backend)
    record = read_record(name)
    candidates = [flag] if flag else ([record.engine] if record else ["embedded", "pulumi"])
    backend = (
        backend or (record.backend if record else None) or (stack.spec.backend if stack else None)
    )
    for choice in candidates:
        if choice == "pulumi" and not select.pulumi_cli_available():
            if flag == "pulumi" or (record and record.engine == "pulumi"):
                raise _no_cli_error()
            continue
        eng = select.make_engine(choice, backend=backend, lock_timeout=lock_timeout)
        if eng.has_state(name):
            return eng
    return None


def _write_status(stack: LoadedStack, eng: Engine, status: str, backend: str | None) -> None:
    write_record(
        StackRecord(
            name=stack.name,
            cloud=str(stack.cloud),
            engine=eng.name,
            definition=str(stack.source.resolve()),
            recipe=stack.recipe,
            status=status,
            updated_at=now().isoformat(),
            backend=backend if eng.name == "pulumi" else None,
            owner=_owner() if status in ("deploying", "destroying") else None,
        )
    )


def _no_cli_error() -> EngineUnavailableError:
    from provisioner.engines.pulumi.cli import missing_cli_message

    return EngineUnavailableError(missing_cli_message())


def auth_reference(stack: LoadedStack, outputs: dict[str, Any] | None = None) -> AuthReference:
    """How a holder of the stack config authenticates, as references only.

    On AWS that is the stack user role when a recipe made one (``outputs["auth"]``), so the
    hand-off works for people other than the deployer; else the deployer's profile. On GCP
    it is the stack user service account (to impersonate) when the GKE recipe made one; on
    Azure the stack user identity (its client id and tenant) when the AKS recipe made one.
    """
    spec = stack.spec
    offered = (outputs or {}).get(AUTH_OUTPUT)
    role = offered.get("aws_role_arn") if isinstance(offered, dict) else None
    match stack.cloud:
        case Cloud.AWS if isinstance(role, str):
            return AuthReference(method="aws-role", aws_role_arn=role)
        case Cloud.AWS:
            profile = getattr(spec, "profile", None)
            return (
                AuthReference(method="aws-profile", aws_profile=profile)
                if profile
                else AuthReference(method="aws-default")
            )
        case Cloud.GCP if isinstance(offered, dict) and offered.get("gcp_service_account"):
            return AuthReference(
                method="gcp-service-account",
                gcp_service_account=offered["gcp_service_account"],
            )
        case Cloud.GCP:
            return AuthReference(method="gcp-default")
        case Cloud.AZURE if isinstance(offered, dict) and offered.get("azure_client_id"):
            return AuthReference(
                method="azure-client",
                azure_client_id=offered["azure_client_id"],
                azure_tenant_id=offered.get("azure_tenant_id"),
            )
        case Cloud.AZURE:
            return AuthReference(method="azure-default")
        case _:
            return AuthReference(method="none")


def _draft_auth(stack: LoadedStack, outputs: dict[str, Any]) -> dict[str, Any]:
    """The auth a deploy would write; a role not yet created shows as unknown."""
    offered = outputs.get(AUTH_OUTPUT)
    role = offered.get("aws_role_arn") if isinstance(offered, dict) else None
    if stack.cloud == Cloud.AWS and isinstance(role, Unknown):
        return {"method": "aws-role", "aws_role_arn": role}
    account = offered.get("gcp_service_account") if isinstance(offered, dict) else None
    if stack.cloud == Cloud.GCP and isinstance(account, Unknown):
        return {"method": "gcp-service-account", "gcp_service_account": account}
    if stack.cloud == Cloud.AZURE and isinstance(offered, dict) and "azure_client_id" in offered:
        keys = ("azure_client_id", "azure_tenant_id")
        return {"method": "azure-client", **{k: offered.get(k) for k in keys}}
    return auth_reference(stack, outputs).model_dump(mode="json", exclude_defaults=True)


def _components(outputs: dict[str, Any]) -> dict[str, Any]:
    """The exported components, in the catalog's type order (stable across runs)."""
    value = outputs.get(COMPONENTS_OUTPUT) or {}
    if not isinstance(value, dict):
        return {}
    order = {t.value: i for i, t in enumerate(ComponentType)}
    return dict(sorted(value.items(), key=lambda kv: order.get(kv[0], len(order))))


def build_stack_config(stack: LoadedStack, outputs: dict[str, Any], eng: Engine) -> StackConfig:
    """The hand-off file from a finished deploy's outputs.

    Raises:
        OperationError: a recipe exported a secret or an unknown value.
    """
    if isinstance(outputs.get(COMPONENTS_OUTPUT), Secret):
        raise OperationError(
            "refusing to write the stack config: a component's connection holds a secret value, "
            "so Pulumi marked the exported connections secret",
            hint="A recipe must export references (a secret's ARN or name, an env var name), "
            "never secret values; the infrastructure is deployed, but no stack config was written.",
        )
    components = {}
    for type_, value in _components(outputs).items():
        try:
            connection = scrub(value.get("connection") or {}, f"{type_}.connection")
        except ValueError as exc:
            raise OperationError(f"refusing to write the stack config: {exc}") from None
        components[type_] = ComponentConnection(flavor=value.get("flavor", ""), config=connection)
    return StackConfig(
        name=stack.name,
        cloud=stack.cloud,
        location=stack.spec.location,
        components=components,
        auth=auth_reference(stack, outputs),
        provenance=Provenance(
            recipe=stack.recipe or "custom",
            definition=str(stack.source.resolve()),
            engine=eng.name,
            state=eng.state_location(stack.name),
            deployed_at=now(),
        ),
    )


def draft_stack_config(
    stack: LoadedStack,
    outputs: dict[str, Any],
    eng: Engine,
    *,
    recipe: str | None,
    engine_name: str | None = None,
    state: str | None = None,
) -> dict[str, Any]:
    """The stack config a deploy would write, with unknown values marked and secrets masked."""

    def mark(value: Any) -> Any:
        if isinstance(value, Unknown):
            return value  # rendered "(known after apply)", {"$unknown": true} in JSON
        if isinstance(value, dict):
            return {k: mark(value[k]) for k in sorted(value)}
        if isinstance(value, list):
            return [mark(v) for v in value]
        if type(value).__name__ == "Secret":
            return "[secret]"
        return value

    comps = {
        t: {"flavor": v.get("flavor", ""), "config": mark(v.get("connection") or {})}
        for t, v in _components(outputs).items()
        if isinstance(v, dict)
    }
    if not comps and isinstance(outputs.get(COMPONENTS_OUTPUT), Secret):
        comps = {
            str(t): {"flavor": c.flavor.name, "config": outputs[COMPONENTS_OUTPUT]}
            for t, c in stack.components.items()
        }
    if not comps and isinstance(outputs.get(COMPONENTS_OUTPUT), Unknown):
        comps = {
            str(t): {"flavor": c.flavor.name, "config": UNKNOWN}
            for t, c in stack.components.items()
        }
    return {
        "schema_version": 1,
        "name": stack.name,
        "cloud": str(stack.cloud),
        "location": stack.spec.location,
        "components": comps,
        "auth": _draft_auth(stack, outputs),
        "provenance": {
            "recipe": recipe or "custom",
            "definition": str(stack.source),
            "engine": engine_name or eng.name,
            "state": state or eng.state_location(stack.name),
            "deployed_at": UNKNOWN,
        },
    }
