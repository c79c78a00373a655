"""The fake cluster's controllers: the Job controller, a one-node scheduler and a kubelet that
runs each pod's container command as a local process with a clean environment, or, given a
container runtime (:mod:`tests.runtime.kube_images`), in the pod's real image.

Against :class:`tests.runtime.kube_api.FakeCluster` they behave as their real counterparts
do: pods are admitted (ServiceAccount, Pod Security, quota) or refused with ``FailedCreate``;
a pod that does not fit the node stays Pending with ``Unschedulable``; images that cannot be
pulled and missing Secrets leave the container waiting; Jobs retry up to ``backoffLimit``,
honour ``podFailurePolicy``, ``activeDeadlineSeconds`` and ``ttlSecondsAfterFinished``.
Scenarios (OOM, eviction, node loss) are injected per step.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.runtime.kube_api import FakeCluster, now
from tests.runtime.kube_images import BuildahRuntime
from tests.runtime.kube_rules import quantity

ACTIVE = ("Pending", "Running")
IRSA_ROLE = "eks.amazonaws.com/role-arn"
#: AKS workload identity: the service account's annotations and the pod's opt-in label.
AZURE_CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
AZURE_TENANT_ANNOTATION = "azure.workload.identity/tenant-id"
AZURE_USE_LABEL = "azure.workload.identity/use"
AZURE_DEFAULT_TENANT = "00000000-0000-0000-0000-00000000a2e0"
STEP_LABEL = "provisioner.dev/step"


@dataclass
class Pod:
    """One attempt of a Job that ran as a local process."""

    job: str
    name: str
    attempt: int
    started: float
    ended: float | None = None
    returncode: int | None = None
    killed: bool = False


@dataclass
class Node:
    """The cluster's one node."""

    labels: dict[str, str] = field(default_factory=lambda: {"kubernetes.io/os": "linux"})
    taints: list[dict[str, str]] = field(default_factory=list)
    allocatable: dict[str, str] = field(default_factory=lambda: {"cpu": "4", "memory": "16Gi"})


def _tail(text: str, lines: int = 80, size: int = 2048) -> str:
    return "".join(text.splitlines(keepends=True)[-lines:])[-size:]


