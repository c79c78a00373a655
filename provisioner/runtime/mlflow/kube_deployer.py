"""The ``kubernetes`` model deployer: each deployment is a Deployment of ``mlflow models serve``
pods and a ClusterIP Service in the stack's namespace.

The pods read the version's model from the artifact store themselves, as the runner service
account (see :mod:`provisioner.runtime.mlflow.kube_serve`). A new version is rolled out by
the Deployment (``maxUnavailable: 0``): each old pod is removed only once a new one is ready,
so the Service never lacks a server. Deployments are recorded in the artifact store
(``deployments/<name>.json``) like the local deployer's, and predictions go through the API
server's proxy to the Service, so anyone holding the stack config (and the cluster's
credentials) can list, call, read the logs of, and stop them.
"""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime
from typing import Any

from provisioner.catalog.types import ComponentType
from provisioner.errors import NotFoundError, OperationError, UserInputError
from provisioner.recipes.common.flavors import KubernetesModelDeployerConfig
from provisioner.runtime.components.deployer import Deployment, ModelDeployer
from provisioner.runtime.mlflow import kube_manifests as km
from provisioner.runtime.mlflow.deployer import DEPLOYMENTS, deployment_key, invocation_payload
from provisioner.runtime.orchestrators.kube_client import Caller, KubernetesAccessError

#: The rights the deployer needs in its namespace (``DEPLOYER_RULES`` in
#: :mod:`provisioner.recipes.kube_runner`; the cloud recipes grant them to the runner service
#: account and the stack's users when the stack definition has this deployer).
RIGHTS_HINT = (
    "bind a Role in namespace {ns!r} that grants: deployments (apps) create, get, update, "
    "delete; services create, get, update, delete; services/proxy create; pods list; "
    "pods/log get (the stack's recipe grants them when its definition has a model_deployer "
    "of flavor 'kubernetes': add it and deploy the stack again)"
)
#: Keys taken from the stack's kubernetes orchestrator when the deployer leaves them out.
_INHERITED = ("namespace", "kube_context", "service_account", "image", "api_server")


class _DeployerCaller(Caller):
    """The orchestrator's API caller; a refused right names the deployer's rights."""

    def access_error(self, exc: Any, what: str) -> KubernetesAccessError:
        error = super().access_error(exc, what)
        if exc.status == 403:
            error.hint = RIGHTS_HINT.format(ns=self.namespace)
        return error


