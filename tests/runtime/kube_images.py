"""The fake kubelet's container runtime for real images: pulls each pod's image from the
registry with buildah and runs its command in it with ``buildah run --isolation chroot``
(host network, so the artifact store and STS on 127.0.0.1 are reachable, as a cluster's
pods reach theirs). A step that imports a package its image lacks fails there."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from provisioner.runtime.orchestrators.image_digest import is_loopback, parse_ref


class ContainerProc(subprocess.Popen):
    """``buildah run`` in its own process group: a kill reaches the step's process too."""

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)


class BuildahRuntime:
    """Working containers, one per pod: created (pulling the image) in the background, run,
    and removed when the pod ends.

    Args:
        mounts: host directories bind-mounted read-only at the same path in every container.
        storage: buildah's storage root (default: the system's).
    """

    def __init__(self, mounts: tuple[Path, ...] = (), storage: Path | None = None) -> None:
        self.exe = shutil.which("buildah")
        assert self.exe, "install buildah: scripts/test.sh does"
        self.mounts = mounts
        self.root = (
            ["--root", str(storage / "root"), "--runroot", str(storage / "run")] if storage else []
        )
        self._pool = ThreadPoolExecutor(4, thread_name_prefix="buildah-pull")
        self._containers: dict[str, Future] = {}
        self._lock = threading.Lock()
        self.pulled: list[str] = []

    def container(self, uid: str, image: str) -> tuple[str, str] | None:
        """``("ready", container)``, ``("error", message)``, or None while pulling."""
        with self._lock:
            fut = self._containers.get(uid)
            if fut is None:
                fut = self._containers[uid] = self._pool.submit(self._from, image)
        if not fut.done():
            return None
        return fut.result()

    def _from(self, image: str) -> tuple[str, str]:
        tls = ["--tls-verify=false"] if is_loopback(parse_ref(image).registry) else []
        proc = subprocess.run(
            [self.exe, *self.root, "from", "--quiet", *tls, image],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            return "error", f'failed to pull image "{image}": {proc.stderr.strip()[-300:]}'
        self.pulled.append(image)
        return "ready", proc.stdout.strip().splitlines()[-1]

    def run(
        self, container: str, command: list[str], env: dict[str, str], log: Path
    ) -> ContainerProc:
        """Start ``command`` in the container, its output into ``log``."""
        args = [self.exe, *self.root, "run", "--isolation", "chroot"]
        for key, value in env.items():
            args += ["--env", f"{key}={value}"]
        for mount in self.mounts:
            args += ["-v", f"{mount}:{mount}:ro"]
        with open(log, "w") as out:
            return ContainerProc(
                [*args, container, "--", *command],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def remove(self, uid: str) -> None:
        with self._lock:
            fut = self._containers.pop(uid, None)
        if fut is not None and fut.done() and fut.result()[0] == "ready":
            subprocess.run([self.exe, *self.root, "rm", fut.result()[1]], capture_output=True)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        for uid in list(self._containers):
            self.remove(uid)
