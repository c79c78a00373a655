"""Tell a live run from an abandoned one: its owner process and its heartbeat."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from provisioner.runtime.records import ErrorInfo, RunOwner, RunRecord, Status

#: A running run whose last heartbeat is older than this many intervals is abandoned.
STALE_INTERVALS = 3
#: The interval assumed for records that do not state theirs (seconds).
DEFAULT_INTERVAL = 15.0

_PROC = Path("/proc")
_owner_cache: dict[int, RunOwner] = {}


class ProcessState(StrEnum):
    """What this machine can say about a run's owner process."""

    ALIVE = "alive"
    DEAD = "dead"
    UNKNOWN = "unknown"  # another machine, container or boot: only the heartbeat can tell


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _boot_time() -> float | None:
    for line in (_read(_PROC / "stat") or "").splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    return None


def _process_stat(pid: int) -> tuple[str, datetime | None] | None:
    """(state letter, start time) of a process from /proc, or None if there is none."""
    text = _read(_PROC / str(pid) / "stat")
    if text is None:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the command name may hold spaces
    boot = _boot_time()
    if boot is None:
        return fields[0], None
    ticks = int(fields[19])
    return fields[0], datetime.fromtimestamp(boot + ticks / os.sysconf("SC_CLK_TCK"), UTC)


def _pid_namespace() -> str | None:
    try:
        return os.readlink(_PROC / "self" / "ns" / "pid")
    except OSError:
        return None


def this_owner() -> RunOwner:
    """The identity of the current process, as a run record stores it."""
    pid = os.getpid()
    owner = _owner_cache.get(pid)
    if owner is None:
        stat = _process_stat(pid)
        owner = RunOwner(
            host=socket.gethostname(),
            pid=pid,
            process_started_at=stat[1] if stat else None,
            boot_id=_read(_PROC / "sys" / "kernel" / "random" / "boot_id"),
            pid_namespace=_pid_namespace(),
        )
        _owner_cache.clear()
        _owner_cache[pid] = owner
    return owner


def process_state(owner: RunOwner) -> ProcessState:
    """Whether ``owner`` is still running, as far as this machine can tell.

    Only a process on this host, in this boot and pid namespace can be checked; a pid
    that now belongs to a process started at another time was reused, so the owner is dead.
    """
    me = this_owner()
    same_place = (
        owner.host == me.host
        and owner.boot_id == me.boot_id
        and owner.pid_namespace == me.pid_namespace
    )
    if not same_place:
        return ProcessState.UNKNOWN
    if owner.pid == me.pid:
        return ProcessState.ALIVE if owner == me else ProcessState.DEAD
    if me.boot_id is None:  # no /proc: ask the kernel, without a pid-reuse guard
        try:
            os.kill(owner.pid, 0)
        except ProcessLookupError:
            return ProcessState.DEAD
        except PermissionError:
            return ProcessState.ALIVE
        return ProcessState.ALIVE
    stat = _process_stat(owner.pid)
    if stat is None or stat[0] in ("Z", "X"):
        return ProcessState.DEAD
    started = stat[1]
    if (
        owner.process_started_at
        and started
        and abs((started - owner.process_started_at).total_seconds()) > 2
    ):
        return ProcessState.DEAD  # the pid was reused by a newer process
    return ProcessState.ALIVE


def stale_after(run: RunRecord) -> timedelta:
    """How old a running run's heartbeat may get before the run counts as abandoned."""
    return timedelta(seconds=STALE_INTERVALS * (run.heartbeat_interval or DEFAULT_INTERVAL))


def abandoned_reason(run: RunRecord, now: datetime | None = None) -> str | None:
    """Why a run that says ``running`` is in fact abandoned, or None if it may be alive."""
    if run.status is not Status.RUNNING:
        return None
    if run.owner is not None and process_state(run.owner) is ProcessState.DEAD:
        return f"its process (pid {run.owner.pid} on {run.owner.host}) is gone"
    last = run.heartbeat_at or run.started_at
    age = (now or datetime.now(UTC)) - last
    if age > stale_after(run):
        where = f" from {run.owner.host}" if run.owner else ""
        return (
            f"no heartbeat{where} since {last:%Y-%m-%d %H:%M:%S} UTC "
            f"({age.total_seconds():.0f} s; expected every "
            f"{run.heartbeat_interval or DEFAULT_INTERVAL:g} s)"
        )
    return None


def interrupt_steps(run: RunRecord, why: str, *, ready_ran: bool) -> None:
    """Close the steps of a run that stopped early.

    Running steps become ``interrupted``; steps that never started become ``skipped``.
    With ``ready_ran`` (a reader's view of a dead run) a pending step whose upstream
    steps were all done counts as running: the orchestrator starts such steps at once.
    """
    done = {n for n, s in run.steps.items() if s.status.done}
    for rec in run.steps.values():
        if rec.status is Status.RUNNING or (
            ready_ran and rec.status is Status.PENDING and all(u in done for u in rec.upstream)
        ):
            rec.status = Status.INTERRUPTED
            rec.error = ErrorInfo(type="Interrupted", message=f"did not finish: {why}")
        elif rec.status is Status.PENDING:
            rec.status = Status.SKIPPED
            rec.error = ErrorInfo(type="Skipped", message=f"never started: {why}")


def assess(run: RunRecord, now: datetime | None = None) -> RunRecord:
    """Report a ``running`` run whose process is gone as ``abandoned`` (in place).

    A run is abandoned when its owner process, on this host, is dead, or when its
    heartbeat is older than :func:`stale_after`. Its unfinished steps become
    ``interrupted`` or ``skipped``. Only the returned view changes, never the store.
    """
    reason = abandoned_reason(run, now)
    if reason is not None:
        run.status = Status.ABANDONED
        run.error = ErrorInfo(
            type="Abandoned", message=f"the run stopped without recording its end: {reason}"
        )
        interrupt_steps(run, "the run was abandoned", ready_ran=True)
    return run