class KubernetesModelDeployer(ModelDeployer):
    """Serves versions of the stack's model registry as Deployments on a cluster."""

    def __init__(self, connection: Any, stack: Any) -> None:
        super().__init__(connection, stack)
        own = self.parse_config(KubernetesModelDeployerConfig)
        orch = stack.component(ComponentType.ORCHESTRATOR)
        base = dict(orch.config) if orch and orch.flavor == "kubernetes" else {}
        merged = {k: base.get(k) for k in _INHERITED}
        merged.update(own.model_dump(exclude_none=True))
        self.settings = merged
        self.namespace: str = merged.get("namespace") or "default"
        self.start_timeout = float(own.start_timeout)
        self._store: Any = None
        self._call: Any = None
        self._lock = threading.RLock()  # one deploy or stop at a time
        self._conn_lock = threading.Lock()  # the client and store: calls go on during a deploy

    # -- the cluster -------------------------------------------------------------------------

    def _caller(self) -> Any:
        from provisioner.runtime.components.base import import_sdk

        with self._conn_lock:
            if self._call is None:
                import_sdk("kubernetes", "kubernetes")
                from kubernetes import client

                from provisioner.runtime.orchestrators.kube_client import connect
                from provisioner.runtime.orchestrators.kubernetes import ENV_API_SERVER

                api_server = self.settings.get("api_server") or os.environ.get(ENV_API_SERVER)
                hint = f"kube context {self.settings.get('kube_context') or '(current)'}"
                apis, host = connect(api_server, self.settings.get("kube_context"), hint)
                apis.apps = client.AppsV1Api(apis.core.api_client)  # type: ignore[attr-defined]
                self._call = _DeployerCaller(
                    apis, host, self.namespace, 30.0, 60.0, threading.Event(), hint
                )
            return self._call

    def _read(self, kind: str, kname: str) -> Any | None:
        from kubernetes.client.exceptions import ApiException

        call = self._caller()
        read = {
            "deployment": lambda a, t: a.apps.read_namespaced_deployment(
                kname, self.namespace, _request_timeout=t
            ),
            "service": lambda a, t: a.core.read_namespaced_service(
                kname, self.namespace, _request_timeout=t
            ),
        }[kind]
        try:
            return call(read, f"read {kind} {kname}")
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise self._refused(exc, f"read {kind} {kname}") from None

    def _refused(self, exc: Any, what: str) -> OperationError:
        from provisioner.runtime.orchestrators.kube_client import api_message

        return OperationError(
            f"the Kubernetes API refused to {what} in namespace {self.namespace!r} "
            f"({exc.status}): {api_message(exc)}"
        )

    def _apply(self, manifest: dict[str, Any]) -> None:
        """Create the object, or replace the existing one (keeping its resourceVersion)."""
        from kubernetes.client.exceptions import ApiException

        call = self._caller()
        kind, kname = manifest["kind"], manifest["metadata"]["name"]
        old = self._read(kind.lower(), kname)
        api = call.apis.apps if kind == "Deployment" else call.apis.core
        try:
            if old is None:
                create = getattr(api, f"create_namespaced_{kind.lower()}")
                call(
                    lambda a, t: create(
                        self.namespace, manifest, field_validation="Strict", _request_timeout=t
                    ),
                    f"create {kind} {kname}",
                )
                return
            body = json.loads(json.dumps(manifest))
            body["metadata"]["resourceVersion"] = old.metadata.resource_version
            if kind == "Service":  # the cluster IP is immutable: keep the one it has
                body["spec"]["clusterIP"] = old.spec.cluster_ip
            replace = getattr(api, f"replace_namespaced_{kind.lower()}")
            call(
                lambda a, t: replace(
                    kname, self.namespace, body, field_validation="Strict", _request_timeout=t
                ),
                f"replace {kind} {kname}",
            )
        except ApiException as exc:
            raise self._refused(exc, f"apply {kind} {kname}") from None

    def _rolled_out(self, kname: str, version: str) -> tuple[bool, str]:
        """Whether the Deployment serves ``version`` on all its pods and nothing else (as
        ``kubectl rollout status`` decides), and what it waits for."""
        dep = self._read("deployment", kname)
        if dep is None:
            return False, "the Deployment is gone"
        st, want = dep.status, dep.spec.replicas or 1
        if st is None or (st.observed_generation or 0) < (dep.metadata.generation or 0):
            return False, "the controller has not seen the new spec"
        if (st.updated_replicas or 0) < want:
            return False, f"{st.updated_replicas or 0} of {want} pods updated"
        if (st.replicas or 0) > (st.updated_replicas or 0):
            return False, f"{st.replicas - st.updated_replicas} old pods still running"
        if (st.available_replicas or 0) < want:
            return False, f"{st.available_replicas or 0} of {want} pods ready"
        return True, "ready"

    def _pod_problem(self, kname: str) -> str | None:
        """Why a new pod cannot start (image pull, crash loop, unschedulable), if one cannot."""
        for pod in self._pods(kname):
            for cs in (pod.status and pod.status.container_statuses) or []:
                waiting = cs.state and cs.state.waiting
                if waiting and waiting.reason in (
                    "ErrImagePull",
                    "ImagePullBackOff",
                    "CrashLoopBackOff",
                    "CreateContainerConfigError",
                ):
                    return f"pod {pod.metadata.name}: {waiting.reason}: {waiting.message or ''}"
        return None

    def _pods(self, kname: str) -> list[Any]:
        call = self._caller()
        selector = f"app.kubernetes.io/instance={kname}"
        return call(
            lambda a, t: a.core.list_namespaced_pod(
                self.namespace, label_selector=selector, _request_timeout=t
            ),
            f"list the pods of {kname}",
        ).items

    # -- records -----------------------------------------------------------------------------

    @property
    def store(self) -> Any:
        with self._conn_lock:
            if self._store is None:
                from provisioner.runtime.stores import open_store

                self._store = open_store(self.stack)
            return self._store

    def _record(self, name: str) -> dict[str, Any] | None:
        key = deployment_key(name)
        if not self.store.exists(key):
            return None
        return json.loads(self.store.get_bytes(key))

    def _deployment(self, record: dict[str, Any]) -> Deployment:
        kname = record["kube_name"]
        dep = self._read("deployment", kname)
        if dep is None:
            status = "stopped"
        else:
            ready = (dep.status and dep.status.available_replicas) or 0
            status = "running" if ready else "failed"
        return Deployment(
            name=record["name"],
            model=record["model"],
            version=str(record["version"]),
            url=record["url"],
            status=status,
            started_at=record.get("started_at"),
            details={
                k: record.get(k) for k in ("namespace", "kube_name", "artifact_hash", "image")
            },
        )

    # -- the contract ------------------------------------------------------------------------

    def _registry(self) -> Any:
        from provisioner.runtime.mlflow.registry import MLflowModelRegistry

        comp = self.stack.component("model_registry")
        if comp is None:
            raise UserInputError(
                f"stack {self.stack.name!r} has no model_registry: the kubernetes model "
                "deployer serves versions of it",
                hint="add a model_registry component to the stack definition and redeploy",
            )
        return MLflowModelRegistry.from_connection(comp, self.stack)

    def _image(self) -> str:
        from provisioner.runtime.orchestrators.kube_image import resolve_image

        try:
            return resolve_image(self.settings.get("image"), self.stack)
        except UserInputError:
            raise UserInputError(
                f"the kubernetes model deployer of stack {self.stack.name!r} needs an image "
                "(provisioner and mlflow in it) and none was given",
                hint="set model_deployer.config.image (or the orchestrator's image) and redeploy",
            ) from None

    def _stack_json(self, image: str) -> str:
        from provisioner.runtime.orchestrators.kube_image import pod_stack_json
        from provisioner.runtime.orchestrators.kube_manifest import PodSettings

        return pod_stack_json(self.stack, PodSettings(namespace=self.namespace, image=image))

    def deploy(
        self, name: str, version: str | int | None = None, alias: str | None = None
    ) -> Deployment:
        """Serve a version of registered model ``name`` (the latest when neither is given).

        The same version again, still rolled out, returns the deployment unchanged; another
        version is rolled out in place of the old, which serves until the new pods are ready.

        Raises:
            NotFoundError: no such model, version or alias.
            OperationError: the new pods did not become ready within ``start_timeout`` (the
                old ones keep serving), or the API refused the objects.
        """
        deployment_key(name)
        with self._lock:
            mv = self._registry().get(name, version=version, alias=alias)
            if not mv.artifact_hash:
                raise UserInputError(
                    f"model {name!r} version {mv.version} was not registered by provisioner "
                    "(it has no artifact hash tag): its pods could not fetch it"
                )
            kname = km.kube_name(name)
            old = self._record(name)
            if old and str(old["version"]) == mv.version and self._rolled_out(kname, mv.version)[0]:
                return self._deployment(old)
            image = self._image()
            args = km.ServerArgs(
                name=name,
                namespace=self.namespace,
                image=image,
                version=mv.version,
                artifact_hash=mv.artifact_hash,
                stack_json=self._stack_json(image),
                service_account=self.settings.get("service_account"),
                replicas=int(self.settings.get("replicas") or 1),
                cpu=str(self.settings.get("cpu") or "500m"),
                memory=str(self.settings.get("memory") or "1Gi"),
                workers=int(self.settings.get("workers") or 1),
            )
            started = time.monotonic()
            self._apply(km.deployment(args))
            self._apply(km.service(args))
            self._wait(kname, mv.version, started)
            record = {
                "name": name,
                "model": mv.name,
                "version": mv.version,
                "artifact_hash": mv.artifact_hash,
                "flavor": "kubernetes",
                "namespace": self.namespace,
                "kube_name": kname,
                "image": image,
                "url": km.url(name, self.namespace),
                "started_at": datetime.now(UTC).isoformat(),
                "start_seconds": round(time.monotonic() - started, 3),
            }
            data = json.dumps(record, indent=1, sort_keys=True).encode()
            self.store.put_bytes(deployment_key(name), data)
            return self._deployment(record)

    def _wait(self, kname: str, version: str, started: float) -> None:
        delay = 0.05
        why = ""
        while time.monotonic() - started < self.start_timeout:
            done, why = self._rolled_out(kname, version)
            if done:
                return
            problem = self._pod_problem(kname)
            if problem and "CrashLoopBackOff" not in problem:
                raise OperationError(
                    f"version {version} of {kname} cannot start: {problem}",
                    hint="the old version (if any) keeps serving; fix the image or config "
                    "and deploy again",
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 2.0)
        raise OperationError(
            f"version {version} of {kname} was not ready within {self.start_timeout:.0f} s "
            f"({why}); last log lines:\n{self._logs_of(kname, 15)}",
            hint="the old version (if any) keeps serving",
        )

    def list(self) -> list[Deployment]:
        out = []
        for key in sorted(self.store.list_keys(DEPLOYMENTS)):
            if key.endswith(".json"):
                record = json.loads(self.store.get_bytes(key))
                if record.get("flavor") == "kubernetes":
                    out.append(self._deployment(record))
        return out

    def get(self, name: str) -> Deployment:
        record = self._record(name)
        if record is None:
            raise NotFoundError(
                f"no deployment {name!r} on stack {self.stack.name!r}",
                hint="`provisioner deployment list` lists them",
            )
        return self._deployment(record)

    def predict(self, name: str, data: Any) -> Any:
        """POST ``data`` to ``/invocations`` through the API server's proxy to the Service."""
        deployment = self.get(name)
        if deployment.status != "running":
            raise OperationError(
                f"deployment {name!r} is not running ({deployment.status})",
                hint=f"deploy it again: deploy({name!r}, version={deployment.version!r})",
            )
        call = self._caller()
        api = call.apis.core.api_client
        kname = deployment.details["kube_name"]
        ns = deployment.details["namespace"]

        def post(a: Any, t: Any) -> Any:
            method, url, headers, body, post_params = api.param_serialize(
                "POST",
                "/api/v1/namespaces/{namespace}/services/{name}/proxy/invocations",
                path_params={"namespace": ns, "name": f"{kname}:http"},
                header_params={"Content-Type": "application/json", "Accept": "application/json"},
                body=invocation_payload(data),
                auth_settings=["BearerToken"],
            )
            resp = api.call_api(method, url, headers, body, post_params, _request_timeout=t)
            resp.read()
            if resp.status in (401, 403):  # the API server's own refusal, not the model's
                from kubernetes.client.exceptions import ApiException

                raise ApiException(http_resp=resp)
            return resp

        resp = call(post, f"call deployment {name}")
        text = (resp.data or b"").decode(errors="replace")
        if resp.status >= 300:
            raise OperationError(f"deployment {name!r} answered {resp.status}: {text[:500]}")
        answer = json.loads(text or "null")
        return answer.get("predictions", answer) if isinstance(answer, dict) else answer

    def _logs_of(self, kname: str, tail: int) -> str:
        from kubernetes.client.exceptions import ApiException

        call = self._caller()
        parts = []
        for pod in self._pods(kname):
            pname = pod.metadata.name
            try:
                text = call(
                    lambda a, t, n=pname: a.core.read_namespaced_pod_log(
                        n, self.namespace, container="server", tail_lines=tail, _request_timeout=t
                    ),
                    f"read the log of pod {pname}",
                )
            except ApiException as exc:
                text = f"(no log: {exc.status})"
            parts.append(f"--- pod {pname}\n{text}")
        return "\n".join(parts)

    def logs(self, name: str, tail: int = 100) -> str:
        """The last lines of each server pod's log."""
        record = self._record(name)
        if record is None:
            raise NotFoundError(f"no deployment {name!r} on stack {self.stack.name!r}")
        return self._logs_of(record["kube_name"], tail)

    def stop(self, name: str) -> None:
        """Delete the Deployment and the Service, then the record."""
        from kubernetes.client.exceptions import ApiException

        with self._lock:
            record = self._record(name)
            if record is None:
                raise NotFoundError(f"no deployment {name!r} on stack {self.stack.name!r}")
            call, kname = self._caller(), record["kube_name"]
            for kind, delete in (
                (
                    "Deployment",
                    lambda a, t: a.apps.delete_namespaced_deployment(
                        kname, self.namespace, _request_timeout=t
                    ),
                ),
                (
                    "Service",
                    lambda a, t: a.core.delete_namespaced_service(
                        kname, self.namespace, _request_timeout=t
                    ),
                ),
            ):
                try:
                    call(delete, f"delete {kind} {kname}")
                except ApiException as exc:
                    if exc.status != 404:
                        raise self._refused(exc, f"delete {kind} {kname}") from None
            self.store.delete(deployment_key(name))
