"""Bytes on the wire <-> validated models, with one typed error for every failure."""

from __future__ import annotations

from typing import NamedTuple

from pydantic import BaseModel, ValidationError

from device_agent.protocol.errors import ProtocolError, Reason
from device_agent.protocol.messages import (
    MAX_PAYLOAD_BYTES,
    AckMessage,
    AnyMessage,
    ConfigMessage,
    Event,
    Heartbeat,
    StateMessage,
    Telemetry,
)
from device_agent.protocol.topics import DEFAULT_ROOT, ParsedTopic, TopicKind, parse_topic

MODEL_FOR_KIND: dict[TopicKind, type[BaseModel]] = {
    TopicKind.STATE: StateMessage,
    TopicKind.HEARTBEAT: Heartbeat,
    TopicKind.TELEMETRY: Telemetry,
    TopicKind.EVENT: Event,
    TopicKind.CONFIG: ConfigMessage,
    TopicKind.ACK: AckMessage,
}


class Decoded(NamedTuple):
    topic: ParsedTopic
    message: AnyMessage


def _check_size(payload: bytes) -> None:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ProtocolError(
            Reason.TOO_LARGE, f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}"
        )


def encode(message: BaseModel) -> bytes:
    """Compact JSON without null fields; refuses what a receiver would refuse for size."""
    data = message.model_dump_json(exclude_none=True).encode()
    _check_size(data)
    return data


def decode(topic: str, payload: bytes, root: str = DEFAULT_ROOT) -> Decoded:
    """Parse and validate one MQTT message; raise ProtocolError with a reason code."""
    parsed = parse_topic(topic, root)
    message = decode_payload(parsed.kind, payload)
    check_agreement(parsed, message)
    return Decoded(parsed, message)  # type: ignore[arg-type]


def decode_payload(kind: TopicKind, payload: bytes) -> BaseModel:
    _check_size(payload)
    try:
        # ASCII (the usual payload) is valid UTF-8; isascii() checks without decoding.
        if not payload.isascii():
            payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(Reason.BAD_ENCODING, f"payload is not UTF-8: {exc.reason}") from None
    model = MODEL_FOR_KIND[kind]
    try:
        return model.model_validate_json(payload)
    except ValidationError as exc:
        raise _from_validation_error(kind, exc) from None


def _from_validation_error(kind: TopicKind, exc: ValidationError) -> ProtocolError:
    errors = exc.errors(include_url=False)
    for err in errors:
        if err["type"] == "json_invalid":
            return ProtocolError(Reason.BAD_JSON, f"bad JSON: {err['msg']}")
        if err["type"] == "model_type" and not err["loc"]:
            return ProtocolError(Reason.NOT_AN_OBJECT, "payload must be a JSON object")
    for err in errors:
        if err["loc"] == ("v",) and err["type"] == "literal_error":
            return ProtocolError(
                Reason.UNSUPPORTED_VERSION,
                f"unsupported protocol version {err.get('input')!r}",
                field="v",
            )
    first = errors[0]
    field = ".".join(str(p) for p in first["loc"])
    reason = Reason.MISSING_FIELD if first["type"] == "missing" else Reason.INVALID_VALUE
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return ProtocolError(reason, f"{kind.value}.{field}: {first['msg']}{more}", field=field)


def check_agreement(parsed: ParsedTopic, message: BaseModel) -> None:
    """The topic is what the broker's ACL vouches for; a payload may not contradict it."""
    for field, in_topic, noun in (("gateway_id", parsed.gateway_id, "gateway"),
                                  ("device_id", parsed.device_id, "device")):
        in_payload = getattr(message, field, None)
        if in_payload is not None and in_payload != in_topic:
            raise ProtocolError(
                Reason.TOPIC_MISMATCH,
                f"payload {field} {in_payload!r} != topic {noun} {in_topic!r}",
                field=field,
            )
