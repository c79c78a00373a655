"""Process and loopback-HTTP helpers for managed local services (spawn, probe, stop)."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from provisioner.errors import OperationError

#: Children this process spawned, kept so they are reaped and never warned about on GC.
_SPAWNED: dict[int, subprocess.Popen[bytes]] = {}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:``port`` (connections in TIME_WAIT do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Servers bind with SO_REUSEADDR, so closed connections lingering on the port don't matter.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def spawn_detached(
    argv: Sequence[str], log_file: Path, cwd: Path, env: dict[str, str] | None = None
) -> int:
    """Start ``argv`` in its own session, stdout and stderr appended to ``log_file``.

    Its own session keeps it alive when the caller's process group is killed (as a
    provider host's is when the engine shuts it down).

    Returns:
        The child's pid (also its process-group id).
    """
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env=env,
        )
    _SPAWNED[proc.pid] = proc
    return proc.pid


def release(pid: int) -> None:
    """Stop keeping the handle of a detached server that outlives this process on purpose
    (its exit is then reaped by :func:`pid_alive`, and no ResourceWarning is shown)."""
    proc = _SPAWNED.pop(pid, None)
    if proc is not None:
        proc.returncode = 0  # not waited for here: it runs on after we exit


def _reap(pid: int) -> bool:
    """Collect ``pid``'s exit status if it is our child; True when it has fully exited."""
    proc = _SPAWNED.get(pid)
    if proc is not None:
        if proc.poll() is None:
            return False
        _SPAWNED.pop(pid, None)
        return True
    with contextlib.suppress(ChildProcessError, OSError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == pid
    return False


def pid_alive(pid: int | None, marker: str | None = None) -> bool:
    """True when ``pid`` runs (not a zombie) and, if given, its command line contains ``marker``.

    The marker guards against pid reuse: a recorded pid now owned by another program
    is reported dead.
    """
    if not pid or pid <= 0 or _reap(pid):
        return False
    if not Path("/proc/self").exists():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    proc_dir = Path("/proc") / str(pid)
    try:
        stat = (proc_dir / "stat").read_text()
        cmdline = (proc_dir / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    state = stat.rsplit(")", 1)[-1].split()[0] if ")" in stat else ""
    if state in ("Z", "X"):
        return False
    return marker is None or marker in cmdline


def _wait_gone(pid: int, timeout: float) -> bool:
    """Wait until ``pid`` has exited; for our own children, until every thread is gone."""
    proc = _SPAWNED.get(pid)
    if proc is not None:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        _SPAWNED.pop(pid, None)
        return True
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def stop_process(
    pid: int | None, marker: str | None = None, timeout: float = 5.0, *, group: bool = False
) -> None:
    """Stop ``pid`` (SIGTERM, then SIGKILL after ``timeout`` s); a gone process is fine.

    ``marker`` is checked once, before signalling, so a reused pid is never signalled.
    ``group``: signal ``pid``'s whole process group (a server started by
    :func:`spawn_detached` leads its own group, and its workers are in it).

    Raises:
        OperationError: the process survived SIGKILL.
    """
    if not pid_alive(pid, marker):
        return
    assert pid is not None
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if group:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
        if _wait_gone(pid, wait):
            if group:  # workers that outlived their leader go too
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
            return
    raise OperationError(f"process {pid} did not stop after SIGTERM and SIGKILL")


def wait_port_free(port: int, timeout: float) -> bool:
    """Wait up to ``timeout`` s for ``port`` to be free (a just-killed server may still hold it)."""
    deadline = time.monotonic() + timeout
    while not port_is_free(port):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def http_ok(
    port: int, path: str = "/", timeout: float = 1.0, headers: dict[str, str] | None = None
) -> bool:
    """True when ``GET http://127.0.0.1:port{path}`` answers 200 (no proxies consulted)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        resp.read()
        return resp.status == 200
    except OSError:
        return False
    finally:
        conn.close()


def wait_http_ok(
    pid: int, port: int, path: str, timeout: float, headers: dict[str, str] | None = None
) -> bool:
    """Poll ``path`` on ``port`` until it answers 200, the process dies, or ``timeout`` s pass."""
    deadline = time.monotonic() + timeout
    while True:
        if http_ok(port, path, timeout=0.5, headers=headers):
            return True
        if not pid_alive(pid) or time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def tail(path: Path, lines: int = 5) -> str:
    """The last ``lines`` lines of a text file, or "" if it cannot be read."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def listening_pids(port: int) -> set[int]:
    """Pids of processes holding a TCP socket that listens on ``port`` (IPv4 or IPv6).

    Label Studio silently moves to the next port when its port is busy, so "something
    answers on the port" does not prove it is ours; the owner of the listening socket does.
    """
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if (
                    len(fields) > 9
                    and fields[3] == "0A"
                    and int(fields[1].rsplit(":", 1)[1], 16) == port
                ):
                    inodes.add(fields[9])
    owners: set[int] = set()
    if not inodes:
        return owners
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (proc / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in wanted:
                        owners.add(int(proc.name))
                        break
    return owners
