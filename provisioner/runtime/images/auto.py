"""Which runs need a step image, and building it with the stack's image builder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from provisioner.catalog.types import ComponentType

if TYPE_CHECKING:
    from provisioner.runtime.components import Components
    from provisioner.runtime.components.image_builder import BuiltImage, Progress
    from provisioner.runtime.pipeline import Pipeline
    from provisioner.stackconfig import StackConfig

#: Orchestrator flavors whose steps run in a container image.
CONTAINER_ORCHESTRATORS = frozenset({"kubernetes"})


def needs_image(stack: StackConfig) -> bool:
    """Whether the stack's steps run in an image (its orchestrator runs containers).

    Step operators have no runtime side yet; when one does, its steps need the image too.
    """
    orch = stack.component(ComponentType.ORCHESTRATOR)
    return orch is not None and orch.flavor in CONTAINER_ORCHESTRATORS


def can_build(stack: StackConfig) -> bool:
    """Whether the stack has an image builder to build the image with."""
    return stack.component(ComponentType.IMAGE_BUILDER) is not None


def build_step_image(
    pipeline: Pipeline | None,
    stack: StackConfig,
    *,
    components: Components | None = None,
    progress: Progress | None = None,
) -> BuiltImage:
    """Build (or find already pushed) the pipeline's step image with the stack's image builder.

    Raises:
        MissingComponentError: the stack has no image builder.
        UserInputError, OperationError: the build fails.
    """
    from provisioner.runtime.components import Components

    comps = components or Components(stack)
    return comps.get(ComponentType.IMAGE_BUILDER).build(pipeline, progress=progress)
