"""A Kubernetes API on loopback (kmock) and a fake kubelet that runs Jobs as local processes."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

JOBS = "/apis/batch/v1"


@contextmanager
def kmock_server() -> Iterator[str]:
    """kmock's in-memory Kubernetes API on 127.0.0.1 (a free port); yields its URL."""
    import kmock

    ready = threading.Event()
    box: dict[str, Any] = {}

    async def serve() -> None:
        async with kmock.KubernetesEmulator() as emulator, kmock.Server(emulator) as server:
            emulator.resources["batch/v1/jobs"] = kmock.ResourceInfo(
                kind="Job", namespaced=True, subresources={"status"}
            )
            box["url"] = str(server.url).rstrip("/")
            box["loop"] = asyncio.get_running_loop()
            box["stop"] = asyncio.Event()
            ready.set()
            await box["stop"].wait()

    def main() -> None:
        try:
            asyncio.run(serve())
        except BaseException as exc:  # pragma: no cover - reported through box
            box["error"] = exc
            ready.set()

    thread = threading.Thread(target=main, name="kmock", daemon=True)
    thread.start()
    if not ready.wait(30) or "error" in box:
        raise RuntimeError(f"kmock did not start: {box.get('error')}")
    assert box["url"].startswith("http://127.0.0.1:"), box["url"]
    try:
        yield box["url"]
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(10)


#: Talks to the loopback API server directly, whatever proxy the environment names.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(url: str, method: str = "GET", body: Any = None, patch: bool = False) -> Any:
    """One JSON request; returns the decoded body, or None for a 404."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/merge-patch+json" if patch else "application/json")
    try:
        with _DIRECT.open(req, timeout=10) as resp:
            return json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def list_jobs(url: str, namespace: str | None = None) -> list[dict[str, Any]]:
    """Jobs that exist now (in a namespace, or in all)."""
    path = f"{JOBS}/namespaces/{namespace}/jobs" if namespace else f"{JOBS}/jobs"
    return http(url + path)["items"]


def delete_jobs(url: str) -> None:
    """Delete every Job (between tests)."""
    for job in list_jobs(url):
        meta = job["metadata"]
        http(job_url(url, meta["namespace"], meta["name"]), "DELETE")


def job_url(url: str, namespace: str, name: str) -> str:
    return f"{url}{JOBS}/namespaces/{namespace}/jobs/{name}"


@dataclass
class Pod:
    """One attempt of a Job, run as a local process."""

    job: str
    attempt: int
    started: float
    ended: float | None = None
    returncode: int | None = None
    killed: bool = False


@dataclass
class FakeKubelet:
    """Does what the Job controller and a node would: runs each new Job's container command
    as a subprocess with the Job's env (in ``workdir``, the image's working directory),
    retries it up to ``backoffLimit``, enforces ``activeDeadlineSeconds``, kills it when the
    Job is deleted, and patches the Job's status by the exit codes.

    Args:
        url: the API server.
        workdir: where the "image" holds the user's project.
        node_env: environment the node adds (credentials an IRSA role would give).
    """

    url: str
    workdir: Path
    node_env: dict[str, str] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    pods: list[Pod] = field(default_factory=list)
    seen_at: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> FakeKubelet:
        thread = threading.Thread(target=self._watch, name="kubelet", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in list(self._threads):
            thread.join(15)

    def _watch(self) -> None:
        while not self._stop.is_set():
            for job in list_jobs(self.url):
                key = f"{job['metadata']['namespace']}/{job['metadata']['name']}"
                if key not in self.jobs and not (job.get("status") or {}).get("conditions"):
                    self.jobs[key] = job
                    self.seen_at[key] = time.monotonic()
                    thread = threading.Thread(target=self._run_job, args=(job,), daemon=True)
                    thread.start()
                    self._threads.append(thread)
            self._stop.wait(0.05)

    def _env(self, container: dict[str, Any]) -> dict[str, str]:
        env = {
            "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
            "HOME": str(self.workdir / "home"),
            "LANG": "C.UTF-8",
            **self.node_env,
        }
        for var in container.get("env", []):
            env[var["name"]] = var["value"]
        return env

    def _run_job(self, job: dict[str, Any]) -> None:
        meta, spec = job["metadata"], job["spec"]
        url = job_url(self.url, meta["namespace"], meta["name"])
        container = spec["template"]["spec"]["containers"][0]
        backoff = spec.get("backoffLimit", 6)
        deadline = spec.get("activeDeadlineSeconds")
        started = time.monotonic()
        failed = 0
        log_dir = self.workdir / "pod-logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        http(url + "/status", "PATCH", {"status": {"active": 1, "startTime": _now()}}, True)
        while True:
            pod = Pod(meta["name"], failed + 1, time.monotonic())
            self.pods.append(pod)
            with open(log_dir / f"{meta['name']}-{pod.attempt}.log", "w") as log:
                proc = subprocess.Popen(
                    container["command"],
                    env=self._env(container),
                    cwd=self.workdir,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
                reason = self._supervise(proc, url, started, deadline)
            pod.ended, pod.returncode = time.monotonic(), proc.returncode
            if reason == "deleted":
                pod.killed = True
                return
            if reason == "deadline":
                pod.killed = True
                self._fail(
                    url,
                    failed + 1,
                    "DeadlineExceeded",
                    "Job was active longer than specified deadline",
                )
                return
            if proc.returncode == 0:
                status = {"active": 0, "succeeded": 1, "failed": failed, "completionTime": _now()}
                status["conditions"] = [_condition("Complete")]
                http(url + "/status", "PATCH", {"status": status}, True)
                return
            failed += 1
            if failed > backoff:
                self._fail(
                    url,
                    failed,
                    "BackoffLimitExceeded",
                    "Job has reached the specified backoff limit",
                )
                return
            http(url + "/status", "PATCH", {"status": {"failed": failed}}, True)

    def _supervise(
        self, proc: subprocess.Popen, url: str, started: float, deadline: int | None
    ) -> str | None:
        while proc.poll() is None:
            if self._stop.is_set() or http(url) is None:
                proc.kill()
                proc.wait()
                return "deleted"
            if deadline and time.monotonic() - started > deadline:
                proc.kill()
                proc.wait()
                return "deadline"
            time.sleep(0.05)
        return None

    def _fail(self, url: str, failed: int, reason: str, message: str) -> None:
        status = {"active": 0, "failed": failed, "conditions": [_condition("Failed")]}
        status["conditions"][0].update(reason=reason, message=message)
        http(url + "/status", "PATCH", {"status": status}, True)

    def pods_of(self, job: str) -> list[Pod]:
        """The attempts of one Job, in order."""
        return [p for p in self.pods if p.job == job]

    def log(self, job: str, attempt: int = 1) -> str:
        """What one attempt printed."""
        return (self.workdir / "pod-logs" / f"{job}-{attempt}.log").read_text()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _condition(kind: str) -> dict[str, str]:
    return {"type": kind, "status": "True", "lastTransitionTime": _now()}
