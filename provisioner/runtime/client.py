"""Read past runs and their artifacts from the stack's store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from provisioner.errors import UserInputError
from provisioner.integrations import require_for_stack
from provisioner.runtime.artifacts import ArtifactIO, hash_from_uri
from provisioner.runtime.errors import ArtifactImportError, InvalidNameError, RunNotFoundError
from provisioner.runtime.imports import import_file
from provisioner.runtime.records import RunRecord, list_runs, read_run
from provisioner.runtime.runner import download_dir, resolve_stack
from provisioner.runtime.stores import ArtifactStore, open_store
from provisioner.stackconfig import StackConfig


class RunClient:
    """Runs and artifacts of one stack, for anyone holding its stack config.

    Args:
        stack: a StackConfig, a stack config file, or a deployed stack's name; None: the
            active stack.
    """

    def __init__(self, stack: StackConfig | str | Path | None = None) -> None:
        self.stack = resolve_stack(stack)
        require_for_stack(self.stack)
        self.store: ArtifactStore = open_store(self.stack)
        self.io = ArtifactIO(self.store, download_dir(self.stack))

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

        A pickled value whose class module is not importable here is retried once after
        importing the run's pipeline file (recorded in the run, with its folder put on
        ``sys.path``), so it loads from any directory on the machine that ran it.

        Raises:
            RunNotFoundError: no such run, step or output.
            ArtifactNotFoundError: the artifact is missing or incomplete.
            SerializationError: it cannot be rebuilt here (ArtifactImportError: its class's
                module cannot be imported, with how to fix it).
        """
        run = self.get_run(run_id)
        return self._load(hash_from_uri(run.output_uri(step, output)), run)

    def _load(self, hash_: str, run: RunRecord | None = None) -> Any:
        try:
            return self.io.load(hash_)
        except ArtifactImportError as exc:
            if exc.module == "__main__":
                raise
            run = run or self._producer(hash_)
            if run is None or not run.source_file:
                raise
            source = Path(run.source_file)
            if not source.is_file():
                exc.hint = (
                    f"run {run.run_id} imported its pipeline from {source}, which is not here; "
                    f"{exc.hint}"
                )
                raise
            try:
                import_file(source)
            except UserInputError as import_exc:
                exc.hint = f"importing {source} to load it failed: {import_exc.message}"
                raise exc from None
        return self.io.load(hash_)

    def _producer(self, hash_: str) -> RunRecord | None:
        """The run that stored an artifact, from its manifest (None if unknown)."""
        run_id = self.io.manifest(hash_).get("producer", {}).get("run_id")
        if not run_id:
            return None
        try:
            return self.get_run(run_id)
        except (RunNotFoundError, InvalidNameError):
            return None


def list_pipeline_runs(
    stack: StackConfig | str | Path, pipeline: str | None = None, limit: int | None = None
) -> list[RunRecord]:
    """Runs on ``stack``, newest first."""
    return RunClient(stack).list_runs(pipeline, limit)


def get_run(stack: StackConfig | str | Path, run_id: str) -> RunRecord:
    """One run of ``stack``, with its steps."""
    return RunClient(stack).get_run(run_id)


def load_output(
    stack: StackConfig | str | Path, run_id: str, step: str, output: str = "output"
) -> Any:
    """Load a step's output of a past run."""
    return RunClient(stack).load_output(run_id, step, output)
