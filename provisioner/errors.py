"""The project's error hierarchy; only the CLI turns these into messages and exit codes."""

from __future__ import annotations


class ProvisionerError(Exception):
    """Base of every error the tool reports to a user without a traceback."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


class UserInputError(ProvisionerError):
    """Bad input from the user: a stack definition, a flag, a name. Exit code 2."""

    exit_code = 2


class SpecError(UserInputError):
    """A stack definition that does not validate.

    Attributes:
        file: the file the definition came from.
        problems: one entry per problem: (field path, line or None, message).
    """

    def __init__(
        self,
        file: str,
        problems: list[tuple[str, int | None, str]],
        *,
        kind: str = "stack definition",
    ) -> None:
        self.file = file
        self.problems = problems
        lines = []
        for path, line, msg in problems[:5]:
            where = f"{file}:{line}" if line else file
            field = f" field '{path}'" if path else ""
            lines.append(f"{where}:{field} {msg}")
        if len(problems) > 5:
            lines.append(f"... and {len(problems) - 5} more problems")
        super().__init__(f"invalid {kind}\n" + "\n".join(lines))


class NotFoundError(UserInputError):
    """A named stack, recipe, flavor or run that does not exist."""


class CatalogError(UserInputError):
    """A component type or flavor that the catalog does not know."""


class OperationError(ProvisionerError):
    """An operation (deploy, destroy, run) that failed. Exit code 1."""


class LockedError(OperationError):
    """Another process holds the stack's lock."""


class EngineUnavailableError(OperationError):
    """The chosen engine cannot run here (for example, no Pulumi CLI)."""


class ProvisionerWarning(UserWarning):
    """Something the user should know, printed by the CLI as one ``warning:`` line."""
