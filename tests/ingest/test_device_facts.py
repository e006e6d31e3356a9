"""The domain half of ingest against real SQLite and PostgreSQL: store, dedupe, derive."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.aeds.refresh import AedContext
from app.alerts.policy import AlertPolicy
from app.config import ReadinessPolicy
from app.devices import BatchOutcome, FactsConfig, RawMessage, apply_batch
from app.extensions import get_settings
from app.models import (
    Alert,
    Asset,
    DeadLetter,
    Device,
    DeviceEvent,
    DeviceState,
    Gateway,
    Heartbeat,
    QuarantinedMessage,
    Telemetry,
)
from device_agent.events import derive_events
from device_agent.protocol import EVENT_READINGS, POWER, EventKind, Thresholds
from tests.ingest.factory import NOW, event, heartbeat, register, state, telemetry

Apply = Callable[..., BatchOutcome]


@pytest.fixture
def apply(app: Flask, db: Session) -> Apply:
    settings = get_settings(app)
    cfg = FactsConfig(aeds=AedContext.of(settings, AlertPolicy()))

    def run(*messages: tuple[str, bytes], now=NOW, received_at=None, size=-1) -> BatchOutcome:
        raws = [RawMessage(t, p, received_at or now, size) for t, p in messages]
        out = apply_batch(db, raws, now, cfg)
        db.commit()
        assert out.total == len(raws), "every message has exactly one outcome"
        return out

    return run


def count(db: Session, model: type, **where: object) -> int:
    q = select(func.count()).select_from(model)
    for key, value in where.items():
        q = q.where(getattr(model, key) == value)
    return int(db.scalar(q) or 0)


def device_state(db: Session, gw: str = "gw-t1", dev: str = "dev-1") -> DeviceState:
    db.expire_all()
    device = db.scalars(select(Device).where(Device.gateway_id == gw, Device.device_id == dev)).one()
    return db.get_one(DeviceState, device.id)


def test_telemetry_is_stored_and_drives_state_and_readiness(db: Session, apply: Apply) -> None:
    assets = register(db)
    out = apply(telemetry(seq=1, battery_pct=95, self_test="pass", temp_c=21.5, door="closed",
                          aed_present=True, pad_expiry="2028-01-01"))
    assert (out.stored, out.duplicates) == (1, 0)
    row = db.scalars(select(Telemetry)).one()
    assert row.readings["battery_pct"] == 95 and row.readings["pad_expiry"] == "2028-01-01"
    assert row.ts == NOW and row.received_at == NOW and row.ts_suspect is False
    st = device_state(db)
    assert (st.battery_pct, st.self_test, st.temp_c, st.door, st.aed_present) == (
        95, "pass", 21.5, "closed", True)
    db.refresh(assets["dev-1"])
    assert assets["dev-1"].status == "ready"
    assert db.get_one(Gateway, "gw-t1").last_seen_at == NOW


def test_duplicates_are_stored_once_within_and_across_batches(db: Session, apply: Apply) -> None:
    register(db)
    first = apply(telemetry(seq=1, temp_c=20.0), telemetry(seq=1, temp_c=20.0),
                  telemetry(seq=2, temp_c=21.0))
    again = apply(telemetry(seq=1, temp_c=20.0), telemetry(seq=2, temp_c=21.0),
                  event("door_opened", seq=3), event("door_opened", seq=3))
    third = apply(event("door_opened", seq=3), heartbeat(seq=4), heartbeat(seq=4))
    assert (first.stored, first.duplicates) == (2, 1)
    assert (again.stored, again.duplicates) == (1, 3)
    assert (third.stored, third.duplicates) == (1, 2)
    assert count(db, Telemetry) == 2 and count(db, DeviceEvent) == 1 and count(db, Heartbeat) == 1


def test_a_redelivered_reading_keeps_the_rest_of_its_batch(db: Session, apply: Apply) -> None:
    # On PostgreSQL telemetry goes in by COPY, which a stored row makes fail as a whole;
    # the batch's other writes must survive that and the new reading be stored.
    register(db)
    apply(telemetry(seq=1, temp_c=20.0))
    out = apply(("aed/v1/gw/gw-t1/dev/dev-1/telemetry", b"not json"),
                telemetry(gw="gw-stranger", seq=1, temp_c=20.0),
                event("door_opened", seq=2),
                telemetry(seq=1, temp_c=20.0),
                telemetry(seq=3, temp_c=23.0))
    assert (out.dead_lettered, out.quarantined, out.stored, out.duplicates) == (1, 1, 2, 1)
    assert count(db, DeadLetter) == 1 and count(db, QuarantinedMessage) == 1
    assert count(db, DeviceEvent) == 1
    assert sorted(db.scalars(select(Telemetry.seq))) == [1, 3]
    assert device_state(db).temp_c == 23.0


def test_latest_state_follows_session_and_seq_not_arrival(db: Session, apply: Apply) -> None:
    register(db)
    apply(telemetry(seq=5, temp_c=30.0, battery_pct=80))
    # Older message arrives later: its temperature is stale, but it is the only
    # message that knows the self-test, so that field is taken.
    apply(telemetry(seq=3, temp_c=10.0, self_test="fail"))
    st = device_state(db)
    assert (st.temp_c, st.battery_pct, st.self_test) == (30.0, 80, "fail")
    assert (st.last_session, st.last_seq) == (1, 5)
    # A new agent session outranks any seq of the previous one.
    apply(telemetry(seq=1, session=2, temp_c=12.0))
    assert device_state(db).temp_c == 12.0
    # In one batch, out of order: the highest (session, seq) wins.
    apply(telemetry(seq=9, session=2, temp_c=19.0), telemetry(seq=7, session=2, temp_c=99.0))
    assert device_state(db).temp_c == 19.0


def test_session_counter_reset_is_trusted_again_after_a_day(db: Session, apply: Apply) -> None:
    register(db)
    apply(telemetry(seq=1, session=40, temp_c=20.0))
    apply(telemetry(seq=2, session=1, temp_c=5.0, ts=NOW + timedelta(hours=1)))
    assert device_state(db).temp_c == 20.0
    later = NOW + timedelta(days=2)
    apply(telemetry(seq=3, session=1, temp_c=6.0, ts=later), now=later)
    assert device_state(db).temp_c == 6.0


def test_late_last_will_from_older_session_does_not_override_online(
    db: Session, apply: Apply
) -> None:
    register(db)
    apply(state("online", session=7, ts=NOW))
    out = apply(state("offline", session=6, ts=NOW + timedelta(minutes=1)))
    gw = db.get_one(Gateway, "gw-t1")
    db.refresh(gw)
    assert (gw.state, gw.state_session, out.superseded) == ("online", 7, 1)
    # The same session's will after its online does apply.
    apply(state("offline", session=7, ts=NOW + timedelta(minutes=2)))
    db.refresh(gw)
    assert gw.state == "offline"
    # A heartbeat of a newer run proves the gateway back although its "online" is late.
    apply(heartbeat(seq=1, session=8, ts=NOW + timedelta(minutes=3), outbox_depth=4))
    db.refresh(gw)
    assert (gw.state, gw.outbox_depth, gw.reported_config_version) == ("online", 4, 3)
    # Retained state redelivered on resubscribe: harmless.
    apply(state("online", session=7, ts=NOW))
    db.refresh(gw)
    assert gw.state == "online" and gw.state_session == 8


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("aed/v1/gw/gw-t1/dev/dev-1/telemetry", b"{not json", "bad_json"),
        ("aed/v1/gw/gw-t1/dev/dev-1/telemetry", b"[1, 2]", "not_an_object"),
        ("aed/v1/gw/gw-t1/dev/dev-1/telemetry", b"\xff\xfe", "bad_encoding"),
        ("aed/v1/gw/gw-t1/dev/dev-1/telemetry",
         b'{"v": 2, "msg_id": "1-1", "session": 1, "seq": 1, "ts": "2026-11-29T08:00:00Z", '
         b'"replay": false}', "unsupported_version"),
        ("aed/v1/gw/gw-t1/dev/dev-1/telemetry",
         b'{"v": 1, "session": 1, "seq": 1, "ts": "2026-11-29T08:00:00Z", "replay": false}',
         "missing_field"),
        ("aed/v1/gw/gw-t1/dev/dev-1/telemetry",
         b'{"v": 1, "msg_id": "1-1", "session": "1", "seq": 1, "ts": "2026-11-29T08:00:00Z", '
         b'"replay": false}', "invalid_value"),
        ("aed/v1/gw/gw-t1/dev/dev-1/telemetry",
         b'{"v": 1, "msg_id": "1-1", "session": 1, "seq": 1, "ts": "2026-11-29T08:00:00Z", '
         b'"replay": false, "battery_pct": 180}', "invalid_value"),
        ("aed/v1/gw/gw-t1/dev/dev-1/telemetry",
         b'{"v": 1, "msg_id": "1-1", "session": 1, "seq": 1, "ts": "2026-11-29T08:00:00Z", '
         b'"replay": false, "gateway_id": "gw-t2"}', "topic_mismatch"),
        ("aed/v1/gw/gw-t1/dev/dev-1/telemetry",
         json.dumps({"v": 1, "msg_id": "x" * 101, "session": 1, "seq": 1,
                     "ts": "2026-11-29T08:00:00Z", "replay": False}).encode(), "invalid_value"),
        ("aed/v1/gw/gw t1!/state", b"{}", "bad_topic"),
        ("aed/v1/gw/gw-t1/config", b'{"config_version": 1}', "wrong_direction"),
    ],
)
def test_protocol_violations_are_dead_lettered_with_reason(
    db: Session, apply: Apply, topic: str, payload: bytes, reason: str
) -> None:
    register(db)
    out = apply((topic, payload), telemetry(seq=50, temp_c=20.0))
    assert (out.dead_lettered, out.stored) == (1, 1)
    dead = db.scalars(select(DeadLetter)).one()
    assert (dead.reason, dead.topic, dead.payload, dead.size) == (
        reason, topic, payload, len(payload))
    assert dead.detail


def test_oversize_payload_is_kept_cut_with_its_original_size(db: Session, apply: Apply) -> None:
    register(db)
    topic, _ = telemetry(seq=1)
    head = b"x" * (16 * 1024 + 1)
    out = apply((topic, head), size=5_000_000)
    dead = db.scalars(select(DeadLetter)).one()
    assert out.dead_lettered == 1 and dead.reason == "too_large"
    assert dead.size == 5_000_000 and len(dead.payload) == 16 * 1024
    assert dead.gateway_id == "gw-t1"


def test_unregistered_gateway_and_device_are_quarantined_once_with_an_alert(
    db: Session, apply: Apply
) -> None:
    register(db)
    out = apply(telemetry(gw="gw-stranger", seq=1, temp_c=20.0),
                telemetry(gw="gw-t1", dev="dev-new", seq=2, temp_c=20.0),
                state("online", gw="gw-stranger"))
    assert out.quarantined == 3 and out.stored == 0
    again = apply(telemetry(gw="gw-stranger", seq=1, temp_c=20.0),
                  state("online", gw="gw-stranger"))
    assert (again.quarantined, again.duplicates) == (0, 2)
    rows = db.scalars(select(QuarantinedMessage).order_by(QuarantinedMessage.id)).all()
    assert [(q.gateway_id, q.device_id, q.reason, q.count) for q in rows] == [
        ("gw-stranger", "dev-1", "unregistered_gateway", 2),
        ("gw-t1", "dev-new", "unregistered_device", 1),
        ("gw-stranger", None, "unregistered_gateway", 2),
    ]
    assert rows[0].payload["temp_c"] == 20.0
    kinds = {(a.kind, a.subject_id) for a in db.scalars(select(Alert))}
    assert kinds == {("unregistered_device", "gw-stranger"), ("unregistered_device", "gw-t1")}
    assert count(db, Telemetry) == 0


def test_future_device_time_is_flagged_and_receipt_time_kept(db: Session, apply: Apply) -> None:
    register(db)
    future = NOW + timedelta(days=30)
    apply(telemetry(seq=1, ts=future, temp_c=20.0), event("tamper", seq=2, ts=future),
          telemetry(seq=3, ts=NOW + timedelta(minutes=1), temp_c=20.0))
    rows = db.scalars(select(Telemetry).order_by(Telemetry.seq)).all()
    assert [(r.ts_suspect, r.received_at) for r in rows] == [(True, NOW), (False, NOW)]
    assert db.scalars(select(DeviceEvent)).one().ts_suspect is True
    # A clock in the future does not make the device look alive in the future.
    dev = db.scalars(select(Device)).one()
    db.refresh(dev)
    assert dev.last_seen_at == NOW


def test_events_open_alerts_once_even_when_redelivered(db: Session, apply: Apply) -> None:
    assets = register(db)
    apply(event("door_opened", seq=1))
    alert = db.scalars(select(Alert).where(Alert.kind == "cabinet_opened")).one()
    assert device_state(db).door == "open" and device_state(db).door_opened_at == NOW
    alert.status, alert.resolved_at = "resolved", NOW  # a coordinator closes it
    db.commit()
    apply(event("door_opened", seq=1))  # broker redelivery after the close
    assert count(db, Alert, kind="cabinet_opened") == 1
    apply(event("aed_removed", seq=2))
    db.refresh(assets["dev-1"])
    assert assets["dev-1"].status == "in_use" and count(db, Alert, kind="aed_in_use") == 1
    apply(event("door_closed", seq=3))
    assert device_state(db).door_opened_at is None


@pytest.mark.parametrize("kind", sorted(EVENT_READINGS))
def test_an_event_the_agent_raises_is_stored_as_the_reading_it_came_from(
    db: Session, apply: Apply, kind: EventKind
) -> None:
    reading, value = EVENT_READINGS[kind]
    other = next(v for r, v in EVENT_READINGS.values() if r == reading and v != value)
    # The agent's side: the reading moving to `value` raises exactly this event.
    assert derive_events({reading: other}, {reading: value}) == [kind]
    register(db)
    if reading == POWER:
        # Telemetry v1 carries no power reading: the event is kept, the state stays as it is.
        apply(telemetry(seq=1, temp_c=20.0), event(kind.value, seq=2))
        assert count(db, DeviceEvent, kind=kind.value) == 1 and device_state(db).temp_c == 20.0
        return
    apply(telemetry(seq=1, **{reading: other}))
    apply(event(kind.value, seq=2))
    assert getattr(device_state(db), reading) == value


def test_server_and_agent_draw_the_threshold_lines_at_the_same_places(app: Flask) -> None:
    policy = get_settings(app).readiness
    agent = Thresholds(temp_min_c=policy.temp_min_c, temp_max_c=policy.temp_max_c,
                       battery_low_pct=policy.battery_low_pct)
    assert Thresholds() == Thresholds(temp_min_c=ReadinessPolicy().temp_min_c,
                                      temp_max_c=ReadinessPolicy().temp_max_c,
                                      battery_low_pct=ReadinessPolicy().battery_low_pct)
    for temp in (None, agent.temp_min_c - 0.1, agent.temp_min_c, agent.temp_max_c,
                 agent.temp_max_c + 0.1):
        assert policy.temp_out_of_range(temp) == agent.temp_out_of_range(temp)
    for pct in (None, 0, agent.battery_low_pct - 1, agent.battery_low_pct, 100):
        assert policy.battery_low(pct) == agent.battery_low(pct)


def test_sensor_alerts_open_and_resolve_through_the_alert_service(
    db: Session, apply: Apply
) -> None:
    assets = register(db)
    apply(telemetry(seq=1, self_test="fail", temp_c=20.0))
    db.refresh(assets["dev-1"])
    assert assets["dev-1"].status == "not_ready"
    assert count(db, Alert, kind="self_test_failed", status="open") == 1
    apply(telemetry(seq=2, self_test="pass", temp_c=20.5))
    db.refresh(assets["dev-1"])
    assert assets["dev-1"].status == "ready"
    assert count(db, Alert, kind="self_test_failed", status="resolved") == 1


def test_many_devices_in_one_batch(db: Session, apply: Apply) -> None:
    register(db, "gw-a", ("d1", "d2", "d3"))
    register(db, "gw-b", ("d1",))
    msgs = [telemetry(gw=gw, dev=dev, seq=n, temp_c=20.0 + n / 10)
            for n, (gw, dev) in enumerate(
                [("gw-a", "d1"), ("gw-a", "d2"), ("gw-a", "d3"), ("gw-b", "d1")] * 25)]
    out = apply(*msgs)
    assert out.stored == 100
    assert device_state(db, "gw-b", "d1").temp_c == 20.0 + 99 / 10
    assert {a.status for a in db.scalars(select(Asset))} == {"ready"}


def test_bulk_state_writes_keep_every_field_and_alert_only_what_changed(
    db: Session, apply: Apply
) -> None:
    """Device state is written with one bulk UPDATE per batch: a device whose readings
    stay in the same condition keeps its other fields and gets no alert work, while a
    device in the same batch that crosses a threshold gets its alert and status."""
    assets = register(db, "gw-a", ("d1", "d2"))
    apply(telemetry(gw="gw-a", dev="d1", seq=1, temp_c=20.0, battery_pct=90, self_test="pass",
                    pad_expiry="2028-01-01"),
          telemetry(gw="gw-a", dev="d2", seq=2, temp_c=20.0, battery_pct=90, self_test="pass"))
    later = NOW + timedelta(minutes=5)
    # msg_id is per gateway, so the devices of one gateway share its seq counter.
    out = apply(telemetry(gw="gw-a", dev="d1", seq=3, temp_c=21.0, ts=later),
                telemetry(gw="gw-a", dev="d2", seq=4, temp_c=80.0, ts=later),
                telemetry(gw="gw-a", dev="d1", seq=5, temp_c=22.5, ts=later), now=later)
    assert out.stored == 3
    d1, d2 = device_state(db, "gw-a", "d1"), device_state(db, "gw-a", "d2")
    assert (d1.temp_c, d1.battery_pct, d1.self_test, str(d1.pad_expiry)) == (
        22.5, 90, "pass", "2028-01-01")
    assert (d1.last_seq, d1.updated_at) == (5, later)
    assert d1.field_marks is not None and d1.field_marks["temp_c"][:2] == [1, 5]
    assert d1.field_marks["battery_pct"][:2] == [1, 1]
    assert (d2.temp_c, d2.battery_pct) == (80.0, 90)
    alerts = db.scalars(select(Alert).where(Alert.status == "open")).all()
    assert [(a.kind, a.asset_id) for a in alerts] == [
        ("temperature_out_of_range", assets["d2"].id)]
    db.refresh(assets["d1"])
    db.refresh(assets["d2"])
    assert (assets["d1"].status, assets["d2"].status) == ("ready", "not_ready")


def test_last_seen_moves_forward_only(db: Session, apply: Apply) -> None:
    register(db)
    later = NOW + timedelta(minutes=3)
    apply(telemetry(seq=2, temp_c=20.0, ts=later), now=later, received_at=later)
    # An older message (an outbox replay) arrives afterwards: it proves nothing newer.
    apply(telemetry(seq=1, temp_c=19.0, ts=NOW), now=later, received_at=later)
    db.expire_all()
    device = db.scalars(select(Device).where(Device.device_id == "dev-1")).one()
    assert device.last_seen_at == later
    assert db.get_one(Gateway, "gw-t1").last_seen_at == later
    assert device_state(db).temp_c == 20.0


def test_a_silent_asset_is_refreshed_by_a_reading_in_the_same_condition(
    db: Session, apply: Apply
) -> None:
    assets = register(db)
    apply(telemetry(seq=1, temp_c=20.0, battery_pct=90, self_test="pass"))
    asset = assets["dev-1"]
    db.refresh(asset)
    assert asset.status == "ready"
    asset.status = "unknown"  # what the liveness job sets for a silent device
    db.commit()
    later = NOW + timedelta(minutes=1)
    out = apply(telemetry(seq=2, temp_c=20.5, ts=later), now=later, received_at=later)
    assert out.assets_refreshed == 1
    db.refresh(asset)
    assert asset.status == "ready"
