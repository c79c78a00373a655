"""The engine interface that both engines implement."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from provisioner.engines.model import (
    EVERYTHING,
    EventCallback,
    Plan,
    RefreshResult,
    StateBackup,
    StateChange,
    StateResource,
    Step,
    Targeting,
    no_events,
)
from provisioner.errors import UserInputError

if TYPE_CHECKING:
    from provisioner.spec.loader import LoadedStack


class Engine(ABC):
    """Runs a stack's inline Pulumi program: preview, up, destroy, refresh, outputs.

    Every method is safe to rerun: after a failure or a kill, running it again converges.
    """

    #: ``embedded`` or ``pulumi``.
    name: str

    @abstractmethod
    def preview(self, stack: LoadedStack, on_event: EventCallback = no_events) -> Plan:
        """Compute the steps an ``up`` would take, without changing anything."""

    @abstractmethod
    def up(self, stack: LoadedStack, on_event: EventCallback = no_events) -> Plan:
        """Create, update, replace and delete resources until the state matches the program.

        Returns the steps performed, with the final stack outputs in ``Plan.outputs``.

        Raises:
            OperationError: a provider failed; the state records what did succeed.
            LockedError: another process is updating this stack.
        """

    def plan_and_apply(
        self,
        stack: LoadedStack,
        on_event: EventCallback = no_events,
        *,
        confirm: Callable[[Plan], bool] | None = None,
        refresh: bool = False,
        forget: Collection[str] = (),
        targeting: Targeting = EVERYTHING,
        expect: dict[str, Any] | None = None,
    ) -> Plan | None:
        """Plan, let ``confirm`` see the plan (False cancels: None is returned), then apply.

        This default previews and then runs ``up``; an engine that can hold the stack's
        lock from the plan to the apply overrides it, so the plan approved is the plan
        applied. ``refresh`` (read resources back first) and ``forget`` (leave resources
        in place instead of deleting them) need such an engine.

        ``targeting`` (``--target``, ``--replace``) and ``expect`` (apply a saved plan:
        its ``Plan.saved``, and ``steps``) need such an engine too.

        Raises:
            UserInputError: ``forget``, ``targeting`` or ``expect`` was given, and this
                engine cannot do it.
        """
        if targeting or expect is not None:
            raise UserInputError(
                f"the {self.name} engine cannot target resources or apply a saved plan"
            )
        if forget:
            raise UserInputError(
                f"--forget needs the embedded engine; the {self.name} engine cannot forget "
                "a resource during a deploy"
            )
        if confirm is not None and not confirm(self.preview(stack)):
            return None
        return self.up(stack, on_event)

    @abstractmethod
    def destroy(self, stack_name: str, on_event: EventCallback = no_events) -> Plan:
        """Delete every resource of the stack, in reverse dependency order, and its state.

        Destroying a stack that has no state is a no-op.
        """

    @abstractmethod
    def refresh(self, stack_name: str, on_event: EventCallback = no_events) -> RefreshResult:
        """Read every resource back through its provider, record and report drift."""

    @abstractmethod
    def outputs(self, stack_name: str) -> dict[str, Any]:
        """The stack outputs recorded by the last successful ``up``."""

    @abstractmethod
    def has_state(self, stack_name: str) -> bool:
        """True when the engine holds state (resources or pending operations) for the stack."""

    # -- state surgery (``provisioner state``): each takes the lock and backs up first ----

    def state_list(self, stack_name: str) -> list[StateResource]:
        """The resources the state records, in state order."""
        raise self._no_state_commands()

    def state_remove(self, stack_name: str, names: list[str]) -> StateChange:
        """Drop resources from the state, leaving them in place."""
        raise self._no_state_commands()

    def state_move(
        self, stack_name: str, name: str, new_name: str | None, new_parent: str | None
    ) -> StateChange:
        """Rename a resource in the state and/or give it another parent."""
        raise self._no_state_commands()

    def state_backups(self, stack_name: str) -> list[StateBackup]:
        """The state backups, oldest first."""
        raise self._no_state_commands()

    def state_restore(self, stack_name: str, name: str | None) -> StateChange:
        """Put a backup back (the latest when ``name`` is None), backing up the current
        state first."""
        raise self._no_state_commands()

    def import_resource(
        self, stack: LoadedStack, type_: str, name: str, id_: str, parent: str | None = None
    ) -> StateResource:
        """Adopt an existing resource into the state (``stack import``)."""
        raise self._no_state_commands()

    def _no_state_commands(self) -> UserInputError:
        return UserInputError(f"the {self.name} engine has no state commands")

    def history(self, stack_name: str) -> list:
        """Every deploy, destroy and refresh of the stack (``HistoryEntry``), oldest first."""
        return []

    def state_location(self, stack_name: str) -> str:
        """Where the state lives, for the stack config's provenance."""
        return ""

    def resources(self, stack_name: str) -> list[Step]:
        """The resources the state records, as delete steps (for a destroy prompt).

        Engines that cannot list them cheaply return an empty list.
        """
        return []
