"""Errors the runtime raises; all derive from the project's error hierarchy."""

from __future__ import annotations

from provisioner.errors import NotFoundError, OperationError, UserInputError


class PipelineDefinitionError(UserInputError):
    """A step or pipeline that is defined or called wrongly (bad names, parameters, wiring)."""


class InvalidNameError(UserInputError):
    """A run id, step or artifact name that is unsafe (path traversal, odd characters)."""


class StackNotRunnableError(UserInputError):
    """A stack config that lacks an orchestrator or an artifact store."""


class RunIdTakenError(UserInputError):
    """An explicit run id that an earlier run in the same store already uses."""


class RunNotFoundError(NotFoundError):
    """No run (or step, or output) with that name in the artifact store."""


class ArtifactStoreError(OperationError):
    """The artifact store cannot be reached or refused an operation.

    Attributes:
        uri: the store (or object) URI the operation targeted.
    """

    def __init__(self, uri: str, cause: str, *, hint: str | None = None) -> None:
        self.uri = uri
        self.cause = cause
        super().__init__(f"artifact store {uri}: {cause}", hint=hint)


class ArtifactNotFoundError(ArtifactStoreError, NotFoundError):
    """An artifact that does not exist, or is not complete (no manifest)."""

    exit_code = 2


class SerializationError(OperationError):
    """A step output that no serializer can store, or an artifact that cannot be loaded."""


class StepFailedError(OperationError):
    """A step raised; carries the step name and the original traceback text."""

    def __init__(self, step: str, message: str, traceback: str = "") -> None:
        self.step = step
        self.traceback = traceback
        super().__init__(f"step {step!r} failed: {message}")


class PipelineRunFailedError(OperationError):
    """A pipeline run ended in failure.

    Attributes:
        result: the :class:`~provisioner.runtime.records.RunRecord` of the failed run.
    """

    def __init__(self, message: str, result: object) -> None:
        self.result = result
        super().__init__(message)


class RunCancelled(KeyboardInterrupt):
    """A run stopped by Ctrl-C, after its record was stored as ``cancelled``.

    A KeyboardInterrupt, so code that handles Ctrl-C keeps working.

    Attributes:
        result: the :class:`~provisioner.runtime.records.RunRecord` of the cancelled run.
    """

    def __init__(self, result: object) -> None:
        self.result = result
        super().__init__(f"run {getattr(result, 'run_id', '?')} cancelled")
