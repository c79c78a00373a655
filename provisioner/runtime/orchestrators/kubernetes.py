"""The kubernetes orchestrator: each step runs as a Kubernetes Job on the stack's cluster."""

from __future__ import annotations

import os
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from provisioner.errors import UserInputError
from provisioner.runtime.orchestrators import kube_diagnose
from provisioner.runtime.orchestrators.image_digest import parse_ref, resolve_digest
from provisioner.runtime.orchestrators.kube_client import (
    INSTALL_HINT,
    Caller,
    KubernetesAccessError,
    KubernetesApiLost,
    KubernetesOrchestratorError,
    api_message,
    connect,
    rights_hint,
)
from provisioner.runtime.orchestrators.kube_image import (
    ENV_IMAGE,
    pipeline_target,
    pod_stack_json,
    resolve_image,
)
from provisioner.runtime.orchestrators.kube_manifest import (
    LABEL,
    PodSettings,
    StepJob,
    job_manifest,
    job_name,
    label_value,
    run_selector,
)
from provisioner.runtime.orchestrators.kube_settings import (
    RUN_OPTIONS,
    cloud_extra,
    credentials_command,
    pod_settings,
    watch_settings,
)
from provisioner.runtime.orchestrators.local import LocalOrchestrator
from provisioner.runtime.records import (
    ErrorInfo,
    PodAttempt,
    Status,
    StepRecord,
    log_key,
    write_step,
)
from provisioner.runtime.registry_auth import pull_credentials

if TYPE_CHECKING:
    from provisioner.runtime.execution import RunState
    from provisioner.runtime.pipeline import Invocation

__all__ = [
    "ENV_API_SERVER",
    "ENV_IMAGE",
    "INSTALL_HINT",
    "LABEL",
    "KubernetesAccessError",
    "KubernetesOrchestrator",
    "KubernetesOrchestratorError",
    "job_name",
    "label_value",
]

#: Talk to this API server URL, without credentials (tests, ``kubectl proxy``).
ENV_API_SERVER = "PROVISIONER_KUBERNETES_API_SERVER"
_LOG_BYTES = 1 << 20  # at most this much of each pod's log is copied to the store


@dataclass(frozen=True)
class JobOutcome:
    """How a Job ended: ``succeeded``, ``failed``, ``gone`` or ``cancelled``."""

    state: str
    message: str = ""
    attempts: int = 0


