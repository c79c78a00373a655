"""The kubernetes orchestrator: each step runs as a Kubernetes Job on the stack's cluster."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from provisioner.catalog.types import ComponentType
from provisioner.errors import OperationError, UserInputError
from provisioner.runtime.entrypoint import ENV_STACK_CONFIG, command
from provisioner.runtime.orchestrators.local import LocalOrchestrator
from provisioner.runtime.records import ErrorInfo, Status, StepRecord, write_step

if TYPE_CHECKING:
    from provisioner.runtime.execution import RunState
    from provisioner.runtime.pipeline import Invocation, Pipeline
    from provisioner.stackconfig import StackConfig

#: A full image reference, or ``:TAG`` for the stack's container registry.
ENV_IMAGE = "PROVISIONER_IMAGE"
#: Talk to this API server URL, without credentials (tests, ``kubectl proxy``).
ENV_API_SERVER = "PROVISIONER_KUBERNETES_API_SERVER"
LABEL = "provisioner.dev"
INSTALL_HINT = 'install the Kubernetes client: pip install "provisioner[kubernetes]"'
_ERROR_GRACE = 60.0  # seconds of failing status reads before a step is given up


class KubernetesOrchestratorError(OperationError):
    """The Kubernetes API cannot be reached, refuses a request, or lost a Job."""


@dataclass(frozen=True)
class JobOutcome:
    """How a Job ended: ``succeeded``, ``failed``, ``gone`` or ``cancelled``."""

    state: str
    message: str = ""
    attempts: int = 0


def resolve_image(option: str | None, stack: StackConfig) -> str:
    """The steps' image: ``option``, else ``$PROVISIONER_IMAGE``, else the orchestrator's
    ``image`` config; a value ``:TAG`` is a tag of the stack's container registry.

    Raises:
        UserInputError: no image given, or a tag without a container registry.
    """
    orch = stack.component(ComponentType.ORCHESTRATOR)
    ref = option or os.environ.get(ENV_IMAGE) or (orch.config.get("image") if orch else None)
    registry = stack.component(ComponentType.CONTAINER_REGISTRY)
    uri = registry.config.get("uri") if registry else None
    if not ref:
        example = f"{uri}:TAG" if uri else "REGISTRY/REPOSITORY:TAG"
        raise UserInputError(
            "the kubernetes orchestrator needs an image for its steps, and none was given",
            hint=f"build an image that holds your project and provisioner, push it "
            f"(e.g. to {example}), then pass --image {example}"
            + (" (or --image :TAG)" if uri else "")
            + f", or set ${ENV_IMAGE}",
        )
    if ref.startswith(":"):
        if not uri:
            raise UserInputError(
                f"image {ref!r} is a tag, but stack {stack.name!r} has no container registry",
                hint="pass the full image reference, e.g. --image REGISTRY/REPOSITORY:TAG",
            )
        ref = f"{uri}{ref}"
    if any(c.isspace() for c in ref) or ref.endswith((":", "/")):
        raise UserInputError(f"image {ref!r} is not a valid image reference")
    return ref


def pipeline_target(pipeline: Pipeline) -> str:
    """``module:attribute`` under which the pipeline's container can import the pipeline.

    Raises:
        UserInputError: the pipeline lives in ``__main__`` or is not a module attribute.
    """
    module = pipeline.func.__module__
    if module == "__main__":
        raise UserInputError(
            f"pipeline {pipeline.name!r} is defined in a script run as __main__; a step "
            "container cannot import it",
            hint="put the pipeline in a module (a .py file) and run it with "
            "`provisioner pipeline run path/to/file.py:PIPELINE`",
        )
    found = [k for k, v in vars(sys.modules.get(module, object())).items() if v is pipeline]
    if not found:
        raise UserInputError(
            f"pipeline {pipeline.name!r} is not a module-level name of {module}; a step "
            "container cannot import it",
            hint="define the pipeline at the top level of its module",
        )
    return f"{module}:{found[0]}"


def label_value(text: str) -> str:
    """``text`` as a valid label value (<= 63 of ``[A-Za-z0-9._-]``, alphanumeric ends)."""
    if re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?", text):
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    clean = re.sub(r"[^A-Za-z0-9._-]+", "-", text)[:52].strip("._-")
    return f"{clean}-{digest}" if clean else digest


def job_name(run_id: str, step: str) -> str:
    """A DNS-1123 label, unique per run and step: ``prov-<step>-<hash>``."""
    digest = hashlib.sha256(f"{run_id}/{step}".encode()).hexdigest()[:12]
    slug = re.sub(r"[^a-z0-9-]+", "-", step.lower())[:40].strip("-")
    return f"prov-{slug}-{digest}" if slug else f"prov-{digest}"


class KubernetesOrchestrator:
    """Runs each step as a Kubernetes Job, independent steps concurrently.

    The Job's container runs ``python -m provisioner.runtime.entrypoint`` (see
    :mod:`provisioner.runtime.entrypoint`): it reads its inputs from the artifact store and
    writes its outputs and step record there, exactly as a local step does. This process
    schedules the steps, polls the Jobs and reads their records; it keeps no scheduler of
    its own on the cluster. On Ctrl-C it deletes the Jobs it created.

    Args:
        config: the orchestrator's stack config: ``namespace``, ``service_account``,
            ``kube_context``, ``region``, and optionally ``image``, ``max_parallel`` (8),
            ``poll_interval`` (2 s), ``keep_jobs`` (False: delete succeeded Jobs; failed
            ones are kept for ``kubectl logs``), ``ttl_seconds_after_finished`` (86400),
            ``active_deadline_seconds``, ``request_timeout`` (10 s).
        image: the steps' image (see :func:`resolve_image`).
        api_server: an API server URL to use without credentials instead of the kubeconfig.
        **options: any key of ``config``, overriding it for this run.
    """

    def __init__(
        self,
        config: dict[str, Any] | None = None,
        *,
        image: str | None = None,
        api_server: str | None = None,
        **options: Any,
    ) -> None:
        known = {
            "max_parallel",
            "poll_interval",
            "keep_jobs",
            "ttl_seconds_after_finished",
            "active_deadline_seconds",
            "request_timeout",
        }
        unknown = set(options) - known
        if unknown:
            raise UserInputError(
                f"unknown kubernetes orchestrator option(s): {', '.join(sorted(unknown))}"
            )
        cfg = {**(config or {}), **options}
        self.config = cfg
        self.namespace: str = cfg.get("namespace") or "default"
        self.service_account: str | None = cfg.get("service_account")
        self.image_option = image
        self.api_server = api_server or cfg.get("api_server") or os.environ.get(ENV_API_SERVER)
        self.max_parallel = max(1, int(cfg.get("max_parallel", 8)))
        self.poll_interval = max(0.05, float(cfg.get("poll_interval", 2.0)))
        self.keep_jobs = bool(cfg.get("keep_jobs", False))
        self.ttl = int(cfg.get("ttl_seconds_after_finished", 86400))
        deadline = cfg.get("active_deadline_seconds")
        self.deadline = int(deadline) if deadline else None
        self.request_timeout = float(cfg.get("request_timeout", 10.0))
        self.created: dict[str, str] = {}
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._state: RunState | None = None
        self._api: Any = None
        self.host = self.api_server or ""
        self.image = ""
        self.target = ""

    # -- set-up, before the run is recorded ------------------------------------------------

    def prepare(self, state: RunState) -> Callable[[Invocation], StepRecord]:
        """Check the image, the pipeline's import path and the API; return the step launcher.

        Raises:
            UserInputError: no image, or a pipeline a container cannot import.
            KubernetesOrchestratorError: the API server cannot be reached or refuses access.
        """
        self.image = resolve_image(self.image_option, state.stack)
        self.target = pipeline_target(state.pipeline)
        self._api = self._connect()
        self._request(
            lambda api, t: api.list_namespaced_job(self.namespace, limit=1, _request_timeout=t),
            "list Jobs",
        )
        self._state = state
        return self.launch

    def _connect(self) -> Any:
        try:
            from kubernetes import client
            from kubernetes import config as kube_config
        except ImportError:
            raise KubernetesOrchestratorError(
                "the kubernetes orchestrator needs the `kubernetes` Python package",
                hint=INSTALL_HINT,
            ) from None
        cfg = client.Configuration()
        if self.api_server:
            cfg.host = self.api_server.rstrip("/")
        elif os.environ.get("KUBERNETES_SERVICE_HOST"):
            try:
                kube_config.load_incluster_config(client_configuration=cfg)
            except (kube_config.ConfigException, OSError) as exc:
                raise KubernetesOrchestratorError(
                    f"cannot use the in-cluster service account: {exc}",
                    hint="run in a pod with a service account token mounted, or unset "
                    "KUBERNETES_SERVICE_HOST to use a kubeconfig context",
                ) from None
        else:
            context = self.config.get("kube_context")
            try:
                kube_config.load_kube_config(context=context, client_configuration=cfg)
            except (kube_config.ConfigException, OSError) as exc:
                raise KubernetesOrchestratorError(
                    f"no usable kubeconfig context {context or '(current)'}: {exc}",
                    hint=self._kubeconfig_hint(),
                ) from None
        cfg.retries = 1
        self.host = cfg.host
        return client.BatchV1Api(client.ApiClient(cfg))

    def _kubeconfig_hint(self) -> str:
        cluster, region = self.config.get("cluster_name"), self.config.get("region")
        if cluster:
            return (
                f"write it with `aws eks update-kubeconfig --name {cluster}"
                + (f" --region {region}" if region else "")
                + "`, or run from inside the cluster"
            )
        return "point KUBECONFIG at the cluster's kubeconfig, or run from inside the cluster"

    def _request(self, call: Callable[[Any, Any], Any], what: str) -> Any:
        """One API call with bounded timeouts; failures become clear errors."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        timeout = (min(self.request_timeout, 5.0), self.request_timeout)
        try:
            return call(self._api, timeout)
        except ApiException as exc:
            detail = _api_message(exc)
            hint = None
            if exc.status in (401, 403):
                hint = (
                    f"the credentials of this kube context need RBAC rights to create, get "
                    f"and delete Jobs in namespace {self.namespace!r}"
                )
            raise KubernetesOrchestratorError(
                f"Kubernetes API at {self.host} refused to {what} in namespace "
                f"{self.namespace!r} ({exc.status}): {detail}",
                hint=hint,
            ) from None
        except (HTTPError, OSError) as exc:
            raise KubernetesOrchestratorError(
                f"cannot reach the Kubernetes API server at {self.host} to {what}: {_short(exc)}",
                hint="check that the cluster is up and its endpoint reachable from here "
                f"({self._kubeconfig_hint()})",
            ) from None

    # -- running -----------------------------------------------------------------------------

    def run(
        self,
        invocations: Sequence[Invocation],
        launch: Callable[[Invocation], StepRecord],
        skip: Callable[[Invocation, str], None],
    ) -> None:
        """Run every invocation as a Job after its upstream ones (at most ``max_parallel``).

        A failed step's dependents are skipped. On Ctrl-C (or any error) the Jobs this run
        created are deleted before the interrupt goes on.
        """
        if self._state is None:
            raise KubernetesOrchestratorError("the kubernetes orchestrator was not prepared")
        try:
            LocalOrchestrator({"max_workers": self.max_parallel}).run(invocations, launch, skip)
        except BaseException:
            self._cancelled.set()
            self.delete_jobs()
            raise

    def launch(self, inv: Invocation) -> StepRecord:
        """Create the step's Job, wait for it, and return the step record it left."""
        state = self._state
        assert state is not None
        rec = state.run.steps[inv.name]
        rec.status = Status.RUNNING
        rec.started_at = datetime.now(UTC)
        name = job_name(state.run.run_id, inv.name)
        manifest = self.job_manifest(name, inv)
        try:
            self._request(
                lambda api, t: api.create_namespaced_job(
                    self.namespace, manifest, _request_timeout=t
                ),
                f"create Job {name}",
            )
        except KubernetesOrchestratorError as exc:
            return self._finish(inv, rec, JobOutcome("failed", exc.message), None)
        with self._lock:
            self.created[name] = inv.name
        outcome = self._wait(name)
        if outcome.state == "cancelled":
            return rec
        stored = self._stored(inv.name)
        final = self._finish(inv, rec, outcome, stored)
        if outcome.state == "succeeded" and not self.keep_jobs:
            self._delete(name)
        return final

    def job_manifest(self, name: str, inv: Invocation) -> dict[str, Any]:
        """The batch/v1 Job that runs ``inv`` (a plain dict, as the API takes it)."""
        state = self._state
        assert state is not None
        run = state.run
        retries = inv.step.options.retries
        if retries is None:
            retries = state.pipeline.retries
        labels = {
            "app.kubernetes.io/managed-by": "provisioner",
            f"{LABEL}/stack": label_value(run.stack),
            f"{LABEL}/pipeline": label_value(run.pipeline),
            f"{LABEL}/run-id": label_value(run.run_id),
            f"{LABEL}/step": label_value(inv.name),
        }
        annotations = {
            f"{LABEL}/run-id": run.run_id,
            f"{LABEL}/step": inv.name,
            f"{LABEL}/store": run.store_uri,
        }
        env = [
            {"name": ENV_STACK_CONFIG, "value": state.stack.model_dump_json()},
            {"name": "PYTHONUNBUFFERED", "value": "1"},
        ]
        region = self.config.get("region")
        if region:
            env += [
                {"name": "AWS_REGION", "value": region},
                {"name": "AWS_DEFAULT_REGION", "value": region},
            ]
        pod_spec: dict[str, Any] = {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "step",
                    "image": self.image,
                    "command": command(run.run_id, inv.name, self.target),
                    "env": env,
                }
            ],
        }
        if self.service_account:
            pod_spec["serviceAccountName"] = self.service_account
        spec: dict[str, Any] = {
            "backoffLimit": int(retries),
            "ttlSecondsAfterFinished": self.ttl,
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        }
        if self.deadline:
            spec["activeDeadlineSeconds"] = self.deadline
        return {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": name,
                "namespace": self.namespace,
                "labels": labels,
                "annotations": annotations,
            },
            "spec": spec,
        }

    def _wait(self, name: str) -> JobOutcome:
        """Poll the Job until it has a Complete or Failed condition, or the run stops."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        failing_since: float | None = None
        timeout = (min(self.request_timeout, 5.0), self.request_timeout)
        while not self._stopping():
            try:
                job = self._api.read_namespaced_job_status(
                    name, self.namespace, _request_timeout=timeout
                )
                failing_since = None
            except ApiException as exc:
                if exc.status == 404:
                    return JobOutcome("gone", f"Job {name} was deleted before it finished")
                job, error = None, f"({exc.status}) {_api_message(exc)}"
            except (HTTPError, OSError) as exc:
                job, error = None, _short(exc)
            if job is None:
                failing_since = failing_since or time.monotonic()
                if time.monotonic() - failing_since > _ERROR_GRACE:
                    return JobOutcome(
                        "failed", f"lost the Kubernetes API while waiting for Job {name}: {error}"
                    )
            else:
                outcome = _job_outcome(job)
                if outcome is not None:
                    return outcome
            self._cancelled.wait(self.poll_interval)
        return JobOutcome("cancelled")

    def _stopping(self) -> bool:
        return self._cancelled.is_set() or (self._state is not None and self._state.stopped)

    def _stored(self, step: str) -> StepRecord | None:
        """The step record the step's container wrote, if any."""
        from provisioner.runtime.errors import ArtifactStoreError
        from provisioner.runtime.records import step_key

        state = self._state
        assert state is not None
        try:
            data = state.io.store.get_bytes(step_key(state.run.run_id, step))
        except ArtifactStoreError:
            return None
        return StepRecord.model_validate(json.loads(data))

    def _finish(
        self, inv: Invocation, rec: StepRecord, outcome: JobOutcome, stored: StepRecord | None
    ) -> StepRecord:
        """Fold the Job's outcome and the container's record into the run's step record."""
        state = self._state
        assert state is not None
        with state.lock:
            if state.stopped:
                return rec
            ok = outcome.state == "succeeded"
            if stored is not None and (stored.status.done if ok else stored.status.ended):
                final = stored
                if not ok and stored.status.done:  # done, then the pod failed (rare)
                    final = stored.model_copy(update={"status": Status.FAILED})
            else:
                final = rec.model_copy(deep=True)
                final.status = Status.FAILED
                final.ended_at = datetime.now(UTC)
                if final.started_at:
                    final.duration = (final.ended_at - final.started_at).total_seconds()
                message = outcome.message
                if ok:
                    message = "its Job succeeded but the step left no finished record"
                final.error = ErrorInfo(type="KubernetesJobFailed", message=message)
            if not ok and final.error is None:
                final.error = ErrorInfo(type="KubernetesJobFailed", message=outcome.message)
            final.attempts = max(final.attempts, outcome.attempts)
            if final is not stored or final.attempts != stored.attempts:
                try:
                    write_step(state.io.store, state.run.run_id, final)
                except Exception as exc:  # the store went away: still report the step
                    final.error = final.error or ErrorInfo(
                        type=type(exc).__qualname__,
                        message=str(exc),
                        traceback=traceback.format_exc(),
                    )
                    final.status = Status.FAILED
            state.run.steps[inv.name] = final
            return final

    # -- clean-up ----------------------------------------------------------------------------

    def delete_jobs(self) -> list[str]:
        """Delete every Job this orchestrator created (their pods too); return their names."""
        with self._lock:
            names = list(self.created)
        for name in names:
            self._delete(name)
        return names

    def _delete(self, name: str) -> None:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        try:
            self._api.delete_namespaced_job(
                name,
                self.namespace,
                propagation_policy="Background",
                _request_timeout=(min(self.request_timeout, 5.0), self.request_timeout),
            )
        except ApiException as exc:
            if exc.status != 404:
                print(f"warning: could not delete Job {name}: {exc.status}", file=sys.stderr)
        except (HTTPError, OSError) as exc:
            print(f"warning: could not delete Job {name}: {_short(exc)}", file=sys.stderr)
        with self._lock:
            self.created.pop(name, None)


def _job_outcome(job: Any) -> JobOutcome | None:
    """A finished Job's outcome from its conditions (None while it runs)."""
    status = job.status
    if status is None:
        return None
    attempts = (status.failed or 0) + (status.succeeded or 0)
    for cond in status.conditions or []:
        if cond.status != "True":
            continue
        if cond.type in ("Complete", "SuccessCriteriaMet"):
            return JobOutcome("succeeded", attempts=attempts)
        if cond.type in ("Failed", "FailureTarget"):
            why = ": ".join(p for p in (cond.reason, cond.message) if p) or "the Job failed"
            return JobOutcome("failed", f"Job {job.metadata.name} failed ({why})", attempts)
    return None


def _api_message(exc: Any) -> str:
    try:
        return json.loads(exc.body).get("message") or exc.reason
    except (TypeError, ValueError, AttributeError):
        return str(exc.reason)


def _short(exc: BaseException) -> str:
    """The root cause of a urllib3 error, in one line."""
    reason = getattr(exc, "reason", None) or exc
    text = str(reason)
    if "Connection refused" in text:
        return "connection refused"
    return text.splitlines()[0][:300] if text else type(exc).__name__
