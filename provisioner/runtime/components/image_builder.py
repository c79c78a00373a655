"""The image_builder interface: build the step image of a pipeline and push it to the
stack's container registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.catalog.types import ComponentType
from provisioner.runtime.components.base import StackComponent

if TYPE_CHECKING:
    from provisioner.runtime.pipeline import Pipeline

#: Called with one line of progress at a time.
Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuiltImage:
    """An image in the registry.

    Attributes:
        image: ``registry/repository:tag``.
        digest: its manifest digest (``sha256:...``).
        tag: a content hash of everything it is built from and of the base image's digest.
        strategy: how it was built (``append``, ``buildah``, ``codebuild``).
        skipped: the registry already held the tag, so nothing was built.
        seconds: how long the build and push took.
    """

    image: str
    digest: str
    tag: str
    strategy: str
    skipped: bool
    seconds: float

    @property
    def pinned(self) -> str:
        """The image by digest: ``registry/repository@sha256:...``."""
        return f"{self.image.rsplit(':', 1)[0]}@{self.digest}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "pinned": self.pinned}


class ImageBuilder(StackComponent):
    """Builds a pipeline's step image: its source, its requirements, provisioner at the
    running version, and what the stack's components need inside a step."""

    type = ComponentType.IMAGE_BUILDER

    def build(
        self,
        pipeline: Pipeline | None = None,
        *,
        source_root: Path | None = None,
        requirements: tuple[str, ...] = (),
        progress: Progress | None = None,
    ) -> BuiltImage:
        """Build and push the image (or find it already pushed); the pushed image.

        Args:
            pipeline: the pipeline whose source and requirements go in.
            source_root: the project directory, instead of the pipeline's.
            requirements: more pip requirements.
            progress: receives progress lines.

        Raises:
            UserInputError: bad builder config or inputs.
            OperationError: the build, or the registry, fails.
        """
        raise NotImplementedError
