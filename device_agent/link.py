"""Settings and construction of the paho client for one connection attempt.

A fresh client per attempt: paho keeps unacknowledged QoS 1 messages of a dropped
connection and resends them itself, which would race with our outbox replay; a new client
starts clean and the outbox is the only source of truth for what is still owed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from device_agent.config import TlsConfig
from device_agent.protocol.broker import BrokerEndpoint
from device_agent.protocol.callbacks import guarded

log = logging.getLogger("device_agent.link")

# CONNACK codes that retrying cannot fix (MQTT 5 values; paho maps 3.1.1 codes 4/5 onto them).
AUTH_FAILURES = frozenset({134, 135, 138, 140})


@dataclass(frozen=True, slots=True)
class LinkSettings:
    broker: BrokerEndpoint
    client_id: str
    #: A CA other than the system's, or a client certificate: TLS whenever given.
    tls_files: TlsConfig | None = None
    keepalive_s: int = 30
    max_inflight: int = 200
    reconnect_min_s: float = 1.0
    reconnect_max_s: float = 60.0
    connect_timeout_s: float = 10.0


#: The agent's callbacks only log: the connection's own state machine recovers.
safe_callback = guarded(log)


def new_client(settings: LinkSettings, userdata: Any) -> mqtt.Client:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=settings.client_id,
        protocol=mqtt.MQTTv311,
        clean_session=True,
        userdata=userdata,
    )
    # Our own window bounds what is in flight; paho's must not queue behind it.
    client.max_inflight_messages_set(settings.max_inflight + 16)
    client.connect_timeout = settings.connect_timeout_s
    broker = settings.broker
    if broker.username is not None:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls or settings.tls_files is not None:
        files = settings.tls_files or TlsConfig()
        client.tls_set(
            ca_certs=_text(files.ca_file), certfile=_text(files.cert_file),
            keyfile=_text(files.key_file),
        )
    return client


def _text(path: Path | None) -> str | None:
    return str(path) if path else None


def is_auth_failure(reason_code: Any) -> bool:
    value = getattr(reason_code, "value", reason_code)
    return isinstance(value, int) and value in AUTH_FAILURES
