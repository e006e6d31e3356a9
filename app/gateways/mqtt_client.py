"""The paho client of every server-side MQTT connection, and the guard its callbacks wear.

paho 2.x runs callbacks on its network thread: an exception escaping one ends that
thread, and the client then neither reads nor acknowledges anything more, silently.
So every callback of ours is wrapped by `guarded`, which logs and carries on.
"""

from __future__ import annotations

import functools
import logging
import ssl
from collections.abc import Callable
from typing import Any, TypeVar

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

F = TypeVar("F", bound=Callable[..., Any])


def guarded(log: logging.Logger, consequence: str = "ignored") -> Callable[[F], F]:
    """Log an exception raised in the callback (saying what it means) instead of
    letting it end paho's network thread."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception:
                log.exception("error in MQTT callback %s (%s)", func.__name__, consequence)
                return None

        return wrapper  # type: ignore[return-value]

    return decorate


def new_client(
    client_id: str,
    *,
    username: str | None = None,
    password: str | None = None,
    tls: bool = False,
    ca_file: str | None = None,
    protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv311,
    clean_session: bool | None = None,
    manual_ack: bool = False,
) -> mqtt.Client:
    """A client with our credentials and TLS; not connected yet.

    `ca_file` None trusts the system's CAs. `clean_session` is for MQTT 3.1.1 only
    (None: paho's default, a clean session); MQTT 5 sets it per connect.
    """
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol,
        clean_session=clean_session, manual_ack=manual_ack,
    )
    if username:
        client.username_pw_set(username, password)
    if tls:
        client.tls_set(ca_certs=ca_file, tls_version=ssl.PROTOCOL_TLS_CLIENT)
    return client
