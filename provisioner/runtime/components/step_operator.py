"""The step operator interface: run one step of a run somewhere else than the orchestrator.

``@step(step_operator=True)`` sends that step to the stack's step operator; the other steps
stay on the orchestrator. The step reads its inputs from and writes its outputs and record
to the artifact store, as every step does, so the orchestrator goes on from its record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from provisioner.catalog.types import ComponentType
from provisioner.runtime.components.base import StackComponent

if TYPE_CHECKING:
    from provisioner.runtime.execution import RunState
    from provisioner.runtime.pipeline import Invocation
    from provisioner.runtime.records import StepRecord


class StepOperator(StackComponent):
    """Base of every step operator.

    :meth:`launch` is called from an orchestrator worker thread, once per step invocation
    whose upstream steps are done, possibly for several steps at once.
    """

    type: ClassVar[ComponentType] = ComponentType.STEP_OPERATOR

    def prepare(self, state: RunState) -> None:
        """Check what the operator needs before the run starts (the default checks nothing).

        Raises:
            ProvisionerError: the operator cannot run this run's steps (says why).
        """

    def launch(self, state: RunState, inv: Invocation) -> StepRecord:
        """Run ``inv`` (or reuse its cached outputs) and return its final step record.

        Never raises for the step's own failure: the record says ``failed`` and why. After
        a completed step ``state.outputs[inv.name]`` holds its outputs.
        """
        raise NotImplementedError

    def cancel(self) -> None:
        """Stop every step still running (Ctrl-C, or a run that crashed)."""
