"""Payload models of protocol v1 (pydantic 2).

Strict types where JSON could smuggle a wrong type through lax coercion (a string
"5" for a counter, 1 for a bool); unknown fields are ignored for forward compatibility.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from device_agent.protocol.thresholds import (
    DEFAULT_BATTERY_LOW_PCT,
    DEFAULT_TEMP_MAX_C,
    DEFAULT_TEMP_MIN_C,
    battery_low,
    temp_out_of_range,
)
from device_agent.protocol.topics import ID_PATTERN

PROTOCOL_VERSION = 1
MAX_PAYLOAD_BYTES = 16 * 1024
# Ranges in one ack message: at 3 numbers of up to 10 digits each, 500 stay well within
# the payload limit; a server with more to say sends them in several messages.
MAX_ACK_RANGES = 500
TEMP_MIN_C = -60.0
TEMP_MAX_C = 120.0


def _require_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() != timedelta(0):
        raise ValueError("timestamp must be RFC 3339 in UTC (suffix Z or +00:00)")
    return value.astimezone(UTC)


Id = Annotated[str, Field(pattern=ID_PATTERN, strict=True)]
UtcTimestamp = Annotated[datetime, Field(strict=True), AfterValidator(_require_utc)]
Count = Annotated[int, Field(strict=True, ge=0)]
IsoDate = Annotated[date, Field(strict=True)]
StrictBoolean = Annotated[bool, Field(strict=True)]


class SelfTest(StrEnum):
    PASS = "pass"  # noqa: S105 - a self-test result, not a secret
    FAIL = "fail"
    UNKNOWN = "unknown"


class Door(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class EventKind(StrEnum):
    DOOR_OPENED = "door_opened"
    DOOR_CLOSED = "door_closed"
    AED_REMOVED = "aed_removed"
    AED_RETURNED = "aed_returned"
    SELF_TEST_FAILED = "self_test_failed"
    SELF_TEST_PASSED = "self_test_passed"
    POWER_LOST = "power_lost"
    POWER_RESTORED = "power_restored"
    TAMPER = "tamper"


class GatewayState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    STOPPED = "stopped"


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, use_enum_values=False)

    # Optional, never required: when present it must agree with the topic.
    gateway_id: Id | None = None


class Envelope(_Payload):
    """Fields on every agent message except `state`."""

    v: Literal[1]
    msg_id: Annotated[str, Field(strict=True, min_length=1, max_length=128)]
    session: Count
    seq: Count
    ts: UtcTimestamp
    replay: StrictBoolean


class Readings(BaseModel):
    """What a device knows about itself; every reading is optional."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    battery_pct: Annotated[int, Field(strict=True, ge=0, le=100)] | None = None
    battery_expiry: IsoDate | None = None
    pad_expiry: IsoDate | None = None
    self_test: SelfTest | None = None
    temp_c: Annotated[float, Field(ge=TEMP_MIN_C, le=TEMP_MAX_C, allow_inf_nan=False)] | None = None
    door: Door | None = None
    aed_present: StrictBoolean | None = None


READING_FIELDS: tuple[str, ...] = tuple(Readings.model_fields)


class Telemetry(Readings, Envelope):
    device_id: Id | None = None


class Event(Envelope):
    device_id: Id | None = None
    kind: EventKind
    detail: Annotated[str, Field(max_length=1024)] | None = None


class Heartbeat(Envelope):
    uptime_s: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    outbox_depth: Count
    config_version: Count
    # Additions allowed by the "extra fields" rule; servers that ignore them lose nothing.
    evicted: Count = 0
    config_error: Annotated[str, Field(max_length=1024)] | None = None


class StateMessage(_Payload):
    state: GatewayState
    session: Count
    ts: UtcTimestamp
    agent_version: Annotated[str, Field(max_length=64)]


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    temp_min_c: Annotated[
        float, Field(ge=TEMP_MIN_C, le=TEMP_MAX_C, description="report at once below this")
    ] = DEFAULT_TEMP_MIN_C
    temp_max_c: Annotated[
        float, Field(ge=TEMP_MIN_C, le=TEMP_MAX_C, description="report at once above this")
    ] = DEFAULT_TEMP_MAX_C
    battery_low_pct: Annotated[
        int, Field(strict=True, ge=0, le=100, description="report at once when crossed")
    ] = DEFAULT_BATTERY_LOW_PCT

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.temp_min_c >= self.temp_max_c:
            raise ValueError("temp_min_c must be below temp_max_c")
        return self

    def temp_out_of_range(self, temp_c: float | None) -> bool:
        return temp_out_of_range(temp_c, self.temp_min_c, self.temp_max_c)

    def battery_low(self, battery_pct: int | None) -> bool:
        return battery_low(battery_pct, self.battery_low_pct)


class DeviceSettings(BaseModel):
    """Per-device facts the server knows better than the gateway (from inspections)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    pad_expiry: IsoDate | None = None
    battery_expiry: IsoDate | None = None


class ConfigMessage(_Payload):
    """Desired gateway configuration, retained by the broker on the `config` topic."""

    config_version: Annotated[int, Field(strict=True, ge=1)]
    report_interval_s: Annotated[float, Field(ge=1, le=86400)] | None = None
    heartbeat_interval_s: Annotated[float, Field(ge=1, le=86400)] | None = None
    thresholds: Thresholds | None = None
    devices: dict[Id, DeviceSettings] = Field(default_factory=dict, max_length=256)
    ts: UtcTimestamp | None = None


def _ordered_range(value: tuple[int, int, int]) -> tuple[int, int, int]:
    if value[1] > value[2]:
        raise ValueError("first_seq must not exceed last_seq")
    return value


AckRange = Annotated[tuple[Count, Count, Count], AfterValidator(_ordered_range)]


class AckMessage(_Payload):
    """Server -> agent on `gw/{gw}/ack` (an addition to v1): every message of this
    gateway whose `(session, seq)` lies in one of `ranges` (`[session, first_seq,
    last_seq]`, both ends included) is stored. Ranges may overlap earlier ones: several
    ingest workers store one gateway's messages and each acks its own."""

    v: Literal[1]
    ranges: Annotated[list[AckRange], Field(min_length=1, max_length=MAX_ACK_RANGES)]
    ts: UtcTimestamp


AgentMessage = Telemetry | Event | Heartbeat | StateMessage
AnyMessage = AgentMessage | ConfigMessage | AckMessage


def utc_now() -> datetime:
    return datetime.now(UTC)
