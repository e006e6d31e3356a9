"""A platform's real HTTP endpoint for the push tests: the notify tests' receiver, keeping
each request's headers and raw body (the signature is over the bytes as sent), and
checking signatures as a platform would."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.notify.receivers import WebhookReceiver


class PlatformReceiver(WebhookReceiver):
    def __init__(self, secret: str, port: int | None = None) -> None:
        super().__init__(port)
        self.secret = secret.encode("utf-8")
        #: (headers, raw body) of every request, in arrival order.
        self.requests: list[tuple[dict[str, str], bytes]] = []

    def start(self) -> None:
        requests, bodies = self.requests, self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                requests.append((dict(self.headers.items()), raw))
                bodies.append(json.loads(raw.decode("utf-8")))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/aed"

    def verified(self) -> list[dict[str, Any]]:
        """Every body received, each checked against its X-Signature (as the snippet in
        docs/api.md does it)."""
        out = []
        for headers, raw in list(self.requests):
            expected = "sha256=" + hmac.new(self.secret, raw, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(headers["X-Signature"], expected), headers
            body = json.loads(raw)
            assert headers["X-Delivery-Id"] == body["delivery_id"]
            out.append(body)
        return out
