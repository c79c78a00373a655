"""An HTTP receiver on 127.0.0.1 that records JSON POSTs (a Discord, Teams or Slack webhook)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookReceiver:
    """Records each POST body to ``/hook/<secret>``; other paths get 404, as a revoked hook."""

    SECRET = "s3cr3t-hook-id"

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 204
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != f"/hook/{receiver.SECRET}":
                    self.send_response(404)
                    data = b'{"message": "Unknown Webhook", "code": 10015}'
                elif self.headers.get("Content-Type") != "application/json":
                    self.send_response(415)
                    data = b"expected JSON"
                else:
                    receiver.received.append(json.loads(body))
                    self.send_response(receiver.status)
                    data = b"" if receiver.status == 204 else b'{"error": "boom"}'
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, secret: str | None = None) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hook/{secret or self.SECRET}"

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
