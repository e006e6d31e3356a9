"""Payload validation and the single typed error of protocol v1."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from device_agent.protocol import (
    MAX_PAYLOAD_BYTES,
    ConfigMessage,
    Event,
    EventKind,
    Heartbeat,
    ProtocolError,
    Reason,
    StateMessage,
    Telemetry,
    TopicKind,
    decode,
    encode,
)

TS = datetime(2026, 11, 29, 10, 0, 0, tzinfo=UTC)
TEL = "aed/v1/gw/gw-yp-001/dev/aed-01/telemetry"
EVT = "aed/v1/gw/gw-yp-001/dev/aed-01/event"
HB = "aed/v1/gw/gw-yp-001/heartbeat"
STATE = "aed/v1/gw/gw-yp-001/state"
CFG = "aed/v1/gw/gw-yp-001/config"


def envelope(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "v": 1,
        "msg_id": "3-17",
        "session": 3,
        "seq": 17,
        "ts": "2026-11-29T10:00:00Z",
        "replay": False,
    }
    base.update(extra)
    return base


def raw(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def reason_of(topic: str, payload: bytes) -> Reason:
    with pytest.raises(ProtocolError) as info:
        decode(topic, payload)
    return info.value.reason


def test_every_model_round_trips() -> None:
    samples = [
        (
            TEL,
            Telemetry(
                v=1,
                msg_id="1-1",
                session=1,
                seq=1,
                ts=TS,
                replay=False,
                battery_pct=87,
                pad_expiry=date(2027, 5, 1),
                self_test="pass",
                temp_c=21.5,
                door="closed",
                aed_present=True,
            ),
        ),
        (
            EVT,
            Event(
                v=1,
                msg_id="1-2",
                session=1,
                seq=2,
                ts=TS,
                replay=True,
                kind=EventKind.DOOR_OPENED,
                detail="reed switch",
            ),
        ),
        (
            HB,
            Heartbeat(
                v=1,
                msg_id="1-3",
                session=1,
                seq=3,
                ts=TS,
                replay=False,
                uptime_s=12.5,
                outbox_depth=0,
                config_version=4,
            ),
        ),
        (STATE, StateMessage(state="online", session=1, ts=TS, agent_version="0.1.0")),
        (CFG, ConfigMessage(config_version=2, report_interval_s=30)),
    ]
    for topic, message in samples:
        parsed, decoded = decode(topic, encode(message))
        assert decoded == message
        assert parsed.gateway_id == "gw-yp-001"


def test_kind_of_topic_selects_the_model() -> None:
    parsed, message = decode(TEL, raw(envelope(temp_c=4.0)))
    assert parsed.kind is TopicKind.TELEMETRY and parsed.device_id == "aed-01"
    assert isinstance(message, Telemetry) and message.temp_c == 4.0


def test_encoded_timestamps_are_utc_with_z() -> None:
    payload = encode(
        Heartbeat(
            v=1,
            msg_id="a",
            session=0,
            seq=0,
            ts=TS,
            replay=False,
            uptime_s=0,
            outbox_depth=0,
            config_version=0,
        )
    )
    assert json.loads(payload)["ts"] == "2026-11-29T10:00:00Z"


def test_unknown_fields_are_ignored() -> None:
    _, message = decode(TEL, raw(envelope(battery_pct=50, future_field={"x": 1})))
    assert isinstance(message, Telemetry) and message.battery_pct == 50


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", Reason.BAD_JSON),
        (b"\xff\xfe", Reason.BAD_ENCODING),
        (b"[1, 2]", Reason.NOT_AN_OBJECT),
        (raw(envelope(v=2)), Reason.UNSUPPORTED_VERSION),
        (raw({k: v for k, v in envelope().items() if k != "msg_id"}), Reason.MISSING_FIELD),
        (raw({k: v for k, v in envelope().items() if k != "v"}), Reason.MISSING_FIELD),
        (raw({k: v for k, v in envelope().items() if k != "replay"}), Reason.MISSING_FIELD),
        (raw(envelope(session=-1)), Reason.INVALID_VALUE),
        (raw(envelope(seq="5")), Reason.INVALID_VALUE),
        (raw(envelope(replay=1)), Reason.INVALID_VALUE),
        (raw(envelope(ts="2026-11-29T10:00:00")), Reason.INVALID_VALUE),
        (raw(envelope(ts="2026-11-29T18:00:00+08:00")), Reason.INVALID_VALUE),
        (raw(envelope(ts=1764410400)), Reason.INVALID_VALUE),
        (raw(envelope(battery_pct=101)), Reason.INVALID_VALUE),
        (raw(envelope(battery_pct=-1)), Reason.INVALID_VALUE),
        (raw(envelope(pad_expiry="next year")), Reason.INVALID_VALUE),
        (raw(envelope(self_test="maybe")), Reason.INVALID_VALUE),
        (raw(envelope(temp_c=121)), Reason.INVALID_VALUE),
        (raw(envelope(temp_c=-61)), Reason.INVALID_VALUE),
        (raw(envelope(door="ajar")), Reason.INVALID_VALUE),
        (raw(envelope(aed_present="yes")), Reason.INVALID_VALUE),
        (
            b'{"v":1,"msg_id":"a","session":1,"seq":1,"ts":"2026-11-29T10:00:00Z",'
            b'"replay":false,"temp_c":NaN}',
            Reason.INVALID_VALUE,
        ),
    ],
)
def test_telemetry_rejections(payload: bytes, reason: Reason) -> None:
    assert reason_of(TEL, payload) is reason


def test_error_carries_field_and_message() -> None:
    with pytest.raises(ProtocolError) as info:
        decode(TEL, raw(envelope(battery_pct=150)))
    assert info.value.field == "battery_pct"
    assert "battery_pct" in info.value.message
    assert info.value.as_dict()["reason"] == "invalid_value"


def test_event_kinds_are_closed() -> None:
    assert reason_of(EVT, raw(envelope(kind="exploded"))) is Reason.INVALID_VALUE
    assert reason_of(EVT, raw(envelope())) is Reason.MISSING_FIELD
    for kind in EventKind:
        _, message = decode(EVT, raw(envelope(kind=kind.value)))
        assert isinstance(message, Event) and message.kind is kind


def test_payload_size_limit() -> None:
    big = raw(envelope(kind="tamper", padding="x" * MAX_PAYLOAD_BYTES))
    assert reason_of(EVT, big) is Reason.TOO_LARGE
    with pytest.raises(ProtocolError) as info:
        encode(
            Event(
                v=1,
                msg_id="a",
                session=1,
                seq=1,
                ts=TS,
                replay=False,
                kind=EventKind.TAMPER,
                detail="x" * 1024,
                gateway_id="g" * 64,
            ).model_copy(update={"detail": "x" * 20000})
        )
    assert info.value.reason is Reason.TOO_LARGE


def test_topic_contradicted_by_payload() -> None:
    assert reason_of(TEL, raw(envelope(gateway_id="gw-other"))) is Reason.TOPIC_MISMATCH
    assert reason_of(TEL, raw(envelope(device_id="aed-99"))) is Reason.TOPIC_MISMATCH
    _, ok = decode(TEL, raw(envelope(gateway_id="gw-yp-001", device_id="aed-01")))
    assert isinstance(ok, Telemetry)


def test_state_message() -> None:
    good = {
        "state": "offline",
        "session": 4,
        "ts": "2026-11-29T10:00:00Z",
        "agent_version": "0.1.0",
    }
    _, message = decode(STATE, raw(good))
    assert isinstance(message, StateMessage) and message.state == "offline"
    assert reason_of(STATE, raw({**good, "state": "sleeping"})) is Reason.INVALID_VALUE


def test_heartbeat_requires_counters() -> None:
    assert reason_of(HB, raw(envelope(uptime_s=1, outbox_depth=0))) is Reason.MISSING_FIELD
    _, message = decode(
        HB,
        raw(envelope(uptime_s=1, outbox_depth=3, config_version=2, evicted=5, config_error="bad")),
    )
    assert isinstance(message, Heartbeat)
    assert (message.evicted, message.config_error) == (5, "bad")


def test_config_validation() -> None:
    good = {
        "config_version": 3,
        "report_interval_s": 30,
        "thresholds": {"temp_min_c": 5, "temp_max_c": 45, "battery_low_pct": 25},
        "devices": {"aed-01": {"pad_expiry": "2027-05-01"}},
    }
    _, message = decode(CFG, raw(good))
    assert isinstance(message, ConfigMessage)
    assert message.devices["aed-01"].pad_expiry == date(2027, 5, 1)
    bad_cases = [
        {**good, "config_version": 0},
        {**good, "report_interval_s": 0},
        {**good, "thresholds": {"temp_min_c": 50, "temp_max_c": 10}},
        {**good, "devices": {"bad id!": {}}},
    ]
    for bad in bad_cases:
        assert reason_of(CFG, raw(bad)) is Reason.INVALID_VALUE, bad
