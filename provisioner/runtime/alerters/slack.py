"""The ``slack`` alerter: ``chat.postMessage`` with a bot token; approvals read from the thread
with ``conversations.replies``.

The token is read at first use from where the stack config says (an environment variable or
a cloud secret), never from the stack config itself. The API's base URL may be overridden for
tests by ``endpoints.slack`` in the stack config (loopback, or a host the reader trusts).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from provisioner.catalog.references import AWSSecret, AzureSecret, GCPSecret
from provisioner.recipes.common.flavors import SlackAlerterConfig
from provisioner.runtime.alerters.webhook import payload, post_json
from provisioner.runtime.components.alerter import (
    APPROVE_WORDS,
    REJECT_WORDS,
    Alerter,
    AlertError,
    AskNotSupportedError,
    verdict,
)
from provisioner.runtime.components.base import import_sdk
from provisioner.runtime.components.secrets import read_secret

log = logging.getLogger(__name__)

#: Hints for the Slack API errors a misconfigured alerter meets.
_HINTS: dict[str, str] = {
    "not_authed": "the request carried no token",
    "invalid_auth": "the bot token is wrong or revoked: put a valid xoxb- token where the "
    "stack config's alerter.config.token points",
    "account_inactive": "the token's app or user was deactivated",
    "token_revoked": "the token was revoked: install the app again and store the new token",
    "channel_not_found": "check alerter.config.channel (a channel ID such as C0123ABCD, or "
    "#name), and that the bot can see it",
    "not_in_channel": "invite the bot to the channel (/invite @your-bot)",
    "missing_scope": "the bot token needs the chat:write and channels:history (or "
    "groups:history for private channels) scopes",
    "ratelimited": "Slack rate-limited the bot; retry later",
    "thread_not_found": "the question's message was deleted",
}


def _cloud_secret(config: dict[str, Any]) -> AWSSecret | AzureSecret | GCPSecret | None:
    """The secret a cloud recipe's connection names in ``webhook_secret``, or None.

    The reference's form says its cloud: a Secrets Manager ARN (aws-recipe), a Secret
    Manager resource name ``projects/P/secrets/S`` (gcp-recipe) or a Key Vault secret id
    ``https://V.vault.azure.net/secrets/S`` (azure-recipe). Older stack configs named it
    ``webhook_secret_arn``, ``azure.webhook_secret_id`` or ``gcp.secret``: still read.
    """
    azure, gcp = config.get("azure"), config.get("gcp")
    ref = (
        config.get("webhook_secret")
        or config.get("webhook_secret_arn")
        or (azure.get("webhook_secret_id") if isinstance(azure, dict) else None)
        or (gcp.get("secret") if isinstance(gcp, dict) else None)
    )
    if not isinstance(ref, str) or not ref:
        return None
    if ref.startswith("arn:"):
        return AWSSecret(source="aws", secret_id=ref)
    if ref.startswith("https://") and "/secrets/" in ref:
        vault, _, rest = ref.rstrip("/").partition("/secrets/")
        return AzureSecret(source="azure", vault_url=vault, secret=rest.split("/")[0])
    return GCPSecret(source="gcp", secret=ref)


class SlackAlerter(Alerter):
    """Posts to one Slack channel; :meth:`ask` waits for approve/reject in the thread.

    Connections: ``{"channel", "token", "poll_interval", ...}`` (a hand-written one), or a
    cloud recipe's ``{"webhook_secret", "channel"}``, whose secret holds a bot token
    (``xoxb-...``: post and ask) or an incoming-webhook URL (post only).
    """

    def __init__(self, connection: Any, stack: Any) -> None:
        super().__init__(connection, stack)
        token = _cloud_secret(self.config)
        if token is not None:  # a cloud recipe's connection: the secret holds the token
            self.settings = SlackAlerterConfig.model_construct(
                channel=self.config.get("channel"),
                token=token,
                poll_interval=5.0,
                approve_words=None,
                reject_words=None,
            )
        else:
            self.settings = self.parse_config(SlackAlerterConfig)
        self.approve = self.settings.approve_words or APPROVE_WORDS
        self.reject = self.settings.reject_words or REJECT_WORDS
        self._lock = threading.Lock()
        self._client: Any = None
        self._webhook: str | None = None
        self._bot_user: str | None = None
        self._channel_id = self.settings.channel

    @property
    def what(self) -> str:
        return f"the slack alerter of stack {self.stack.name!r}"

    # -- the client, built on first use -----------------------------------------------------

    def _connect(self) -> Any:
        """The WebClient (or None when the secret is a webhook URL), checked with auth.test."""
        with self._lock:
            if self._client is not None or self._webhook is not None:
                return self._client
            secret = read_secret(self.settings.token, self.stack, f"the bot token of {self.what}")
            if secret.startswith(("https://", "http://")):
                self._webhook = secret
                return None
            sdk = import_sdk("slack_sdk", "slack")
            from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

            kwargs: dict[str, Any] = {"token": secret, "timeout": 30}
            base = self.stack.endpoints.get("slack")
            if base:
                from provisioner.runtime.stores.endpoints import check_endpoint

                url = check_endpoint(base, "endpoints.slack").url
                kwargs["base_url"] = url if url.endswith("/") else url + "/"
            client = sdk.WebClient(**kwargs)
            client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
            self._bot_user = self._call(client.auth_test, "auth.test").get("user_id")
            self._client = client
            return client

    def _call(self, method: Any, name: str, **kwargs: Any) -> Any:
        """One Web API call; Slack's ``ok: false`` and transport errors become AlertError."""
        from slack_sdk.errors import SlackApiError

        try:
            return method(**kwargs)
        except SlackApiError as exc:
            data = (exc.response.data or {}) if exc.response is not None else {}
            error = data.get("error") if isinstance(data, dict) else None
            needed = f" (needs {data['needed']})" if error == "missing_scope" else ""
            raise AlertError(
                f"{self.what}: Slack {name} failed: {error or exc}{needed}",
                hint=_HINTS.get(str(error)),
            ) from None
        except OSError as exc:  # URLError, timeouts, refused connections
            raise AlertError(f"{self.what}: Slack cannot be reached ({name}): {exc}") from None

    # -- the interface ---------------------------------------------------------------------

    def post(self, text: str, *, thread_ts: str | None = None) -> str | None:
        """Post ``text`` to the channel (or into a thread); return the message's ``ts``.

        Raises:
            AlertError: Slack refused (naming its error, e.g. ``channel_not_found``) or
                cannot be reached.
            UserInputError: the token's environment variable is not set.
        """
        client = self._connect()
        if client is None:
            post_json(self._webhook or "", payload("slack", text), 30, self.what)
            return None
        if not self.settings.channel:
            raise AlertError(
                f"{self.what} has no channel",
                hint="set alerter.config.channel in the stack definition and redeploy",
            )
        response = self._call(
            client.chat_postMessage,
            "chat.postMessage",
            channel=self.settings.channel,
            text=text,
            thread_ts=thread_ts,
        )
        self._channel_id = response.get("channel") or self.settings.channel
        return response.get("ts")

    def ask(self, question: str, *, timeout: float = 3600.0) -> bool:
        """Post ``question`` and wait up to ``timeout`` seconds for a reply in its thread.

        The first reply from a person (not the bot) that approves or rejects decides; other
        replies are ignored. No decision in time is a rejection, said in the thread.

        Raises:
            AskNotSupportedError: the secret holds a webhook URL, which cannot read replies.
            AlertError: Slack refused or cannot be reached.
        """
        if self._connect() is None:
            raise AskNotSupportedError(
                f"{self.what} holds an incoming-webhook URL, which can post but not read replies",
                hint="store a bot token (xoxb-...) in the secret instead to use ask()",
            )
        prompt = (
            f"{question}\nReply in this thread: `{self.approve[0]}` or `{self.reject[0]}` "
            f"(within {_duration(timeout)})."
        )
        ts = self.post(prompt)
        deadline = time.monotonic() + timeout
        seen: set[str] = {str(ts)}
        while True:
            decision = self._read_thread(str(ts), seen)
            if decision is not None:
                return decision
            left = deadline - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(self.settings.poll_interval, left))
        log.warning("%s: no answer to %r in %s: rejected", self.what, question, _duration(timeout))
        try:
            self.post(f"No answer within {_duration(timeout)}: rejected.", thread_ts=ts)
        except AlertError as exc:  # the gate is closed either way
            log.warning("%s: %s", self.what, exc.message)
        return False

    def _read_thread(self, ts: str, seen: set[str]) -> bool | None:
        """The decision among the thread's new replies, if one decides."""
        client = self._client
        cursor = None
        while True:
            page = self._call(
                client.conversations_replies,
                "conversations.replies",
                channel=self._channel_id,
                ts=ts,
                cursor=cursor,
                limit=200,
            )
            for message in page.get("messages") or []:
                mts = str(message.get("ts"))
                if mts in seen:
                    continue
                seen.add(mts)
                if message.get("bot_id") or message.get("user") == self._bot_user:
                    continue
                decision = verdict(str(message.get("text") or ""), self.approve, self.reject)
                if decision is not None:
                    log.info("%s: %s by %s", self.what, decision, message.get("user"))
                    return decision
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    def close(self) -> None:
        with self._lock:
            self._client = None
            self._webhook = None


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} s"
