"""Bytes from the broker -> accepted messages or dead-letter rows, with no database.

Decoding is done before the transaction (see `prepare_batch`), so that locks are held
only for the writes. A message that breaks protocol v1 becomes a dead-letter row with
the reason; an accepted one keeps its routing fields and readings ready for the store.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from functools import lru_cache
from typing import Any

from device_agent.protocol import (
    AGENT_TO_SERVER,
    MAX_PAYLOAD_BYTES,
    READING_FIELDS,
    Decoded,
    ParsedTopic,
    ProtocolError,
    Reason,
    TopicKind,
    check_agreement,
    is_valid_id,
    parse_topic,
)
from device_agent.protocol import StateMessage as StateMsg
from device_agent.protocol import Telemetry as TelemetryMsg
from device_agent.protocol.codec import decode_payload

DETAIL_LIMIT = 1000
# The protocol allows msg_id up to 128 characters; the store keeps 100 (dead-letter longer).
MSG_ID_LIMIT = 100


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One message as received. `size` is the original payload length: a receiver may
    keep only the first bytes of an oversize payload."""

    topic: str
    payload: bytes
    received_at: datetime
    size: int = -1

    @property
    def original_size(self) -> int:
        return self.size if self.size >= 0 else len(self.payload)


class Accepted:
    """A decoded message; its routing fields are copied out once (read many times)."""

    __slots__ = ("_json", "_readings", "decoded", "device_id", "gateway_id", "kind", "raw")

    def __init__(self, raw: RawMessage, decoded: Decoded) -> None:
        self.raw = raw
        self.decoded = decoded
        self.gateway_id: str = decoded.topic.gateway_id
        self.device_id: str | None = decoded.topic.device_id
        self.kind: TopicKind = decoded.topic.kind
        self._readings: dict[str, Any] | None = None
        self._json: str | None = None

    def readings(self) -> dict[str, Any]:
        """The readings a telemetry message carries (python values), dumped once."""
        if self._readings is None:
            msg = self.decoded.message
            # Readings are flat scalars: reading the attributes gives what
            # model_dump(include=..., exclude_none=True) gives, at a fraction of its cost.
            self._readings = (
                {name: value for name in READING_FIELDS
                 if (value := getattr(msg, name)) is not None}
                if isinstance(msg, TelemetryMsg) else {}
            )
        return self._readings

    def readings_json(self) -> str:
        """The readings as the JSON text stored in telemetry.readings, encoded once."""
        if self._json is None:
            self._json = readings_json(self.readings())
        return self._json


@dataclass(frozen=True, slots=True)
class PreparedBatch:
    """The database-free half of a batch (decoding, validation, value conversion), done
    before the transaction so that locks are held only for the writes."""

    raws: Sequence[RawMessage]
    topic_root: str
    accepted: list[Accepted]
    dead_rows: list[dict[str, Any]]


def prepare_batch(raws: Sequence[RawMessage], topic_root: str) -> PreparedBatch:
    accepted, dead_rows = decode_all(raws, topic_root)
    for item in accepted:
        if item.kind is TopicKind.TELEMETRY:
            item.readings_json()
    return PreparedBatch(raws, topic_root, accepted, dead_rows)


def decode_all(
    raws: Iterable[RawMessage], root: str
) -> tuple[list[Accepted], list[dict[str, Any]]]:
    accepted: list[Accepted] = []
    dead: list[dict[str, Any]] = []
    for raw in raws:
        try:
            if raw.original_size > MAX_PAYLOAD_BYTES:
                raise ProtocolError(
                    Reason.TOO_LARGE,
                    f"payload of {raw.original_size} bytes exceeds {MAX_PAYLOAD_BYTES}",
                )
            # device_agent.protocol.decode(), with the topic parse cached.
            parsed = _parse_topic(raw.topic, root)
            message = decode_payload(parsed.kind, raw.payload)
            check_agreement(parsed, message)
            decoded = Decoded(parsed, message)  # type: ignore[arg-type]
            if decoded.topic.kind not in AGENT_TO_SERVER:
                raise ProtocolError(
                    Reason.WRONG_DIRECTION, f"{decoded.topic.kind.value} is sent by the server"
                )
            msg_id = getattr(decoded.message, "msg_id", "")
            if len(msg_id) > MSG_ID_LIMIT:
                raise ProtocolError(
                    Reason.INVALID_VALUE, f"msg_id longer than {MSG_ID_LIMIT} characters",
                    field="msg_id",
                )
        except ProtocolError as exc:
            dead.append(dead_letter_row(raw, exc.reason.value, exc.message))
            continue
        accepted.append(Accepted(raw, decoded))
    return accepted, dead


@lru_cache(maxsize=16384)
def _parse_topic(topic: str, root: str) -> ParsedTopic:
    # Topics repeat per device; parsing them again for every message is wasted work.
    return parse_topic(topic, root)


def dead_letter_row(raw: RawMessage, reason: str, detail: str) -> dict[str, Any]:
    return {
        "received_at": raw.received_at,
        "topic": raw.topic[:500],
        "gateway_id": _gateway_from_topic(raw.topic),
        "reason": reason[:40],
        "detail": detail[:DETAIL_LIMIT],
        "size": raw.original_size,
        # Oversize payloads are kept cut; `size` tells how long they were.
        "payload": raw.payload[:MAX_PAYLOAD_BYTES],
    }


def _gateway_from_topic(topic: str) -> str | None:
    # Best effort, for filtering dead letters by gateway; only a well-formed id counts.
    parts = topic.split("/")
    for i, part in enumerate(parts[:-1]):
        if part == "gw" and is_valid_id(parts[i + 1]):
            return parts[i + 1]
    return None


def dedupe_key(item: Accepted) -> str:
    """What a message is stored once under, per gateway."""
    msg = item.decoded.message
    if isinstance(msg, StateMsg):
        # State has no msg_id; the retained copy comes back on every subscribe.
        return f"state:{msg.session}:{msg.state.value}:{msg.ts.isoformat()}"[:100]
    return str(getattr(msg, "msg_id", ""))[:100]


def json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


# What json.dumps(value, default=json_value) gives, without a new encoder per call.
_READINGS_ENCODER = json.JSONEncoder(default=json_value)


def readings_json(readings: dict[str, Any]) -> str:
    # Enum readings are str subclasses and encode as their value; dates need help.
    return _READINGS_ENCODER.encode(readings)