class FakeKubelet:
    """Runs the controllers over ``cluster`` in a thread while in a ``with`` block.

    Args:
        cluster: the fake API server's state.
        workdir: the "image": the working directory with the user's project.
        env: what the cloud adds to every pod (e.g. the STS endpoint IRSA talks to).
        missing_images: images no registry has (ErrImagePull).
        private_images: images that need an ``imagePullSecrets`` entry naming a Secret.
        node: the node's labels, taints and allocatable resources.
        backoff: seconds between a failed pod and the next (real clusters: 10 s and up).
        ttl_scale: seconds per second of ``ttlSecondsAfterFinished``.
        runtime: run each pod's real image (pulled from its registry) with this container
            runtime; None runs the command as a host process in ``workdir`` (fast).
    """

    def __init__(
        self,
        cluster: FakeCluster,
        workdir: Path,
        env: dict[str, str] | None = None,
        *,
        missing_images: tuple[str, ...] = (),
        private_images: tuple[str, ...] = (),
        node: Node | None = None,
        backoff: float = 0.02,
        ttl_scale: float = 1.0,
        runtime: BuildahRuntime | None = None,
    ) -> None:
        self.runtime = runtime
        self.cluster = cluster
        self.workdir = workdir
        self.env = dict(env or {})
        self.missing_images = set(missing_images)
        self.private_images = set(private_images)
        self.node = node or Node()
        self.backoff = backoff
        self.ttl_scale = ttl_scale
        self.jobs: dict[str, dict[str, Any]] = {}  # "ns/name" -> the Job as created
        self.pods: list[Pod] = []
        self.scenarios: dict[str, list[str]] = {}
        self._procs: dict[str, tuple[subprocess.Popen, Pod]] = {}
        self._clock: dict[str, float] = {}  # uid -> monotonic start / finish / last failure
        self._counted: set[str] = set()
        self._scenario: dict[str, str] = {}  # pod uid -> the scenario it ends with
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="fake-kubelet", daemon=True)
        self._prober = threading.Thread(target=self._probe_loop, name="fake-prober", daemon=True)
        self._ips = 1  # pod IPs handed out: 127.0.1.N, each pod its own address
        self._probes: dict[str, dict[str, Any]] = {}  # pod uid -> probe state

    def __enter__(self) -> FakeKubelet:
        self._thread.start()
        self._prober.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(15)
        self._prober.join(15)
        for proc, pod in list(self._procs.values()):
            proc.kill()
            proc.wait()
            pod.killed = True
        if self.runtime is not None:
            self.runtime.close()

    def inject(self, step: str, *kinds: str) -> None:
        """Make the next attempts of ``step`` end as ``kinds``: "oom", "evict", "node-lost"."""
        self.scenarios.setdefault(step, []).extend(kinds)

    def pods_of(self, job: str) -> list[Pod]:
        """The attempts of one Job that started a process, in order."""
        return [p for p in self.pods if p.job == job]

    def log(self, job: str, attempt: int = 1) -> str:
        """What one attempt printed."""
        pod = self.pods_of(job)[attempt - 1]
        return (self.workdir / "pod-logs" / f"{pod.name}.log").read_text()

    # -- the loop ---------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                with self.cluster.lock:
                    self._tick()
            except Exception as exc:  # pragma: no cover - a broken fake must be loud
                print(f"fake kubelet error: {exc!r}", file=sys.stderr)
                raise
            self._stop.wait(0.01)

    def _tick(self) -> None:
        c = self.cluster
        jobs = {j["metadata"]["uid"]: j for j in c.items("jobs")}
        for job in jobs.values():
            meta = job["metadata"]
            self.jobs.setdefault(f"{meta['namespace']}/{meta['name']}", copy.deepcopy(job))
            self._control(job)
        deployments = {d["metadata"]["uid"]: d for d in c.items("deployments")}
        for dep in deployments.values():
            self._roll(dep)
        for pod in c.items("pods"):
            owner = pod["metadata"]["ownerReferences"][0]["uid"]
            if owner not in jobs and owner not in deployments:  # the garbage collector
                c.delete("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])
                continue
            if pod["status"]["phase"] == "Pending":
                if not pod["spec"].get("nodeName"):
                    self._schedule(pod)
                else:
                    self._start(pod)
            elif (
                _restarting(pod)
                and time.monotonic() - self._clock.get(f"{pod['metadata']['uid']}/exited", 0)
                >= self.backoff
            ):
                self._start(pod)
        for uid, (proc, rec) in list(self._procs.items()):
            pod = next((p for p in c.items("pods") if p["metadata"]["uid"] == uid), None)
            if pod is None:
                proc.kill()
                proc.wait()
                rec.killed, rec.ended, rec.returncode = True, time.monotonic(), proc.returncode
                del self._procs[uid]
                if self.runtime is not None:
                    self.runtime.remove(uid)
            elif proc.poll() is not None:
                del self._procs[uid]
                if _owner_kind(pod) == "Deployment":
                    self._crashed(pod, proc, rec)
                else:
                    self._exited(pod, proc, rec)
                if self.runtime is not None:
                    self.runtime.remove(uid)

    # -- Job controller ---------------------------------------------------------------------

    def _control(self, job: dict[str, Any]) -> None:
        c, meta, spec, status = self.cluster, job["metadata"], job["spec"], job["status"]
        uid = meta["uid"]
        if any(cond["type"] in ("Complete", "Failed") for cond in status.get("conditions", [])):
            ttl = spec.get("ttlSecondsAfterFinished")
            if ttl is not None and time.monotonic() - self._clock[uid] >= ttl * self.ttl_scale:
                c.delete("jobs", meta["namespace"], meta["name"])
            return
        if uid not in self._clock:
            self._clock[uid] = time.monotonic()
            status["startTime"] = now()
        pods = [p for p in c.items("pods", meta["namespace"]) if _owner(p) == uid]
        active = [p for p in pods if p["status"]["phase"] in ACTIVE]
        deadline = spec.get("activeDeadlineSeconds")
        if deadline and time.monotonic() - self._clock[uid] > deadline:
            for pod in active:
                c.delete("pods", meta["namespace"], pod["metadata"]["name"])
            return self._finish(
                job, "Failed", "DeadlineExceeded", "Job was active longer than specified deadline"
            )
        if any(p["status"]["phase"] == "Succeeded" for p in pods):
            status.update(succeeded=1, active=0, completionTime=now())
            return self._finish(job, "Complete")
        for pod in pods:
            name = pod["metadata"]["name"]
            if pod["status"]["phase"] != "Failed" or name in self._counted:
                continue
            self._counted.add(name)
            self._clock[f"{uid}/failed"] = time.monotonic()
            action, message = _policy(spec.get("podFailurePolicy"), pod)
            if action == "FailJob":
                status["failed"] = status.get("failed", 0) + 1
                return self._finish(job, "Failed", "PodFailurePolicy", message)
            if action != "Ignore":
                status["failed"] = status.get("failed", 0) + 1
        status["active"] = len(active)
        if status.get("failed", 0) > spec.get("backoffLimit", 6):
            return self._finish(
                job, "Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit"
            )
        last = self._clock.get(f"{uid}/failed") or self._clock.get(f"{uid}/refused") or 0
        if not active and time.monotonic() - last >= self.backoff:
            self._create_pod(job)

    def _finish(self, job: dict[str, Any], kind: str, reason: str = "", message: str = ""):
        status = job["status"]
        conds = [
            {"type": "SuccessCriteriaMet" if kind == "Complete" else "FailureTarget"},
            {"type": kind},
        ]
        for cond in conds:
            cond.update(status="True", lastTransitionTime=now())
            if reason:
                cond.update(reason=reason, message=message)
        status["conditions"] = conds
        status["active"] = 0
        self._clock[job["metadata"]["uid"]] = time.monotonic()
        for pod in self.cluster.items("pods", job["metadata"]["namespace"]):
            if _owner(pod) == job["metadata"]["uid"] and pod["status"]["phase"] in ACTIVE:
                self.cluster.delete("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])

    def _create_pod(self, job: dict[str, Any]) -> None:
        c, meta = self.cluster, job["metadata"]
        ns = meta["namespace"]
        template = job["spec"]["template"]
        name = f"{meta['name']}-{secrets.token_hex(3)[:5]}"
        spec = copy.deepcopy(template["spec"])
        refusal = self._admit(ns, name, spec)
        if refusal:
            self._clock[f"{meta['uid']}/refused"] = time.monotonic()
            c.event(
                job, "Job", "FailedCreate", f'Error creating: pods "{name}" is forbidden: {refusal}'
            )
            return
        c.put(
            "pods",
            ns,
            {
                "metadata": {
                    "name": name,
                    "labels": dict(template["metadata"]["labels"]),
                    "annotations": dict(template["metadata"].get("annotations") or {}),
                    "ownerReferences": [
                        {
                            "apiVersion": "batch/v1",
                            "kind": "Job",
                            "name": meta["name"],
                            "uid": meta["uid"],
                            "controller": True,
                        }
                    ],
                },
                "spec": spec,
                "status": {"phase": "Pending", "conditions": []},
            },
        )
        c.event(job, "Job", "SuccessfulCreate", f"Created pod: {name}", warn=False)

    def _admit(self, ns: str, name: str, spec: dict[str, Any]) -> str | None:
        """Why the API server refuses this pod (admission), or None."""
        c = self.cluster
        sa = spec.setdefault("serviceAccountName", "default")
        if c.get("serviceaccounts", ns, sa) is None:
            return f'error looking up service account {ns}/{sa}: serviceaccount "{sa}" not found'
        if c.namespaces[ns].get("pod-security.kubernetes.io/enforce") == "restricted":
            problems = _restricted(spec)
            if problems:
                return f'violates PodSecurity "restricted:latest": {"; ".join(problems)}'
        for need in c.quotas.get(ns, []):
            kind, _, resource = need.partition(".")
            for cont in spec["containers"]:
                if resource not in ((cont.get("resources") or {}).get(kind) or {}):
                    return f"failed quota: compute: must specify {need} for: {cont['name']}"
        return None

    # -- scheduler --------------------------------------------------------------------------

    def _schedule(self, pod: dict[str, Any]) -> None:
        spec, node = pod["spec"], self.node
        why = []
        if any(node.labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
            why.append("1 node(s) didn't match Pod's node affinity/selector")
        for taint in node.taints:
            if not any(_tolerates(t, taint) for t in spec.get("tolerations") or []):
                why.append(
                    f"1 node(s) had untolerated taint {{{taint['key']}: {taint.get('value', '')}}}"
                )
        for cont in spec["containers"]:
            res = cont.get("resources") or {}
            for name, value in {**(res.get("limits") or {}), **(res.get("requests") or {})}.items():
                if quantity(value) > quantity(node.allocatable.get(name, "0")):
                    why.append(f"1 Insufficient {name}")
        if why:
            message = f"0/1 nodes are available: {', '.join(why)}."
            pod["status"]["conditions"] = [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": message,
                }
            ]
            self.cluster.event(pod, "Pod", "FailedScheduling", message)
            return
        spec["nodeName"] = "node-1"
        pod["status"]["conditions"] = [{"type": "PodScheduled", "status": "True"}]
        self._ips += 1
        pod["status"]["podIP"] = f"127.0.1.{self._ips}"  # the whole of 127/8 is loopback

    # -- kubelet ----------------------------------------------------------------------------

    def _start(self, pod: dict[str, Any]) -> None:
        c, meta, spec = self.cluster, pod["metadata"], pod["spec"]
        if meta["uid"] in self._procs:
            return
        cont = spec["containers"][0]
        image = cont["image"]
        waiting = None
        if image in self.missing_images:
            waiting = ("ErrImagePull", f'failed to pull image "{image}": not found')
        elif image in self.private_images and not any(
            c.get("secrets", meta["namespace"], ref["name"])
            for ref in spec.get("imagePullSecrets") or []
        ):
            waiting = ("ErrImagePull", f'failed to pull image "{image}": 401 Unauthorized')
        container = None
        if waiting is None and self.runtime is not None:
            got = self.runtime.container(meta["uid"], image)
            if got is None:  # still pulling
                pod["status"]["containerStatuses"] = [
                    {
                        "name": cont["name"],
                        "image": image,
                        "imageID": "",
                        "ready": False,
                        "restartCount": 0,
                        "state": {"waiting": {"reason": "ContainerCreating"}},
                    }
                ]
                return
            if got[0] == "error":
                waiting = ("ErrImagePull", got[1])
            else:
                container = got[1]
        env = None
        if waiting is None:
            env, error = self._env(pod, cont)
            if error:
                waiting = ("CreateContainerConfigError", error)
        if waiting is not None:
            statuses = pod["status"].get("containerStatuses")
            reason = waiting[0]
            if statuses and reason == "ErrImagePull":
                reason = "ImagePullBackOff"
            pod["status"]["containerStatuses"] = [
                {
                    "name": cont["name"],
                    "image": image,
                    "imageID": "",
                    "ready": False,
                    "restartCount": 0,
                    "state": {"waiting": {"reason": reason, "message": waiting[1]}},
                }
            ]
            c.event(pod, "Pod", "Failed", waiting[1])
            return
        logs = self.workdir / "pod-logs"
        logs.mkdir(parents=True, exist_ok=True)
        log_path = logs / f"{meta['name']}.log"
        if container is not None and self.runtime is not None:
            assert env is not None
            for key in ("PATH", "HOME"):  # the image's own
                env.pop(key, None)
            proc: subprocess.Popen = self.runtime.run(container, cont["command"], env, log_path)
        else:
            with open(log_path, "w") as out:
                proc = subprocess.Popen(
                    cont["command"], env=env, cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT
                )
        c.logs[(meta["namespace"], meta["name"])] = log_path.read_text
        job = meta["ownerReferences"][0]["name"]
        rec = Pod(job, meta["name"], len(self.pods_of(job)) + 1, time.monotonic())
        self.pods.append(rec)
        self._procs[meta["uid"]] = (proc, rec)
        probed = "readinessProbe" in cont
        restarts = (pod["status"].get("containerStatuses") or [{}])[0].get("restartCount", 0)
        pod["status"].update(phase="Running")
        pod["status"].setdefault("startTime", now())
        pod["status"]["containerStatuses"] = [
            {
                "name": cont["name"],
                "image": image,
                "imageID": f"{image.split(':')[0]}@sha256:{'0' * 64}",
                "ready": not probed,
                "restartCount": restarts,
                "state": {"running": {"startedAt": now()}},
            }
        ]
        if probed:
            self._set_ready(pod, False)
            self._probes[meta["uid"]] = {"started": False, "fails": 0}
        step = meta["labels"].get(STEP_LABEL, "")
        if self.scenarios.get(step):
            self._scenario[meta["uid"]] = self.scenarios[step].pop(0)
            proc.kill()

    def _env(self, pod: dict[str, Any], cont: dict[str, Any]) -> tuple[dict[str, str], str | None]:
        """A clean environment: the image's basics, IRSA's variables, and the container's."""
        c, meta = self.cluster, pod["metadata"]
        ns = meta["namespace"]
        env = {
            "PATH": os.path.dirname(sys.executable) + os.pathsep + "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.workdir / "home"),
            "LANG": "C.UTF-8",
            "HOSTNAME": meta["name"],
            **self.env,
        }
        sa = c.get("serviceaccounts", ns, pod["spec"]["serviceAccountName"]) or {}
        role = (sa.get("metadata", {}).get("annotations") or {}).get(IRSA_ROLE)
        if role:
            token = self.workdir / "irsa-token"
            token.write_text(f"token-for-{ns}-{pod['spec']['serviceAccountName']}")
            env.update(
                AWS_ROLE_ARN=role,
                AWS_WEB_IDENTITY_TOKEN_FILE=str(token),
                AWS_STS_REGIONAL_ENDPOINTS="regional",
            )
        annotations = sa.get("metadata", {}).get("annotations") or {}
        labels = meta.get("labels") or {}
        client_id = annotations.get(AZURE_CLIENT_ID_ANNOTATION)
        if client_id and labels.get(AZURE_USE_LABEL) == "true":
            # What AKS's workload identity webhook adds to a labelled pod of such an account.
            token = self.workdir / "azure-identity-token"
            token.write_text(f"federated-token-for-{ns}-{pod['spec']['serviceAccountName']}")
            env.update(
                AZURE_CLIENT_ID=client_id,
                AZURE_TENANT_ID=annotations.get(AZURE_TENANT_ANNOTATION, AZURE_DEFAULT_TENANT),
                AZURE_FEDERATED_TOKEN_FILE=str(token),
                AZURE_AUTHORITY_HOST="https://login.microsoftonline.com/",
            )
        for source in cont.get("envFrom") or []:
            ref = source.get("secretRef")
            if ref:
                secret = c.get("secrets", ns, ref["name"])
                if secret is None:
                    return env, f'secret "{ref["name"]}" not found'
                env.update(secret["stringData"])
        for var in cont.get("env") or []:
            if "valueFrom" not in var:
                env[var["name"]] = var.get("value", "")
                continue
            field_ref = var["valueFrom"].get("fieldRef")
            if field_ref is not None:
                got: Any = pod
                for part in field_ref["fieldPath"].split("."):
                    got = (got or {}).get(part) if isinstance(got, dict) else None
                if got is None and field_ref["fieldPath"] not in ("status.podIP",):
                    return env, f"unsupported fieldPath {field_ref['fieldPath']}"
                env[var["name"]] = str(got or "")
                continue
            ref = var["valueFrom"].get("secretKeyRef")
            if ref is None:
                return env, f"unsupported valueFrom in env {var['name']}"
            secret = c.get("secrets", ns, ref["name"])
            if secret is None:
                return env, f'secret "{ref["name"]}" not found'
            if ref["key"] not in secret["stringData"]:
                return env, f"couldn't find key {ref['key']} in Secret {ns}/{ref['name']}"
            env[var["name"]] = secret["stringData"][ref["key"]]
        return env, None

    def _exited(self, pod: dict[str, Any], proc: subprocess.Popen, rec: Pod) -> None:
        rec.ended, rec.returncode = time.monotonic(), proc.returncode
        status, cont = pod["status"], pod["spec"]["containers"][0]
        scenario = self._scenario.pop(pod["metadata"]["uid"], None)
        code = 137 if scenario else proc.returncode
        reason = "Completed" if code == 0 else ("OOMKilled" if scenario == "oom" else "Error")
        term = {
            "exitCode": code,
            "reason": reason,
            "startedAt": status["startTime"],
            "finishedAt": now(),
        }
        if code and cont.get("terminationMessagePolicy") == "FallbackToLogsOnError":
            term["message"] = _tail(
                self.cluster.logs[(pod["metadata"]["namespace"], pod["metadata"]["name"])]()
            )
        status["containerStatuses"][0].update(state={"terminated": term}, ready=False)
        status["phase"] = "Succeeded" if code == 0 else "Failed"
        if scenario in ("evict", "node-lost"):
            why = {
                "evict": (
                    "TerminationByKubelet",
                    "Evicted",
                    "The node was low on resource: memory.",
                ),
                "node-lost": (
                    "DeletionByTaintManager",
                    "NodeLost",
                    "Taint manager: deleting due to NoExecute taint",
                ),
            }[scenario]
            status["conditions"].append(
                {"type": "DisruptionTarget", "status": "True", "reason": why[0], "message": why[2]}
            )
            status.update(reason=why[1], message=why[2])

    # -- Deployment controller (ReplicaSets folded in) and prober ----------------------------

    def _roll(self, dep: dict[str, Any]) -> None:
        """Converge a Deployment's pods on its template, as its ReplicaSets would: a
        ``RollingUpdate`` adds up to ``maxSurge`` new pods and removes an old one only while
        ``maxUnavailable`` allows it; ``Recreate`` removes every old pod first."""
        c, meta, spec = self.cluster, dep["metadata"], dep["spec"]
        ns, uid = meta["namespace"], meta["uid"]
        template = spec["template"]
        digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]
        pods = [p for p in c.items("pods", ns) if _owner(p) == uid]
        new = [p for p in pods if p["metadata"]["labels"].get("pod-template-hash") == digest]
        old = [p for p in pods if p not in new]
        want = int(spec.get("replicas", 1))
        strategy = spec.get("strategy") or {}
        rolling = strategy.get("rollingUpdate") or {}
        surge = _count(rolling.get("maxSurge", "25%"), want, up=True)
        unavailable = _count(rolling.get("maxUnavailable", "25%"), want, up=False)
        if strategy.get("type") == "Recreate":
            for pod in old:
                c.delete("pods", ns, pod["metadata"]["name"])
            old, surge = [], 0
        if strategy.get("type") != "Recreate" or not old:
            while len(new) < want and len(new) + len(old) < want + max(surge, 0 if old else 1):
                pod = self._deployment_pod(dep, digest)
                if pod is None:
                    break
                new.append(pod)
        ready = sum(_ready(p) for p in new + old)
        for pod in sorted(old, key=_ready):
            if not _ready(pod) or ready - 1 >= want - unavailable:
                ready -= _ready(pod)
                c.delete("pods", ns, pod["metadata"]["name"])
                old.remove(pod)
        for pod in new[want:]:
            c.delete("pods", ns, pod["metadata"]["name"])
        new = new[:want]
        ready_new = sum(_ready(p) for p in new)
        ready_all = ready_new + sum(_ready(p) for p in old)
        dep["status"] = {
            "observedGeneration": meta.get("generation", 1),
            "replicas": len(new) + len(old),
            "updatedReplicas": len(new),
            "readyReplicas": ready_all,
            "availableReplicas": ready_all,
            "unavailableReplicas": max(0, want - ready_all),
        }

    def _deployment_pod(self, dep: dict[str, Any], digest: str) -> dict[str, Any] | None:
        c, meta = self.cluster, dep["metadata"]
        ns, template = meta["namespace"], dep["spec"]["template"]
        name = f"{meta['name']}-{digest[:8]}-{secrets.token_hex(3)[:5]}"
        spec = copy.deepcopy(template["spec"])
        refusal = self._admit(ns, name, spec)
        if refusal:
            c.event(dep, "ReplicaSet", "FailedCreate", f"Error creating: {refusal}")
            return None
        return c.put(
            "pods",
            ns,
            {
                "metadata": {
                    "name": name,
                    "labels": {**template["metadata"]["labels"], "pod-template-hash": digest},
                    "annotations": dict(template["metadata"].get("annotations") or {}),
                    "ownerReferences": [
                        {
                            "apiVersion": "apps/v1",
                            "kind": "Deployment",
                            "name": meta["name"],
                            "uid": meta["uid"],
                            "controller": True,
                        }
                    ],
                },
                "spec": spec,
                "status": {"phase": "Pending", "conditions": []},
            },
        )

    def _crashed(self, pod: dict[str, Any], proc: subprocess.Popen, rec: Pod) -> None:
        """A Deployment's container exited: restartPolicy Always restarts it after a backoff."""
        rec.ended, rec.returncode = time.monotonic(), proc.returncode
        uid = pod["metadata"]["uid"]
        self._clock[f"{uid}/exited"] = time.monotonic()
        self._probes.pop(uid, None)
        status = pod["status"]["containerStatuses"][0]
        status.update(
            ready=False,
            restartCount=status.get("restartCount", 0) + 1,
            lastState={"terminated": {"exitCode": proc.returncode, "reason": "Error"}},
            state={"waiting": {"reason": "CrashLoopBackOff", "message": "back-off restarting"}},
        )
        self._set_ready(pod, False)

    def _set_ready(self, pod: dict[str, Any], ready: bool) -> None:
        conds = [c for c in pod["status"].get("conditions") or [] if c["type"] != "Ready"]
        conds.append({"type": "Ready", "status": "True" if ready else "False"})
        pod["status"]["conditions"] = conds
        for status in pod["status"].get("containerStatuses") or []:
            status["ready"] = ready

    def _probe_loop(self) -> None:
        """The prober: each running container's startup, readiness and liveness probes
        (``httpGet`` on the pod's address), outside the cluster's lock. A failed liveness
        probe ``failureThreshold`` times in a row kills the container (it is restarted)."""
        while not self._stop.wait(0.05):
            with self.cluster.lock:
                targets = []
                for pod in self.cluster.items("pods"):
                    uid = pod["metadata"]["uid"]
                    if uid not in self._procs or uid not in self._probes:
                        continue
                    cont = pod["spec"]["containers"][0]
                    targets.append((pod, cont, pod["status"].get("podIP")))
            for pod, cont, ip in targets:
                uid = pod["metadata"]["uid"]
                state = self._probes.get(uid)
                if state is None:
                    continue
                if not state["started"]:
                    probe = cont.get("startupProbe") or cont["readinessProbe"]
                    if _http_probe(probe, cont, ip):
                        state["started"] = True
                    continue
                ok = _http_probe(cont["readinessProbe"], cont, ip)
                live = cont.get("livenessProbe")
                alive = _http_probe(live, cont, ip) if live else True
                with self.cluster.lock:
                    if (
                        self.cluster.get(
                            "pods", pod["metadata"]["namespace"], pod["metadata"]["name"]
                        )
                        is not pod
                    ):
                        continue
                    self._set_ready(pod, ok)
                    state["fails"] = 0 if alive else state["fails"] + 1
                    if live and state["fails"] >= int(live.get("failureThreshold", 3)):
                        got = self._procs.get(uid)
                        if got is not None:
                            got[0].kill()


def _http_probe(probe: dict[str, Any], cont: dict[str, Any], ip: str | None) -> bool:
    get = probe.get("httpGet") or {}
    port = get.get("port")
    if isinstance(port, str):
        port = next(
            (p["containerPort"] for p in cont.get("ports") or [] if p.get("name") == port), None
        )
    if not ip or port is None:
        return False
    url = f"http://{ip}:{port}{get.get('path', '/')}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=min(float(probe.get("timeoutSeconds", 1)), 1.0)) as resp:
            return 200 <= resp.status < 400
    except OSError:
        return False


def _count(value: Any, want: int, up: bool) -> int:
    """``maxSurge`` / ``maxUnavailable`` as a pod count (percentages round up / down)."""
    if isinstance(value, str) and value.endswith("%"):
        share = want * int(value[:-1]) / 100
        return int(-(-share // 1)) if up else int(share // 1)
    return int(value)


def _ready(pod: dict[str, Any]) -> bool:
    return any(
        c["type"] == "Ready" and c["status"] == "True"
        for c in pod["status"].get("conditions") or []
    )


def _owner_kind(pod: dict[str, Any]) -> str:
    return pod["metadata"]["ownerReferences"][0].get("kind", "")


def _restarting(pod: dict[str, Any]) -> bool:
    statuses = pod["status"].get("containerStatuses") or []
    return bool(
        pod["status"]["phase"] == "Running"
        and statuses
        and (statuses[0]["state"].get("waiting") or {}).get("reason") == "CrashLoopBackOff"
    )


def _owner(pod: dict[str, Any]) -> str:
    return pod["metadata"]["ownerReferences"][0]["uid"]


def _tolerates(tol: dict[str, Any], taint: dict[str, str]) -> bool:
    if tol.get("key") not in (None, taint["key"]):
        return False
    if tol.get("effect") and tol["effect"] != taint.get("effect"):
        return False
    return tol.get("operator") == "Exists" or tol.get("value") == taint.get("value")


def _policy(policy: dict[str, Any] | None, pod: dict[str, Any]) -> tuple[str, str]:
    """The podFailurePolicy action for a failed pod (``Count`` when no rule matches)."""
    state = pod["status"]["containerStatuses"][0]["state"].get("terminated") or {}
    code = state.get("exitCode")
    conds = {c["type"] for c in pod["status"]["conditions"] if c.get("status") == "True"}
    meta = pod["metadata"]
    for i, rule in enumerate((policy or {}).get("rules") or []):
        codes = rule.get("onExitCodes")
        if codes:
            hit = code in codes["values"]
            if (hit if codes["operator"] == "In" else not hit) and code:
                return rule["action"], (
                    f"Container step for pod {meta['namespace']}/{meta['name']} failed with exit "
                    f"code {code} matching {rule['action']} rule at index {i}"
                )
        for pc in rule.get("onPodConditions") or []:
            if pc["type"] in conds:
                return (
                    rule["action"],
                    f"Pod {meta['name']} has condition {pc['type']} matching {rule['action']} rule at index {i}",
                )
    return "Count", ""


def _restricted(spec: dict[str, Any]) -> list[str]:
    """What the Pod Security "restricted" profile finds wrong with a pod spec."""
    pod_sc = spec.get("securityContext") or {}
    out = []
    for vol in spec.get("volumes") or []:
        if set(vol) - {
            "name",
            "emptyDir",
            "configMap",
            "secret",
            "projected",
            "downwardAPI",
            "persistentVolumeClaim",
            "ephemeral",
            "csi",
        }:
            out.append(f"restricted volume types (volume {vol['name']!r})")
    for cont in spec["containers"]:
        sc = cont.get("securityContext") or {}
        name = cont["name"]
        if sc.get("allowPrivilegeEscalation") is not False:
            out.append(
                f'allowPrivilegeEscalation != false (container "{name}" must set '
                "securityContext.allowPrivilegeEscalation=false)"
            )
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            out.append(
                f'unrestricted capabilities (container "{name}" must set '
                'securityContext.capabilities.drop=["ALL"])'
            )
        if sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is not True:
            out.append(
                f'runAsNonRoot != true (pod or container "{name}" must set '
                "securityContext.runAsNonRoot=true)"
            )
        seccomp = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            out.append(
                f'seccompProfile (pod or container "{name}" must set '
                'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")'
            )
    return out