class KubernetesOrchestrator:
    """Runs each step as a Kubernetes Job, independent steps concurrently.

    The Job's container runs ``python -m provisioner.runtime.entrypoint`` (see
    :mod:`provisioner.runtime.entrypoint`): it reads its inputs from the artifact store and
    writes its outputs and step record there, exactly as a local step does. This process
    decides caching, schedules the steps, polls the Jobs, their pods and events, and reads
    the step records. A step fails with the cluster's reason when its pod can never start
    (image pull, missing Secret, refused by admission, unschedulable past
    ``pending_timeout``); a failed step's record lists each pod's end and its copied log.
    API outages are ridden out for ``api_outage_limit`` seconds. On Ctrl-C, or any error,
    it deletes every Job of the run (by its run-id label).

    Args:
        config: the orchestrator's stack config (see the README's Kubernetes section).
        image: the steps' image (see :func:`resolve_image`).
        api_server: an API server URL to use without credentials instead of the kubeconfig.
        **options: any key of :data:`RUN_OPTIONS`, overriding the config for this run.
    """

    def __init__(
        self,
        config: dict[str, Any] | None = None,
        *,
        image: str | None = None,
        api_server: str | None = None,
        **options: Any,
    ) -> None:
        unknown = set(options) - RUN_OPTIONS
        if unknown:
            raise UserInputError(
                f"unknown kubernetes orchestrator option(s): {', '.join(sorted(unknown))}"
            )
        cfg = {**(config or {}), **options}
        self.config = cfg
        self.watch = watch_settings(cfg)
        self.namespace: str = cfg.get("namespace") or "default"
        self.image_option = image
        self.api_server = api_server or cfg.get("api_server") or os.environ.get(ENV_API_SERVER)
        self.created: dict[str, str] = {}  # Job name -> step, recorded before creating
        self._lock = threading.Lock()
        self._created_cond = threading.Condition(self._lock)
        self._creating = 0  # create calls under way
        self._cancelled = threading.Event()
        self._state: RunState | None = None
        self._call: Caller | None = None
        self.pod: PodSettings | None = None
        self.host = self.api_server or ""
        self.target = ""
        self._stack_json = ""

    # -- set-up, before the run is recorded ------------------------------------------------

    def prepare(self, state: RunState) -> Callable[[Invocation], StepRecord]:
        """Pin the image to its digest, check the pipeline's import path, the API, the credentials' rights
        and (by a dry run) the Job itself; return the step launcher.

        Raises:
            UserInputError: no image, or a pipeline a container cannot import.
            ImagePinError: the image's registry cannot be reached or refuses (see
                :meth:`_pin`).
            KubernetesOrchestratorError: the API server cannot be reached, refuses access
                (naming the missing rights), has no such namespace, or rejects the Job.
        """
        image = self._pin(resolve_image(self._image_option(state), state.stack), state)
        self.target = pipeline_target(state.pipeline)
        self.pod = pod_settings(self.config, image, str(state.stack.cloud))
        self._stack_json = pod_stack_json(state.stack, self.pod)
        apis, self.host = connect(
            self.api_server, self.config.get("kube_context"), self._kubeconfig_hint()
        )
        self._call = Caller(
            apis,
            self.host,
            self.namespace,
            self.watch.request_timeout,
            self.watch.api_outage_limit,
            self._cancelled,
            self._kubeconfig_hint(),
        )
        self._state = state
        missing = self._call.missing_rights()
        if missing:
            raise KubernetesAccessError(
                f"the credentials for the Kubernetes API at {self.host} lack these rights in "
                f"namespace {self.namespace!r}: {', '.join(missing)}",
                hint=rights_hint(self.namespace),
            )
        invs = state.pipeline.build(state.run.parameters)
        if invs:
            self._dry_run(invs[0])
        return self.launch

    def _image_option(self, state: RunState) -> str | None:
        """The image given (option, ``$PROVISIONER_IMAGE``, config), else the one the stack's
        image builder builds (pinned by digest), else None."""
        from provisioner.runtime.images.auto import build_step_image, can_build

        given = self.image_option or os.environ.get(ENV_IMAGE) or self.config.get("image")
        if given or not can_build(state.stack):
            return given
        return build_step_image(state.pipeline, state.stack, components=state.components).pinned

    def _pin(self, image: str, state: RunState) -> str:
        """``image`` by its manifest digest (recorded in the run), unless it is given by
        digest already or ``pin_image_digest`` is off.

        Raises:
            ImagePinError: the registry cannot be reached or refuses.
        """
        ref = parse_ref(image)
        state.run.image = image
        if ref.digest is not None or not self.watch.pin_image_digest:
            state.run.image_digest = ref.digest
            return image
        credentials = pull_credentials(state.stack, ref.registry)
        digest = resolve_digest(ref, credentials, self.watch.request_timeout)
        state.run.image_digest = digest
        return ref.pinned(digest)

    def _dry_run(self, inv: Invocation) -> None:
        from kubernetes.client.exceptions import ApiException

        manifest = self.job_manifest(job_name(self._run_id, inv.name), inv)
        call = self._call
        assert call is not None
        try:
            call(
                lambda a, t: a.batch.create_namespaced_job(
                    self.namespace,
                    manifest,
                    dry_run="All",
                    field_validation="Strict",
                    _request_timeout=t,
                ),
                "create a Job (dry run)",
                budget=min(10.0, self.watch.api_outage_limit),
            )
        except ApiException as exc:
            detail = api_message(exc)
            hint = None
            if exc.status == 404 and "namespace" in detail:
                hint = (
                    f"create namespace {self.namespace!r} (the stack's recipe does), or set "
                    "the orchestrator's `namespace`"
                )
            raise KubernetesOrchestratorError(
                f"Kubernetes API at {self.host} rejects the step Job ({exc.status}): {detail}",
                hint=hint,
            ) from None

    def _kubeconfig_hint(self) -> str:
        cluster, command = self.config.get("cluster_name"), credentials_command(self.config)
        region = cloud_extra(self.config, "aws", "region")
        if command:
            return f"write it with `{command}`, or run from inside the cluster"
        if cluster:
            return (
                f"write it with `aws eks update-kubeconfig --name {cluster}"
                + (f" --region {region}" if region else "")
                + "`, or run from inside the cluster"
            )
        return "point KUBECONFIG at the cluster's kubeconfig, or run from inside the cluster"

    @property
    def _run_id(self) -> str:
        assert self._state is not None
        return self._state.run.run_id

    # -- running -----------------------------------------------------------------------------

    def run(
        self,
        invocations: Sequence[Invocation],
        launch: Callable[[Invocation], StepRecord],
        skip: Callable[[Invocation, str], None],
    ) -> None:
        """Run every invocation as a Job after its upstream ones (at most ``max_parallel``).

        A failed step's dependents are skipped. On Ctrl-C (or any error) the Jobs of this
        run are deleted before the interrupt goes on.
        """
        if self._state is None:
            raise KubernetesOrchestratorError("the kubernetes orchestrator was not prepared")
        try:
            LocalOrchestrator({"max_workers": self.watch.max_parallel}).run(
                invocations, launch, skip
            )
        except BaseException:
            self._cancelled.set()
            self.delete_jobs()
            raise

    def launch(self, inv: Invocation) -> StepRecord:
        """Reuse the step's cached outputs, or create its Job, wait for it, and return the
        step record it left."""
        from provisioner.runtime.execution import reuse_cached

        state = self._state
        assert state is not None
        self._load_upstream(inv)
        cached = reuse_cached(state, inv)
        if cached is not None:
            return cached
        rec = state.run.steps[inv.name]
        rec.status = Status.RUNNING
        rec.started_at = datetime.now(UTC)
        name = job_name(state.run.run_id, inv.name)
        with self._lock:
            if self._cancelled.is_set():
                return rec
            self.created[name] = inv.name  # before the call: a Ctrl-C during it deletes it
            self._creating += 1
        try:
            self._create(name, inv)
        except KubernetesOrchestratorError as exc:
            self._delete(name)
            return self._finish(inv, rec, JobOutcome("failed", exc.message), [])
        finally:
            with self._lock:
                self._creating -= 1
                self._created_cond.notify_all()
        if self._cancelled.is_set():  # created while the run was being cleaned up
            self._delete(name)
            return rec
        outcome = self._wait(name)
        if outcome.state == "cancelled":
            return rec
        attempts: list[PodAttempt] = []
        if outcome.state != "succeeded":
            attempts = self._collect(name, inv.name)
        final = self._finish(inv, rec, outcome, attempts)
        if outcome.state == "stuck" or (final.status.done and not self.watch.keep_jobs):
            self._delete(name)
        return final

    def _load_upstream(self, inv: Invocation) -> None:
        """The outputs of ``inv``'s upstream steps, from their records (for the cache key)."""
        from provisioner.runtime.artifacts import ArtifactRef, hash_from_uri

        state = self._state
        assert state is not None
        for up in inv.upstream:
            if up in state.outputs:
                continue
            rec = state.run.steps[up]
            state.outputs[up] = {
                out: ArtifactRef(hash_from_uri(uri), uri, rec.serializers.get(out, ""), "", 0)
                for out, uri in rec.outputs.items()
            }

    def job_manifest(self, name: str, inv: Invocation) -> dict[str, Any]:
        """The batch/v1 Job that runs ``inv``."""
        state = self._state
        assert state is not None and self.pod is not None
        run = state.run
        retries = inv.step.options.retries
        if retries is None:
            retries = state.pipeline.retries
        return job_manifest(
            self.pod,
            StepJob(
                name=name,
                run_id=run.run_id,
                step=inv.name,
                stack=run.stack,
                pipeline=run.pipeline,
                store_uri=run.store_uri,
                target=self.target,
                stack_json=self._stack_json,
                retries=int(retries),
                resources=inv.step.options.resources,
            ),
        )

    def _create(self, name: str, inv: Invocation) -> None:
        """Create the Job, retrying 429 and 5xx; a 409 for this run's own Job is success."""
        from kubernetes.client.exceptions import ApiException

        call = self._call
        assert call is not None
        manifest = self.job_manifest(name, inv)
        try:
            call(
                lambda a, t: a.batch.create_namespaced_job(
                    self.namespace, manifest, field_validation="Strict", _request_timeout=t
                ),
                f"create Job {name}",
            )
        except ApiException as exc:
            if exc.status == 409 and self._ours(name):
                return  # an earlier try got through before its answer was lost
            raise KubernetesOrchestratorError(
                f"Kubernetes API at {self.host} refused to create Job {name} in namespace "
                f"{self.namespace!r} ({exc.status}): {api_message(exc)}"
            ) from None

    def _ours(self, name: str) -> bool:
        call = self._call
        assert call is not None
        job = call(
            lambda a, t: a.batch.read_namespaced_job(name, self.namespace, _request_timeout=t),
            f"read Job {name}",
        )
        labels = job.metadata.labels or {}
        return labels.get(f"{LABEL}/run-id") == label_value(self._run_id)

    def _wait(self, name: str) -> JobOutcome:
        """Poll the Job, its pods and its events until it ends, cannot start, or the run
        stops. The API may fail for ``api_outage_limit`` seconds in a row."""
        from kubernetes.client.exceptions import ApiException

        call = self._call
        assert call is not None
        while not self._stopping():
            try:
                job = call(
                    lambda a, t: a.batch.read_namespaced_job(
                        name, self.namespace, _request_timeout=t
                    ),
                    f"read Job {name}",
                )
                outcome = _job_outcome(job)
                if outcome is not None:
                    return outcome
                pods = call(
                    lambda a, t: a.core.list_namespaced_pod(
                        self.namespace, label_selector=f"job-name={name}", _request_timeout=t
                    ),
                    f"list the pods of Job {name}",
                ).items
                events = []
                if not pods:
                    events = call(
                        lambda a, t: a.core.list_namespaced_event(
                            self.namespace,
                            field_selector=f"involvedObject.name={name},involvedObject.kind=Job",
                            _request_timeout=t,
                        ),
                        f"list the events of Job {name}",
                    ).items
                why = kube_diagnose.stuck(pods, events, self.watch.pending_timeout)
                if why is not None:
                    return JobOutcome("stuck", why)
            except ApiException as exc:
                if exc.status == 404:
                    return JobOutcome("gone", f"Job {name} was deleted before it finished")
                return JobOutcome("failed", f"({exc.status}) {api_message(exc)}")
            except KubernetesApiLost as exc:
                return JobOutcome("stuck", f"lost the Kubernetes API: {exc.message}")
            except KubernetesOrchestratorError as exc:
                if self._stopping():
                    break
                return JobOutcome("stuck", exc.message)
            self._cancelled.wait(self.watch.poll_interval)
        return JobOutcome("cancelled")

    def _stopping(self) -> bool:
        return self._cancelled.is_set() or (self._state is not None and self._state.stopped)

    def _collect(self, name: str, step: str) -> list[PodAttempt]:
        """Each pod's end, with its log copied into the artifact store (best effort)."""
        from kubernetes.client.exceptions import ApiException

        state, call = self._state, self._call
        assert state is not None and call is not None
        try:
            pods = call(
                lambda a, t: a.core.list_namespaced_pod(
                    self.namespace, label_selector=f"job-name={name}", _request_timeout=t
                ),
                f"list the pods of Job {name}",
                budget=min(10.0, self.watch.api_outage_limit),
            ).items
        except (ApiException, KubernetesOrchestratorError):
            return []
        pods.sort(key=lambda p: p.metadata.creation_timestamp or datetime.min.replace(tzinfo=UTC))
        attempts = []
        for pod in pods:
            attempt = kube_diagnose.attempt(pod)
            try:
                text = call(
                    lambda a, t, n=pod.metadata.name: a.core.read_namespaced_pod_log(
                        n,
                        self.namespace,
                        container="step",
                        limit_bytes=_LOG_BYTES,
                        _request_timeout=t,
                    ),
                    f"read the log of pod {pod.metadata.name}",
                    budget=0,
                )
                key = log_key(state.run.run_id, step, pod.metadata.name)
                state.io.store.put_bytes(key, (text or "").encode())
                attempt.log = key
            except Exception:  # no log (never started) or the store failed: keep going
                pass
            attempts.append(attempt)
        return attempts

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
        return StepRecord.model_validate_json(data)

    def _finish(
        self, inv: Invocation, rec: StepRecord, outcome: JobOutcome, attempts: list[PodAttempt]
    ) -> StepRecord:
        """Fold the Job's outcome, its pods and the container's record into the run's step
        record. The container's record is the truth about the step: a Job deleted (by its
        TTL) after the step completed does not fail it."""
        state = self._state
        assert state is not None
        stored = self._stored(inv.name)
        with state.lock:
            if state.stopped:
                return rec
            ok = outcome.state == "succeeded" or (
                outcome.state == "gone" and stored is not None and stored.status.done
            )
            from_pod = stored is not None and (stored.status.done if ok else stored.status.ended)
            if from_pod:
                assert stored is not None
                final = stored.model_copy(deep=True)
                if not ok and stored.status.done:  # done, then the pod failed (rare)
                    final.status = Status.FAILED
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
            if not ok:
                detail = kube_diagnose.summary(attempts)
                if final.error is None:
                    final.error = ErrorInfo(type="KubernetesJobFailed", message=outcome.message)
                if detail and not from_pod:  # the step's own error needs no pod story
                    final.error.message += f" [pods: {detail}]"
            final.pods = attempts
            final.attempts = max(final.attempts, outcome.attempts)
            if final.status.done:
                self._remember_outputs(inv.name, final)
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

    def _remember_outputs(self, step: str, rec: StepRecord) -> None:
        from provisioner.runtime.artifacts import ArtifactRef, hash_from_uri

        assert self._state is not None
        self._state.outputs[step] = {
            out: ArtifactRef(hash_from_uri(uri), uri, rec.serializers.get(out, ""), "", 0)
            for out, uri in rec.outputs.items()
        }

    # -- clean-up ----------------------------------------------------------------------------

    def delete_jobs(self) -> list[str]:
        """Delete every Job of this run, by its run-id label and by name (their pods too);
        return the names this process created."""
        from kubernetes.client.exceptions import ApiException

        with self._lock:  # a create under way may still land: let it answer first
            self._created_cond.wait_for(
                lambda: self._creating == 0, timeout=self.watch.request_timeout
            )
            names = list(self.created)
        if self._call is not None and self._state is not None:
            try:
                self._call(
                    lambda a, t: a.batch.delete_collection_namespaced_job(
                        self.namespace,
                        label_selector=run_selector(self._run_id),
                        propagation_policy="Background",
                        _request_timeout=t,
                    ),
                    "delete the run's Jobs",
                    budget=max(30.0, self.watch.api_outage_limit),
                )
            except (ApiException, KubernetesOrchestratorError) as exc:
                print(f"warning: could not delete the run's Jobs: {exc}", file=sys.stderr)
        for name in names:
            self._delete(name)
        return names

    def _delete(self, name: str) -> None:
        from kubernetes.client.exceptions import ApiException

        if self._call is None:
            return
        try:
            self._call(
                lambda a, t: a.batch.delete_namespaced_job(
                    name, self.namespace, propagation_policy="Background", _request_timeout=t
                ),
                f"delete Job {name}",
                budget=max(30.0, self.watch.api_outage_limit),
            )
        except ApiException as exc:
            if exc.status != 404:
                print(f"warning: could not delete Job {name}: {exc.status}", file=sys.stderr)
        except KubernetesOrchestratorError as exc:
            print(f"warning: could not delete Job {name}: {exc.message}", file=sys.stderr)
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
