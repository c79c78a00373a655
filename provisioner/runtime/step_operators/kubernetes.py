"""The ``kubernetes`` step operator: one step as a Job on the cluster, by the kubernetes
orchestrator's own Job code (manifest, creation, pod diagnosis, logs, clean-up).

The cluster, namespace, service account and image come from the operator's config, and any
key it leaves out from the stack's kubernetes orchestrator, so a stack whose steps run
locally can still send its heavy steps to the cluster. ``@step(resources=...)`` sets the
pod's CPU, memory and GPUs.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.recipes.common.flavors import KubernetesStepOperatorConfig
from provisioner.runtime.components.step_operator import StepOperator

if TYPE_CHECKING:
    from provisioner.runtime.execution import RunState
    from provisioner.runtime.orchestrators.kubernetes import KubernetesOrchestrator
    from provisioner.runtime.pipeline import Invocation
    from provisioner.runtime.records import StepRecord


class KubernetesStepOperator(StepOperator):
    """Runs each step it is given as a Kubernetes Job and waits for it."""

    def __init__(self, connection: Any, stack: Any) -> None:
        super().__init__(connection, stack)
        own = self.parse_config(KubernetesStepOperatorConfig).model_dump(exclude_none=True)
        orchestrator = stack.component(ComponentType.ORCHESTRATOR)
        base = (
            dict(orchestrator.config)
            if orchestrator and orchestrator.flavor == "kubernetes"
            else {}
        )
        self.job_config: dict[str, Any] = {**base, **own}
        self._jobs: KubernetesOrchestrator | None = None
        self._lock = threading.Lock()

    def prepare(self, state: RunState) -> None:
        """Pin the image, check the API, the rights and (dry run) a Job of this run.

        Raises:
            UserInputError: no image, or a pipeline a container cannot import.
            KubernetesOrchestratorError: the API cannot be reached or refuses (names why).
        """
        from provisioner.runtime.components.base import import_sdk

        import_sdk("kubernetes", "kubernetes")
        from provisioner.runtime.orchestrators.kubernetes import ENV_IMAGE, KubernetesOrchestrator

        config = dict(self.job_config)
        image = config.pop("image", None)
        if not image and not os.environ.get(ENV_IMAGE):
            raise UserInputError(
                f"the kubernetes step operator of stack {self.stack.name!r} needs an image for "
                "its steps, and none was given",
                hint="set step_operator.config.image (a ':TAG' is a tag of the stack's "
                f"container registry) and redeploy, or set ${ENV_IMAGE}",
            )
        api_server = config.pop("api_server", None)
        jobs = KubernetesOrchestrator(config, image=image, api_server=api_server)
        jobs.prepare(state)
        with self._lock:
            self._jobs = jobs

    def launch(self, state: RunState, inv: Invocation) -> StepRecord:
        """Create the step's Job, wait for it, and return the record its pod left."""
        jobs = self._jobs
        if jobs is None:
            raise RuntimeError("the kubernetes step operator was not prepared")
        return jobs.launch(inv)

    def cancel(self) -> None:
        """Delete this run's Jobs that the operator created."""
        jobs = self._jobs
        if jobs is not None and jobs.created:
            jobs._cancelled.set()
            jobs.delete_jobs()

    def close(self) -> None:
        self.cancel()
