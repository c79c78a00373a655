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


class ArtifactStoreMissingError(ArtifactStoreError):
    """A store (a local folder) that does not exist: the stack was destroyed, or never deployed."""


class ArtifactNotFoundError(ArtifactStoreError, NotFoundError):
    """An artifact that does not exist, or is not complete (no manifest)."""

    exit_code = 2


class SerializationError(OperationError):
    """A step output that no serializer can store, or an artifact that cannot be loaded."""


class ArtifactIntegrityError(SerializationError):
    """A stored artifact that does not match its address: its manifest or a data file was
    changed after it was written (or never was what it claims)."""

    def __init__(self, uri: str, cause: str) -> None:
        self.uri = uri
        super().__init__(
            f"artifact {uri} does not verify: {cause}",
            hint="someone or something changed it in the store; do not trust this store's "
            "copy (rerun the step that produced it)",
        )


class PickleNotAllowedError(SerializationError):
    """A pickled artifact this reader has not opted in to load (loading a pickle runs code)."""

    exit_code = 2


class ArtifactImportError(SerializationError):
    """A stored value (a pickle) whose class lives in a module that cannot be imported here.

    Attributes:
        uri: the artifact.
        module: the module that could not be imported.
        type_name: the stored value's ``module.qualname``.
    """

    def __init__(self, uri: str, module: str, type_name: str, cause: str) -> None:
        self.uri = uri
        self.module = module
        self.type_name = type_name
        hint = (
            "the class was defined in a script run as __main__; define it in a module the "
            "script imports, so other processes can import it too"
            if module == "__main__"
            else f"make module {module!r} importable: run from the folder that holds it (or "
            "add that folder to PYTHONPATH), or import it before loading"
        )
        super().__init__(
            f"cannot load artifact {uri}: it is a pickled {type_name}, and module "
            f"{module!r} cannot be imported here ({cause})",
            hint=hint,
        )


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
