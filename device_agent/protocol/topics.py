"""Topic names of protocol v1: builders for publishers, a parser for consumers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from device_agent.protocol.errors import ProtocolError, Reason

DEFAULT_ROOT = "aed/v1"
# For pydantic's Field(pattern=...), whose (Rust) `$` is the end of the text. Python's `$`
# also matches before a final newline ("gw-1\n"): Python code uses is_valid_id (fullmatch).
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


class TopicKind(StrEnum):
    STATE = "state"
    HEARTBEAT = "heartbeat"
    CONFIG = "config"
    TELEMETRY = "telemetry"
    EVENT = "event"
    ACK = "ack"


GATEWAY_KINDS = frozenset({TopicKind.STATE, TopicKind.HEARTBEAT, TopicKind.CONFIG,
                           TopicKind.ACK})
DEVICE_KINDS = frozenset({TopicKind.TELEMETRY, TopicKind.EVENT})
# Topics an agent publishes; CONFIG and ACK travel the other way.
AGENT_TO_SERVER = frozenset(
    {TopicKind.STATE, TopicKind.HEARTBEAT, TopicKind.TELEMETRY, TopicKind.EVENT}
)


@dataclass(frozen=True, slots=True)
class ParsedTopic:
    kind: TopicKind
    gateway_id: str
    device_id: str | None = None


def is_valid_id(value: str) -> bool:
    """The whole of `value` is an id of the contract: ``[A-Za-z0-9_-]{1,64}``."""
    return isinstance(value, str) and _ID_RE.fullmatch(value) is not None


def _check_id(value: str, what: str) -> str:
    if not is_valid_id(value):
        raise ProtocolError(Reason.BAD_TOPIC, f"invalid {what} id {value!r}")
    return value


def _check_root(root: str) -> str:
    if not root or root.startswith("/") or root.endswith("/") or any(c in root for c in "+#"):
        raise ValueError(f"invalid topic root {root!r}")
    return root


def gateway_topic(gateway_id: str, kind: TopicKind, root: str = DEFAULT_ROOT) -> str:
    if kind not in GATEWAY_KINDS:
        raise ValueError(f"{kind} is a device topic; use device_topic()")
    return f"{_check_root(root)}/gw/{_check_id(gateway_id, 'gateway')}/{kind.value}"


def device_topic(gateway_id: str, device_id: str, kind: TopicKind, root: str = DEFAULT_ROOT) -> str:
    if kind not in DEVICE_KINDS:
        raise ValueError(f"{kind} is a gateway topic; use gateway_topic()")
    return (
        f"{_check_root(root)}/gw/{_check_id(gateway_id, 'gateway')}"
        f"/dev/{_check_id(device_id, 'device')}/{kind.value}"
    )


def state_topic(gateway_id: str, root: str = DEFAULT_ROOT) -> str:
    return gateway_topic(gateway_id, TopicKind.STATE, root)


def heartbeat_topic(gateway_id: str, root: str = DEFAULT_ROOT) -> str:
    return gateway_topic(gateway_id, TopicKind.HEARTBEAT, root)


def config_topic(gateway_id: str, root: str = DEFAULT_ROOT) -> str:
    return gateway_topic(gateway_id, TopicKind.CONFIG, root)


def ack_topic(gateway_id: str, root: str = DEFAULT_ROOT) -> str:
    return gateway_topic(gateway_id, TopicKind.ACK, root)


def telemetry_topic(gateway_id: str, device_id: str, root: str = DEFAULT_ROOT) -> str:
    return device_topic(gateway_id, device_id, TopicKind.TELEMETRY, root)


def event_topic(gateway_id: str, device_id: str, root: str = DEFAULT_ROOT) -> str:
    return device_topic(gateway_id, device_id, TopicKind.EVENT, root)


def server_subscriptions(root: str = DEFAULT_ROOT) -> list[str]:
    """Filters that receive everything agents publish (and nothing the server sends)."""
    r = _check_root(root)
    return [
        f"{r}/gw/+/state",
        f"{r}/gw/+/heartbeat",
        f"{r}/gw/+/dev/+/telemetry",
        f"{r}/gw/+/dev/+/event",
    ]


def parse_topic(topic: str, root: str = DEFAULT_ROOT) -> ParsedTopic:
    """Split a concrete topic into kind, gateway and device; raise ProtocolError if foreign."""
    prefix = _check_root(root) + "/"
    if not topic.startswith(prefix):
        raise ProtocolError(Reason.BAD_TOPIC, f"topic {topic!r} is not under {root!r}")
    parts = topic[len(prefix) :].split("/")
    if len(parts) == 3 and parts[0] == "gw":
        kind = _kind(parts[2], topic)
        if kind not in GATEWAY_KINDS:
            raise ProtocolError(Reason.BAD_TOPIC, f"{kind.value} needs a device in {topic!r}")
        return ParsedTopic(kind, _check_id(parts[1], "gateway"))
    if len(parts) == 5 and parts[0] == "gw" and parts[2] == "dev":
        kind = _kind(parts[4], topic)
        if kind not in DEVICE_KINDS:
            raise ProtocolError(Reason.BAD_TOPIC, f"{kind.value} is not a device topic: {topic!r}")
        return ParsedTopic(kind, _check_id(parts[1], "gateway"), _check_id(parts[3], "device"))
    raise ProtocolError(Reason.BAD_TOPIC, f"unknown topic shape {topic!r}")


def _kind(value: str, topic: str) -> TopicKind:
    try:
        return TopicKind(value)
    except ValueError:
        raise ProtocolError(Reason.BAD_TOPIC, f"unknown message kind in {topic!r}") from None
