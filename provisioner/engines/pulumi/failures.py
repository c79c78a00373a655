"""Turn Automation API errors into the project's errors, with the failing resource and diagnostic."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable

from provisioner.engines.model import Op
from provisioner.engines.pulumi.events import EventRecorder, clean_message
from provisioner.errors import LockedError, OperationError, ProvisionerError

_MAX_LINES = 8
_FIELD = re.compile(r"\n (code|stdout|stderr): ")
#: How the CLI reports an update that left its plan: ``resource <urn> violates plan: …``, or
#: ``Expected resource operations for <urn> but none were generated``.
_PLAN_VIOLATION = re.compile(r"violates plan|expected resource operations for", re.IGNORECASE)

#: Resource type prefix -> the recipe function (``module:name``) that turns a failed delete's
#: error text into a hint for the user, or None. Loaded only when such a delete fails.
DELETE_HINTS: dict[str, str] = {
    "aws:s3/": "provisioner.recipes.aws.artifact_store:bucket_not_empty_hint",
    "aws:ecr/": "provisioner.recipes.aws.container_registry:repository_not_empty_hint",
    "azure-native:storage:": "provisioner.recipes.azure.artifact_store:storage_protected_hint",
    "azure-native:containerregistry:": (
        "provisioner.recipes.azure.container_registry:registry_protected_hint"
    ),
    "gcp:storage/": "provisioner.recipes.gcp.artifact_store:bucket_not_empty_hint",
    "gcp:artifactregistry/": "provisioner.recipes.gcp.container_registry:repository_not_empty_hint",
}

_RETRY_HINT = (
    "Resources that succeeded are recorded in the state; fix the cause and rerun to converge."
)


def command_output(exc: BaseException) -> dict[str, str]:
    """The code, stdout and stderr a CommandError carries (it keeps only their text)."""
    parts = _FIELD.split("\n" + str(exc).lstrip("\n"))
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


def _error_lines(output: dict[str, str]) -> list[str]:
    stderr = [clean_message(line) for line in output.get("stderr", "").splitlines()]
    stderr = [line for line in stderr if line]
    flagged = [line for line in stderr if line.lower().startswith("error:")]
    if flagged:
        return flagged[-_MAX_LINES:]
    stdout = output.get("stdout", "")
    inline = [line for line in stdout.splitlines() if "inline source runtime error" in line]
    return (inline or stderr)[-_MAX_LINES:]


def translate(
    exc: BaseException, *, action: str, stack_name: str, recorder: EventRecorder | None = None
) -> ProvisionerError:
    """Map an Automation API exception raised by ``action`` on ``stack_name``.

    ConcurrentUpdateError becomes LockedError; any other CommandError (or a Pulumi runtime
    error) becomes OperationError naming the failing resources and their diagnostics.
    """
    from pulumi.automation.errors import ConcurrentUpdateError

    output = command_output(exc)
    if isinstance(exc, ConcurrentUpdateError):
        detail = "\n".join(_error_lines(output))
        return LockedError(
            f"stack {stack_name!r} is locked: another Pulumi update of it is in progress"
            + (f"\n{detail}" if detail else ""),
            hint="Wait for that update to finish and retry. If no update is running (a deploy "
            "was killed), remove the stale lock with `pulumi cancel` in the stack's Pulumi "
            "work dir, then retry.",
        )
    if action == "up" and _plan_refused(output, recorder):
        done = recorder.completed if recorder is not None else []
        made = "".join(f"\n  {step.op} {step.type} {step.name}" for step in done)
        return OperationError(
            f"stack {stack_name!r} changed since the plan was shown: the Pulumi CLI refused "
            "the confirmed plan, so nothing beyond it was applied"
            + (f"; these planned changes were made first:{made}" if made else ""),
            hint="Rerun to see the new plan and confirm it. Changes already made stay "
            "recorded in the state.",
        )
    if _cancelled(output):
        return _cancelled_error(action, stack_name, recorder)
    if "incorrect passphrase" in output.get("stderr", ""):
        return OperationError(
            f"pulumi {action} of stack {stack_name!r} failed: the passphrase does not decrypt "
            "the stack's secrets",
            hint="Use the passphrase the stack was created with: the CLI takes "
            "PULUMI_CONFIG_PASSPHRASE whenever it is set (even to an empty string), else "
            "PULUMI_CONFIG_PASSPHRASE_FILE, else provisioner's generated passphrase file.",
        )
    lines = recorder.failure_report() if recorder is not None else []
    if not lines:
        lines = _error_lines(output) or [clean_message(str(exc))[:500] or type(exc).__name__]
    body = "\n".join(f"  {line}" for line in lines)
    hints = delete_hints(recorder) if recorder is not None else []
    return OperationError(
        f"pulumi {action} of stack {stack_name!r} failed:\n{body}",
        hint="\n".join([*hints, _RETRY_HINT]),
    )


def _plan_refused(output: dict[str, str], recorder: EventRecorder | None) -> bool:
    """True when ``up --plan`` stopped because the update no longer matches its plan."""
    lines = list(_error_lines(output)) + [msg for _, msg in (recorder.errors if recorder else [])]
    return any(_PLAN_VIOLATION.search(line) for line in lines)


def _cancelled(output: dict[str, str]) -> bool:
    return any(
        re.search(r"\b(update|preview|destroy|refresh) (canceled|cancelled)\b", line)
        for line in _error_lines(output)
    )


def _cancelled_error(
    action: str, stack_name: str, recorder: EventRecorder | None
) -> OperationError:
    done = recorder.completed if recorder is not None else []
    lines = [f"  {step.op} {step.type} {step.name}" for step in done]
    return OperationError(
        f"pulumi {action} of stack {stack_name!r} was cancelled before it finished"
        + (": these changes were made first\n" + "\n".join(lines) if lines else ""),
        hint="Changes that finished are recorded in the state; rerun to converge.",
    )


def delete_hints(recorder: EventRecorder) -> list[str]:
    """Recipe hints for the deletes that failed (e.g. a bucket that still holds objects).

    A replacement's delete half counts too: the engine reports it as a failed replace.
    """
    hints: list[str] = []
    for step in recorder.failed:
        if step.op not in (Op.DELETE, Op.REPLACE):
            continue
        for prefix, target in DELETE_HINTS.items():
            if not step.type.startswith(prefix):
                continue
            hint_for = _load(target)
            hint = hint_for(step.note or "") if hint_for is not None else None
            if hint and hint not in hints:
                hints.append(hint)
    return hints


def _load(target: str) -> Callable[[str], str | None] | None:
    """The hint function at ``module:name``; None when its recipe package is not installed."""
    module, _, name = target.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError:
        return None
