"""The ``webhook`` alerter: one JSON POST per message, shaped for Discord, Teams, Slack or any
receiver (``format``). The URL is a credential, so the stack config holds only its reference.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Literal

from provisioner.recipes.common.flavors import WebhookAlerterConfig
from provisioner.runtime.components.alerter import Alerter, AlertError
from provisioner.runtime.components.secrets import read_secret

Format = Literal["generic", "discord", "teams", "slack"]


def payload(fmt: Format, text: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON body for ``text`` in a receiver's shape.

    ``generic`` is ``{"text", "context"}``; ``discord`` an execute-webhook body
    (``content``, at most 2000 characters); ``teams`` a Workflows/Power Automate message
    holding one Adaptive Card; ``slack`` an incoming-webhook body (``text``).
    """
    if fmt == "discord":
        return {"content": text[:2000], "allowed_mentions": {"parse": []}}
    if fmt == "teams":
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [{"type": "TextBlock", "text": text, "wrap": True}],
        }
        return {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
            ],
        }
    if fmt == "slack":
        return {"text": text}
    return {"text": text, "context": context or {}}


def post_json(url: str, body: dict[str, Any], timeout: float, what: str) -> bytes:
    """POST ``body`` as JSON; the response body on a 2xx.

    Raises:
        AlertError: a non-2xx answer (with the start of its body) or no answer.
    """
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "User-Agent": "provisioner-alerter"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode(errors="replace").strip()
        raise AlertError(
            f"{what}: the webhook answered {exc.code} {exc.reason}: {detail}"
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AlertError(f"{what}: the webhook cannot be reached: {reason}") from None


class WebhookAlerter(Alerter):
    """Posts each message as one JSON POST to a webhook; it cannot :meth:`ask`."""

    def __init__(self, connection: Any, stack: Any) -> None:
        super().__init__(connection, stack)
        self.settings = self.parse_config(WebhookAlerterConfig)
        self._url: str | None = None

    @property
    def what(self) -> str:
        return f"the webhook alerter of stack {self.stack.name!r}"

    def post(self, text: str, context: dict[str, Any] | None = None) -> None:
        """POST ``text`` (``context`` goes along in the generic format).

        Raises:
            AlertError: the webhook refused it or cannot be reached.
        """
        if self._url is None:
            self._url = read_secret(self.settings.url, self.stack, f"the URL of {self.what}")
        post_json(
            self._url,
            payload(self.settings.format, text, context),
            self.settings.timeout,
            self.what,
        )
        return None
