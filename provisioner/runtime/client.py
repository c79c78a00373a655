"""Read past runs and their artifacts from the stack's store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from provisioner.errors import UserInputError
from provisioner.integrations import require_for_stack
from provisioner.runtime.artifacts import ArtifactIO, hash_from_uri
from provisioner.runtime.errors import ArtifactImportError
from provisioner.runtime.records import RunRecord, list_runs, read_run
from provisioner.runtime.runner import download_dir, resolve_stack
from provisioner.runtime.stores import ArtifactStore, open_store
from provisioner.stackconfig import StackConfig


class RunClient:
    """Runs and artifacts of one stack, for anyone holding its stack config.

    Every artifact read is verified against its address; pickles load only if this home
    wrote them or ``allow_pickle`` opts in (see :mod:`provisioner.runtime.trust`).

    Args:
        stack: a StackConfig, a stack config file, or a deployed stack's name; None: the
            active stack.
        allow_pickle: load pickles from any writer of the store (loading one runs its
            code); None reads ``$PROVISIONER_ALLOW_PICKLE``.
    """

    def __init__(
        self, stack: StackConfig | str | Path | None = None, *, allow_pickle: bool | None = None
    ) -> None:
        self.stack = resolve_stack(stack)
        require_for_stack(self.stack)
        self.store: ArtifactStore = open_store(self.stack)
        self.io = ArtifactIO(self.store, download_dir(self.stack), allow_pickle=allow_pickle)

    def list_runs(self, pipeline: str | None = None, limit: int | None = None) -> list[RunRecord]:
        """Runs, newest first."""
        runs = list_runs(self.store, pipeline)
        return runs[:limit] if limit else runs

    def get_run(self, run_id: str) -> RunRecord:
        """One run with its step records.

        Raises:
            RunNotFoundError: no such run.
            InvalidNameError: an unsafe run id.
        """
        return read_run(self.store, run_id)

    def load_artifact(self, uri: str) -> Any:
        """Load an artifact by URI (as in a step record) or by hash.

        Raises:
            UserInputError: the URI is of another store.
            ArtifactNotFoundError: missing or incomplete.
        """
        if "/" in uri and not uri.startswith(self.store.uri + "/"):
            raise UserInputError(f"{uri} is not in this stack's artifact store {self.store.uri}")
        return self._load(hash_from_uri(uri))

    def load_output(self, run_id: str, step: str, output: str = "output") -> Any:
        """Load one output of one step of a past run.

        The artifact must verify against its address and be stored with the serializer the
        step record names. Code is never imported on the record's say-so: a pickled value
        whose class's module is not importable here fails with the module the run recorded.

        Raises:
            RunNotFoundError: no such run, step or output.
            ArtifactNotFoundError: the artifact is missing or incomplete.
            ArtifactIntegrityError: it does not verify, or its serializer is not the recorded one.
            PickleNotAllowedError: a pickle this reader has not opted in to.
            SerializationError: it cannot be rebuilt here (ArtifactImportError: its class's
                module cannot be imported, with how to fix it).
        """
        run = self.get_run(run_id)
        uri = run.output_uri(step, output)
        expected = run.steps[step].serializers.get(output)
        return self._load(hash_from_uri(uri), run, expected)

    def _load(self, hash_: str, run: RunRecord | None = None, serializer: str | None = None) -> Any:
        try:
            return self.io.load(hash_, serializer)
        except ArtifactImportError as exc:
            if exc.module != "__main__" and run is not None and run.module:
                where = f" (from {run.source_file})" if run.source_file else ""
                exc.hint = (
                    f"run {run.run_id} imported its pipeline as module {run.module!r}{where}; "
                    "provisioner never imports code a run record names: put that module's "
                    "folder on PYTHONPATH (or import it) yourself, if you trust it"
                )
            raise


def list_pipeline_runs(
    stack: StackConfig | str | Path, pipeline: str | None = None, limit: int | None = None
) -> list[RunRecord]:
    """Runs on ``stack``, newest first."""
    return RunClient(stack).list_runs(pipeline, limit)


def get_run(stack: StackConfig | str | Path, run_id: str) -> RunRecord:
    """One run of ``stack``, with its steps."""
    return RunClient(stack).get_run(run_id)


def load_output(
    stack: StackConfig | str | Path,
    run_id: str,
    step: str,
    output: str = "output",
    *,
    allow_pickle: bool | None = None,
) -> Any:
    """Load a step's output of a past run (see :meth:`RunClient.load_output`)."""
    return RunClient(stack, allow_pickle=allow_pickle).load_output(run_id, step, output)
