"""Settings and construction of the paho client for one connection attempt.

A fresh client per attempt: paho keeps unacknowledged QoS 1 messages of a dropped
connection and resends them itself, which would race with our outbox replay; a new client
starts clean and the outbox is the only source of truth for what is still owed.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

log = logging.getLogger("device_agent.link")

F = TypeVar("F", bound=Callable[..., Any])

# CONNACK codes that retrying cannot fix (MQTT 5 values; paho maps 3.1.1 codes 4/5 onto them).
AUTH_FAILURES = frozenset({134, 135, 138, 140})


@dataclass(frozen=True, slots=True)
class LinkSettings:
    host: str
    port: int
    client_id: str
    username: str | None = None
    password: str | None = None
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    tls: bool = False
    keepalive_s: int = 30
    max_inflight: int = 200
    reconnect_min_s: float = 1.0
    reconnect_max_s: float = 60.0
    connect_timeout_s: float = 10.0


def safe_callback(func: F) -> F:
    """An exception escaping a paho callback would kill the network loop: log it instead."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception:
            log.exception("error in MQTT callback %s (ignored)", func.__name__)
            return None

    return wrapper  # type: ignore[return-value]


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
    if settings.username is not None:
        client.username_pw_set(settings.username, settings.password)
    if settings.tls or settings.ca_file is not None:
        client.tls_set(
            ca_certs=str(settings.ca_file) if settings.ca_file else None,
            certfile=str(settings.cert_file) if settings.cert_file else None,
            keyfile=str(settings.key_file) if settings.key_file else None,
        )
    return client


def is_auth_failure(reason_code: Any) -> bool:
    value = getattr(reason_code, "value", reason_code)
    return isinstance(value, int) and value in AUTH_FAILURES
