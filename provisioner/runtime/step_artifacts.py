"""Artifacts a running step stores besides its outputs: reports, plots, exports.

A step (or a component client it calls) stores one with ``get_step_context().save_artifact(
name, value)``. It lands in the artifact store like an output, is recorded in the step record
under ``artifacts``, and reads back like one: ``provisioner run output RUN STEP NAME``. It is
recorded even when the step then fails, so a failed validation still shows its report.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from provisioner.runtime.errors import PipelineDefinitionError, SerializationError
from provisioner.runtime.keys import check_name
from provisioner.runtime.serializers import find_serializer
from provisioner.runtime.serializers.registry import PICKLE

if TYPE_CHECKING:
    from provisioner.runtime.artifacts import ArtifactIO, ArtifactRef


class StepArtifacts:
    """The artifacts one step invocation saved, by name (the last save of a name wins).

    Thread-safe: a step may save from threads of its own.

    Args:
        io: the run's artifact I/O.
        run_id: the run.
        step: the step invocation's name.
        outputs: the step's declared outputs; an artifact may not take one of their names.
        allow_pickle: store values no serializer handles with pickle (the step's policy).
    """

    def __init__(
        self,
        io: ArtifactIO,
        run_id: str,
        step: str,
        outputs: tuple[str, ...],
        *,
        allow_pickle: bool = False,
    ) -> None:
        self._io = io
        self._run_id = run_id
        self._step = step
        self._outputs = outputs
        self._allow_pickle = allow_pickle
        self._refs: dict[str, ArtifactRef] = {}
        self._lock = threading.Lock()

    def save(self, name: str, value: Any) -> ArtifactRef:
        """Store ``value`` as the step's artifact ``name``.

        Raises:
            InvalidNameError: ``name`` is not an identifier.
            PipelineDefinitionError: ``name`` is one of the step's outputs.
            SerializationError: no serializer stores ``value`` (and pickle is not allowed).
        """
        check_name(name, "artifact name")
        if name in self._outputs:
            raise PipelineDefinitionError(
                f"step {self._step!r}: artifact name {name!r} is one of its outputs "
                f"({', '.join(self._outputs)}); pick another name"
            )
        serializer = find_serializer(value)
        if serializer is None:
            kind = f"{type(value).__module__}.{type(value).__qualname__}"
            if not self._allow_pickle:
                raise SerializationError(
                    f"step {self._step!r} artifact {name!r}: no serializer for type {kind}",
                    hint="save JSON, bytes, a file Path, a DataFrame or an array, or allow "
                    "pickle with @step(pickle=True)",
                )
            serializer = PICKLE
        producer = {"run_id": self._run_id, "step": self._step, "artifact": name}
        ref = self._io.save(value, serializer, producer)
        with self._lock:
            self._refs[name] = ref
        return ref

    @property
    def refs(self) -> dict[str, ArtifactRef]:
        """What was saved so far, by name."""
        with self._lock:
            return dict(self._refs)
