"""Ingest decodes with the protocol module's own steps; it must agree with decode()."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from app.devices import RawMessage
from app.devices.decode import decode_all
from device_agent.protocol import ProtocolError, decode

TOPICS = st.sampled_from([
    "aed/v1/gw/gw-1/dev/d-1/telemetry", "aed/v1/gw/gw-1/dev/d-1/event",
    "aed/v1/gw/gw-1/heartbeat", "aed/v1/gw/gw-1/state", "aed/v1/gw/gw 1/state",
    "aed/v1/gw/gw-1/dev/d-1/state", "other/gw/gw-1/state",
])
FIELDS = st.dictionaries(
    st.sampled_from(["v", "msg_id", "session", "seq", "ts", "replay", "temp_c", "kind",
                     "state", "agent_version", "uptime_s", "outbox_depth",
                     "config_version", "gateway_id", "device_id"]),
    st.none() | st.booleans() | st.integers(-2, 3) | st.sampled_from(
        ["1-1", "2026-11-29T08:00:00Z", "door_opened", "online", "gw-1", "d-1", "x"]),
)


@settings(max_examples=300, deadline=None)
@given(topic=TOPICS, fields=FIELDS)
def test_ingest_accepts_exactly_what_decode_accepts(topic: str, fields: dict[str, object]) -> None:
    payload = json.dumps(fields).encode()
    accepted, dead = decode_all([RawMessage(topic, payload, datetime.now(UTC))], "aed/v1")
    try:
        decode(topic, payload)
    except ProtocolError as exc:
        assert not accepted and dead[0]["reason"] == exc.reason.value
    else:
        assert accepted or dead[0]["reason"] in {"wrong_direction", "invalid_value"}
