"""The alerter interface: ``post`` a message, ``ask`` an approve-or-reject question."""

from __future__ import annotations

from typing import ClassVar

from provisioner.catalog.types import ComponentType
from provisioner.errors import OperationError, UserInputError
from provisioner.runtime.components.base import StackComponent

#: Replies that approve an :meth:`Alerter.ask` question (case-insensitive, whole reply).
APPROVE_WORDS: tuple[str, ...] = ("approve", "approved", "yes", "y", "lgtm", "ok", "go")
#: Replies that reject it.
REJECT_WORDS: tuple[str, ...] = ("reject", "rejected", "no", "n", "stop", "deny", "denied")


class AlertError(OperationError):
    """The alerter's service refused or could not be reached (names the service's error)."""


class AskNotSupportedError(UserInputError):
    """The alerter can only post (a webhook is one-way): it cannot wait for a reply."""


class Alerter(StackComponent):
    """Base of every alerter: posts messages, and asks questions a person answers.

    Subclasses implement :meth:`post`; those that can read replies implement :meth:`ask`.
    """

    type: ClassVar[ComponentType] = ComponentType.ALERTER

    def post(self, text: str) -> str | None:
        """Post ``text``; return the message's id in the service (its ``ts`` in Slack), if any.

        Raises:
            AlertError: the service refused the message or could not be reached.
        """
        raise NotImplementedError

    def ask(self, question: str, *, timeout: float = 3600.0) -> bool:
        """Post ``question`` and wait for an approve or reject reply.

        Returns:
            True for an approving reply (``approve``, ``yes``, ``lgtm``, ...), False for a
            rejecting one (``reject``, ``no``, ...) and when nobody answered in ``timeout``
            seconds: an approval gate stays closed unless someone opens it.

        Raises:
            AskNotSupportedError: this alerter cannot read replies.
            AlertError: the service refused or could not be reached.
        """
        raise AskNotSupportedError(
            f"the {self.flavor} alerter of stack {self.stack.name!r} can only post, not ask",
            hint="use the slack alerter (a bot token) for approval gates",
        )


def verdict(
    text: str,
    approve: tuple[str, ...] = APPROVE_WORDS,
    reject: tuple[str, ...] = REJECT_WORDS,
) -> bool | None:
    """True if ``text`` approves, False if it rejects, None if it says neither.

    The whole reply counts, without case, surrounding blanks, a trailing ``.``/``!`` or a
    Slack emoji code (``:white_check_mark:`` is not parsed, ``approve :+1:`` is ``approve``).
    """
    words = [w for w in text.strip().lower().split() if not (w.startswith(":") and w.endswith(":"))]
    reply = " ".join(words).rstrip(".!")
    if reply in approve:
        return True
    if reply in reject:
        return False
    return None
