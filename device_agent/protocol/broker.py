"""Where and as whom an MQTT client connects: the agent's link and the server's clients
(ingest, broker admin, config push) describe their broker with the same value."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlparse


@dataclass(frozen=True, slots=True)
class BrokerEndpoint:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerEndpoint:
        """From an mqtt:// or mqtts:// URL (percent-escapes in the login undone)."""
        parsed = urlparse(url)
        tls = parsed.scheme == "mqtts"
        return cls(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or (8883 if tls else 1883),
            tls=tls,
            username=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
        )
