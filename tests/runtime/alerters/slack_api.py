"""A Slack Web API server on 127.0.0.1 for tests: the methods the slack alerter calls.

It answers as Slack does (https://api.slack.com/web): HTTP 200 with ``{"ok": false, "error":
...}`` for API errors (``not_authed``, ``invalid_auth``, ``channel_not_found``,
``not_in_channel``, ``missing_scope`` with ``needed``/``provided``, ``thread_not_found``,
``invalid_arguments``, ``unknown_method``), 429
with ``Retry-After`` when rate-limited, channel names resolved to IDs, message ``ts`` values
as ``"<seconds>.<6 digits>"``, and ``conversations.replies`` returning the parent first,
then the replies, paged with ``response_metadata.next_cursor``. The token comes in the
``Authorization: Bearer`` header (or a ``token`` argument). Arguments arrive as a query
string, a form body or a JSON body, as slack_sdk sends them.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BOT_TOKEN = "xoxb-test-0000-provisioner"
BOT_USER = "U0BOT0001"
BOT_ID = "B0BOT0001"
#: The scope each method needs (for public channels), as Slack's method docs list it.
SCOPES = {"chat.postMessage": "chat:write", "conversations.replies": "channels:history"}


class SlackWorkspace:
    """The server's state: channels, their messages, and what was called."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.channels: dict[str, dict[str, Any]] = {}  # id -> {name, member, messages}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.rate_limit_next = 0  # answer the next N calls with 429
        self.page_size = 100
        self.scopes = set(SCOPES.values())  # the bot token's scopes
        self._clock = itertools.count(1)
        self.add_channel("C0ALERTS01", "alerts")
        self.add_channel("C0OTHER001", "elsewhere", member=False)

    def add_channel(self, cid: str, name: str, *, member: bool = True) -> None:
        self.channels[cid] = {"name": name, "member": member, "messages": []}

    def next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._clock):06d}"

    def reply(self, channel: str, thread_ts: str, text: str, user: str = "U0HUMAN01") -> str:
        """A person replies in a thread (what a test does to answer an ask)."""
        with self.lock:
            ts = self.next_ts()
            self.channels[channel]["messages"].append(
                {"type": "message", "user": user, "text": text, "ts": ts, "thread_ts": thread_ts}
            )
            return ts

    def messages(self, channel: str = "C0ALERTS01") -> list[dict[str, Any]]:
        with self.lock:
            return [dict(m) for m in self.channels[channel]["messages"]]

    def resolve(self, channel: str) -> str | None:
        if channel in self.channels:
            return channel
        name = channel.lstrip("#")
        return next((c for c, v in self.channels.items() if v["name"] == name), None)


class _Handler(BaseHTTPRequestHandler):
    workspace: SlackWorkspace
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _args(self) -> dict[str, Any]:
        parts = urlsplit(self.path)
        args: dict[str, Any] = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type", "")
        if body and ctype.startswith("application/json"):
            args.update(json.loads(body))
        elif body:
            args.update({k: v[-1] for k, v in parse_qs(body.decode()).items()})
        return args

    def _send(self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None):
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        path = urlsplit(self.path).path
        if not path.startswith("/api/"):
            self._send(404, {"ok": False, "error": "not_found"})
            return
        method = path[len("/api/") :]
        args = self._args()
        ws = self.workspace
        with ws.lock:
            ws.calls.append((method, dict(args)))
            if ws.rate_limit_next:
                ws.rate_limit_next -= 1
                self._send(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
                return
        auth = self.headers.get("Authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else args.get("token")
        handler = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "conversations.replies": self._replies,
        }.get(method)
        if handler is None:
            self._send(200, {"ok": False, "error": "unknown_method"})
        elif not token:
            self._send(200, {"ok": False, "error": "not_authed"})
        elif token != BOT_TOKEN:
            self._send(200, {"ok": False, "error": "invalid_auth"})
        elif method in SCOPES and SCOPES[method] not in ws.scopes:
            self._send(
                200,
                {
                    "ok": False,
                    "error": "missing_scope",
                    "needed": SCOPES[method],
                    "provided": ",".join(sorted(ws.scopes)),
                },
            )
        else:
            with ws.lock:
                self._send(200, handler(args))

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://provisioner-test.slack.com/",
            "team": "provisioner-test",
            "user": "alerts-bot",
            "team_id": "T0TEAM0001",
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        ws = self.workspace
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            return {"ok": False, "error": "no_text"}
        cid = ws.resolve(str(args["channel"]))
        if cid is None:
            return {"ok": False, "error": "channel_not_found"}
        if not ws.channels[cid]["member"]:
            return {"ok": False, "error": "not_in_channel"}
        message = {
            "type": "message",
            "user": BOT_USER,
            "bot_id": BOT_ID,
            "text": args.get("text", ""),
            "ts": ws.next_ts(),
        }
        thread_ts = args.get("thread_ts")
        if thread_ts:
            if not any(m["ts"] == thread_ts for m in ws.channels[cid]["messages"]):
                return {"ok": False, "error": "thread_not_found"}
            message["thread_ts"] = thread_ts
        ws.channels[cid]["messages"].append(message)
        return {"ok": True, "channel": cid, "ts": message["ts"], "message": message}

    def _replies(self, args: dict[str, Any]) -> dict[str, Any]:
        ws = self.workspace
        cid = ws.resolve(str(args.get("channel", "")))
        ts = args.get("ts")
        if cid is None:
            return {"ok": False, "error": "channel_not_found"}
        if not ts:
            return {"ok": False, "error": "invalid_arguments"}
        if not ws.channels[cid]["member"]:
            return {"ok": False, "error": "not_in_channel"}
        messages = ws.channels[cid]["messages"]
        parent = next((m for m in messages if m["ts"] == ts), None)
        if parent is None:
            return {"ok": False, "error": "thread_not_found"}
        thread = [parent] + [m for m in messages if m.get("thread_ts") == ts]
        start = int(args.get("cursor") or 0)
        limit = min(int(args.get("limit") or 1000), ws.page_size)
        page = thread[start : start + limit]
        more = start + limit < len(thread)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }


class SlackServer:
    """Serves a :class:`SlackWorkspace` on ``http://127.0.0.1:PORT/api/`` until stopped."""

    def __init__(self) -> None:
        self.workspace = SlackWorkspace()
        handler = type("Handler", (_Handler,), {"workspace": self.workspace})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/api/"

    def __enter__(self) -> SlackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
