"""The annotator's interface: send items to people to label, and take the labels back."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from provisioner.catalog.types import ComponentType
from provisioner.runtime.components.base import StackComponent

if TYPE_CHECKING:
    from provisioner.runtime.artifacts import ArtifactRef


@dataclass(frozen=True)
class Project:
    """A labelling project.

    Attributes:
        id: the annotator's id of the project.
        name: its title.
        url: where a person goes to label its tasks.
    """

    id: int
    name: str
    url: str


@dataclass(frozen=True)
class AnnotationExport:
    """What :meth:`Annotator.export` returns: every task with its annotations.

    Iterating over it yields the tasks; ``len()`` is their number.

    Attributes:
        project: the project exported.
        tasks: each task as the annotator exports it (its ``data`` and its ``annotations``).
        artifact: the export, stored in the stack's artifact store (JSON).
    """

    project: Project
    tasks: list[dict[str, Any]]
    artifact: ArtifactRef

    @property
    def annotated(self) -> list[dict[str, Any]]:
        """The tasks that have at least one annotation."""
        return [t for t in self.tasks if t.get("annotations")]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.tasks)

    def __len__(self) -> int:
        return len(self.tasks)


class Annotator(StackComponent):
    """Base of every annotator client (``get_step_context().annotator``).

    A project is named by its :class:`Project`, its id, or its title.
    """

    type: ClassVar[ComponentType] = ComponentType.ANNOTATOR

    @abstractmethod
    def create_project(self, name: str, label_config: str) -> Project:
        """Create a labelling project with a labelling interface (``label_config``)."""

    @abstractmethod
    def get_project(self, project: Project | int | str) -> Project:
        """A project by id or title.

        Raises:
            NotFoundError: no such project.
        """

    @abstractmethod
    def import_tasks(
        self, project: Project | int | str, items: Sequence[dict[str, Any]] | ArtifactRef | str
    ) -> int:
        """Add tasks to label: a list of dicts, or an artifact (its ref or URI) holding one.

        Returns:
            The number of tasks imported.
        """

    @abstractmethod
    def export(self, project: Project | int | str) -> AnnotationExport:
        """Every task of the project with its annotations, also stored as an artifact."""

    @abstractmethod
    def url(self, project: Project | int | str) -> str:
        """Where a person goes to label the project's tasks."""
