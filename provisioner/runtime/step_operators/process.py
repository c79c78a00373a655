"""The ``process`` step operator: each step in its own Python process on this machine.

The process runs ``python -m provisioner.runtime.entrypoint`` (the same entry point as a
Kubernetes step pod), so it reads its inputs from the artifact store and writes its outputs
and record there. Pure-Python CPU-bound steps therefore run in parallel, free of this
process's GIL. Optionally the process uses another interpreter (a virtual environment with
provisioner installed) and runs under resource limits: address space (``RLIMIT_AS``) and CPU
time (``RLIMIT_CPU``, counted from when the step starts: the process's start is not the
step's).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.errors import UserInputError
from provisioner.recipes.local.flavors import ProcessStepOperatorConfig, parse_quantity
from provisioner.runtime.components.step_operator import StepOperator
from provisioner.runtime.entrypoint import (
    ENV_CPU_SECONDS,
    ENV_STACK_CONFIG,
    EXIT_OK,
    EXIT_SETUP,
)
from provisioner.runtime.records import ErrorInfo, PodAttempt, Status, StepRecord, log_key

if TYPE_CHECKING:
    from provisioner.runtime.execution import RunState
    from provisioner.runtime.pipeline import Invocation

_LOG_TAIL = 2000  # characters of a dead process's log quoted in the step's error

#: Sets the address-space limit (its argument) and execs the step's command.
_LIMITED_EXEC = """\
import os, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]),) * 2)
os.execv(sys.argv[2], sys.argv[2:])
"""


class ProcessStepOperator(StepOperator):
    """Runs each step it is given in a new Python process; several at once in parallel."""

    def __init__(self, connection: Any, stack: Any) -> None:
        super().__init__(connection, stack)
        self.settings = self.parse_config(ProcessStepOperatorConfig)
        self.python = _interpreter(self.settings.python)
        self._procs: dict[int, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._checked = False

    # -- before the run ----------------------------------------------------------------------

    def prepare(self, state: RunState) -> None:
        """Check the interpreter imports provisioner, and the pipeline can be imported by it.

        Raises:
            UserInputError: a pipeline in ``__main__`` with no file, or an interpreter that
                lacks provisioner.
        """
        self._cancelled.clear()
        self.target = target_of(state.pipeline)
        if self._checked or self.python == sys.executable:
            return
        probe = subprocess.run(
            [self.python, "-c", "import provisioner.runtime.entrypoint"],
            capture_output=True,
            text=True,
            timeout=120,
            env=self._env(state),
        )
        if probe.returncode != 0:
            raise UserInputError(
                f"the process step operator's interpreter {self.python} cannot import "
                f"provisioner: {probe.stderr.strip().splitlines()[-1] if probe.stderr else ''}",
                hint=f"install provisioner (and what your steps import) into it: "
                f"{self.python} -m pip install provisioner",
            )
        self._checked = True

    def _env(self, state: RunState) -> dict[str, str]:
        env = dict(os.environ)
        env.pop(ENV_CPU_SECONDS, None)  # only this operator's config sets it
        env[ENV_STACK_CONFIG] = state.stack.model_dump_json()
        env["PYTHONPATH"] = os.pathsep.join(_code_paths())
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    # -- one step ----------------------------------------------------------------------------

    def launch(self, state: RunState, inv: Invocation) -> StepRecord:
        """Run ``inv`` in a new process (retrying as the step says) and return its record."""
        from provisioner.runtime.entrypoint import _stored_step
        from provisioner.runtime.execution import reuse_cached

        cached = reuse_cached(state, inv)
        if cached is not None:
            return cached
        rec = state.run.steps[inv.name]
        rec.status = Status.RUNNING
        rec.started_at = datetime.now(UTC)
        retries = inv.step.options.retries
        retries = state.pipeline.retries if retries is None else retries
        attempts: list[PodAttempt] = []
        code: int | None = None
        for _ in range(int(retries) + 1):
            code, attempt = self._run_once(state, inv)
            if code is None:  # cancelled
                return rec
            attempts.append(attempt)
            if code in (EXIT_OK, EXIT_SETUP):
                break
        stored = _stored_step(state.io.store, state.run.run_id, inv.name)
        return self._finish(state, inv, rec, code, stored, attempts)

    def _run_once(self, state: RunState, inv: Invocation) -> tuple[int | None, PodAttempt]:
        """One attempt: start the process, wait for it; (exit code or None if cancelled, attempt)."""
        import resource

        cmd = [self.python, "-m", "provisioner.runtime.entrypoint"]
        cmd += ["--run-id", state.run.run_id, "--step", inv.name, "--target", self.target]
        limits = self._limits(inv)
        if resource.RLIMIT_AS in limits:  # set in the child: preexec_fn is unsafe with threads
            cmd = [self.python, "-c", _LIMITED_EXEC, str(limits[resource.RLIMIT_AS]), *cmd]
        env = self._env(state)
        if resource.RLIMIT_CPU in limits:  # the entry point sets it when the step starts
            env[ENV_CPU_SECONDS] = str(limits[resource.RLIMIT_CPU])
        with tempfile.TemporaryFile() as log:
            proc = subprocess.Popen(
                cmd,
                env=env,
                cwd=os.getcwd(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C goes to the run; the run stops the step
            )
            with self._lock:
                self._procs[proc.pid] = proc
            try:
                while True:
                    try:
                        code = proc.wait(timeout=0.1)
                        break
                    except subprocess.TimeoutExpired:
                        if self._cancelled.is_set() or state.stopped:
                            _kill(proc)
                            return None, PodAttempt(pod=f"process-{proc.pid}")
            finally:
                with self._lock:
                    self._procs.pop(proc.pid, None)
            log.seek(0)
            text = log.read().decode(errors="replace")
        attempt = PodAttempt(
            pod=f"process-{proc.pid}",
            phase="Succeeded" if code == 0 else "Failed",
            exit_code=code,
            reason=_reason(code, limits),
        )
        if text:
            key = log_key(state.run.run_id, inv.name, attempt.pod)
            try:
                state.io.store.put_bytes(key, text.encode())
                attempt.log = key
            except Exception:  # the log is a convenience; the record says what happened
                pass
            attempt.message = text[-_LOG_TAIL:]
        return code, attempt

    def _limits(self, inv: Invocation) -> dict[int, int]:
        import resource

        limits: dict[int, int] = {}
        memory = [parse_quantity(self.settings.memory_limit)] if self.settings.memory_limit else []
        res = inv.step.options.resources
        if res is not None and (res.memory_limit or res.memory):
            memory.append(parse_quantity(str(res.memory_limit or res.memory)))
        if memory:
            limits[resource.RLIMIT_AS] = int(min(memory))
        if self.settings.cpu_seconds:
            limits[resource.RLIMIT_CPU] = self.settings.cpu_seconds
        return limits

    def _finish(
        self,
        state: RunState,
        inv: Invocation,
        rec: StepRecord,
        code: int | None,
        stored: StepRecord | None,
        attempts: list[PodAttempt],
    ) -> StepRecord:
        from provisioner.runtime.artifacts import ArtifactRef, hash_from_uri
        from provisioner.runtime.records import write_step

        with state.lock:
            if state.stopped:
                return rec
            ok = code == EXIT_OK and stored is not None and stored.status.done
            if stored is not None and (ok or stored.status is Status.FAILED):
                final = stored.model_copy(deep=True)
            else:
                final = rec.model_copy(deep=True)
                final.status = Status.FAILED
                final.ended_at = datetime.now(UTC)
                if final.started_at:
                    final.duration = (final.ended_at - final.started_at).total_seconds()
            if not ok and (final.error is None or stored is None or stored.status.done):
                last = attempts[-1] if attempts else None
                why = last.reason if last and last.reason else f"exit code {code}"
                final.status = Status.FAILED
                final.error = ErrorInfo(
                    type="StepProcessFailed",
                    message=f"the step's process ended without a result ({why})",
                    traceback=last.message if last else None,
                )
            final.pods = attempts
            final.attempts = max(final.attempts, len(attempts))
            if final.status.done:
                state.outputs[inv.name] = {
                    out: ArtifactRef(hash_from_uri(uri), uri, final.serializers.get(out, ""), "", 0)
                    for out, uri in final.outputs.items()
                }
            state.run.steps[inv.name] = final
        write_step(state.io.store, state.run.run_id, final)
        return final

    # -- stopping ----------------------------------------------------------------------------

    def cancel(self) -> None:
        """Kill every step process still running (their records stay as the run says)."""
        self._cancelled.set()
        with self._lock:
            procs = list(self._procs.values())
        for proc in procs:
            _kill(proc)

    def close(self) -> None:
        self.cancel()


def target_of(pipeline: Any) -> str:
    """``module:attr`` under which a step process imports the pipeline.

    Raises:
        UserInputError: the pipeline lives in ``__main__`` (a script run with ``python``),
            or is not a module-level name.
    """
    from provisioner.runtime.orchestrators.kube_image import pipeline_target

    if pipeline.func.__module__ == "__main__":
        raise UserInputError(
            f"pipeline {pipeline.name!r} is defined in a script run as __main__; a step "
            "process imports the pipeline, and would get different code",
            hint="run it with `provisioner pipeline run path/to/file.py:PIPELINE`, or import "
            "the pipeline from its module (from my_pipelines import training) before .run()",
        )
    return pipeline_target(pipeline)


def _interpreter(python: str | None) -> str:
    """The interpreter a config names: a virtual environment's folder or a python executable."""
    if not python:
        return sys.executable
    path = Path(python).expanduser()
    if path.is_dir():
        path = path / "bin" / "python"
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise UserInputError(
            f"step_operator.config.python: {python} is neither a virtual environment nor a "
            "python executable",
            hint="create it with `python -m venv DIR && DIR/bin/pip install provisioner`",
        )
    return str(path)


def _code_paths() -> list[str]:
    """This process's import path without its interpreter's own folders (the user's code)."""
    prefixes = {str(Path(p).resolve()) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    out = [os.getcwd()]
    for entry in sys.path:
        path = str(Path(entry or os.getcwd()).resolve())
        if any(path == p or path.startswith(p + os.sep) for p in prefixes):
            continue
        if path not in out and Path(path).is_dir():
            out.append(path)
    return out


def _reason(code: int | None, limits: dict[int, int]) -> str:
    import resource

    if code is None or code >= 0:
        return ""
    name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
    if -code in (signal.SIGXCPU, signal.SIGKILL) and resource.RLIMIT_CPU in limits:
        return f"{name}: killed at its CPU time limit ({limits[resource.RLIMIT_CPU]} s)"
    return f"killed by {name}"


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    time.sleep(0)  # let the waiter see it
