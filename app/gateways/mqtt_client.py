"""The paho client of every server-side MQTT connection; its callbacks wear `guarded`
(device_agent/protocol/callbacks.py, shared with the agent), re-exported here.
"""

from __future__ import annotations

import ssl

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from device_agent.protocol.callbacks import guarded

__all__ = ["guarded", "new_client"]


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
