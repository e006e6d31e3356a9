"""Turn a batch of messages from gateways into stored facts, state, readiness and alerts.

This is the domain half of ingest, with no MQTT client in it: callers hand in topics and
payload bytes (from a broker, a test or a web upload) and one database session; one call
is one transaction's worth of work. The rules:

- Every message ends in exactly one outcome: stored, duplicate (its `(gateway, msg_id)`
  is already stored), superseded (a gateway state older than the one on record),
  dead-lettered (breaks protocol v1, kept with the reason) or quarantined (well-formed,
  but the gateway or device is not registered).
- Latest device state is decided per field by `(session, seq)`, never by arrival order.
- Readiness and alerts go through the shared services (asset_status, asset_alerts).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.aeds.status import refresh_statuses
from app.alerts.device_rules import evaluate_sensor_alerts, on_device_event
from app.alerts.lifecycle import AlertSpec, Subject, raise_alert, resolve_condition
from app.config import ReadinessPolicy
from app.models import (
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
from device_agent.protocol import (
    AGENT_TO_SERVER,
    DEFAULT_ROOT,
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
from device_agent.protocol import Event as EventMsg
from device_agent.protocol import Heartbeat as HeartbeatMsg
from device_agent.protocol import StateMessage as StateMsg
from device_agent.protocol import Telemetry as TelemetryMsg
from device_agent.protocol.codec import decode_payload

# A device whose session counter went backwards (storage wiped) is trusted again once its
# clock is this far past the last mark; within a session, seq alone orders messages.
SESSION_RESET_GRACE = timedelta(days=1)
DETAIL_LIMIT = 1000
LAST_SEEN_RESOLUTION = timedelta(seconds=1)
# The protocol allows msg_id up to 128 characters; the store keeps 100 (dead-letter longer).
MSG_ID_LIMIT = 100
# Event kinds that state a reading: (field, value).
EVENT_READINGS: dict[str, tuple[str, Any]] = {
    "door_opened": ("door", "open"),
    "door_closed": ("door", "closed"),
    "aed_removed": ("aed_present", False),
    "aed_returned": ("aed_present", True),
    "self_test_failed": ("self_test", "fail"),
    "self_test_passed": ("self_test", "pass"),
}


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


# Alert-relevant facts of one device state (None: no state yet); see _conditions.
_Conditions = tuple[Any, ...] | None


@dataclass(slots=True)
class _GatewayRow:
    id: str
    revoked: bool
    last_seen_at: datetime | None


@dataclass(slots=True)
class _DeviceRow:
    id: int
    last_seen_at: datetime | None


@dataclass(frozen=True)
class FactsConfig:
    policy: ReadinessPolicy
    tz: ZoneInfo
    topic_root: str = DEFAULT_ROOT
    # Device clocks this far ahead of the server mark their messages ts_suspect.
    max_clock_skew: timedelta = timedelta(minutes=5)


@dataclass
class BatchOutcome:
    stored: int = 0
    duplicates: int = 0
    superseded: int = 0
    dead_lettered: int = 0
    quarantined: int = 0
    ts_suspect: int = 0
    assets_refreshed: int = 0
    dead_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return (self.stored + self.duplicates + self.superseded + self.dead_lettered
                + self.quarantined)


class _Accepted:
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
            self._json = _readings_json(self.readings())
        return self._json


@dataclass(frozen=True, slots=True)
class PreparedBatch:
    """The database-free half of a batch (decoding, validation, value conversion), done
    before the transaction so that locks are held only for the writes."""

    raws: Sequence[RawMessage]
    topic_root: str
    accepted: list[_Accepted]
    dead_rows: list[dict[str, Any]]


def prepare_batch(raws: Sequence[RawMessage], topic_root: str) -> PreparedBatch:
    accepted, dead_rows = _decode_all(raws, topic_root)
    for item in accepted:
        if item.kind is TopicKind.TELEMETRY:
            item.readings_json()
    return PreparedBatch(raws, topic_root, accepted, dead_rows)


def apply_batch(
    session: Session, raws: Sequence[RawMessage], now: datetime, cfg: FactsConfig,
    prepared: PreparedBatch | None = None,
) -> BatchOutcome:
    """Apply `raws` inside `session` (the caller commits). Never raises for bad input.

    `prepared` is `prepare_batch(raws, cfg.topic_root)` done ahead (it can be reused
    when the transaction is retried); without it the batch is decoded here.
    """
    out = BatchOutcome()
    if prepared is None or prepared.raws is not raws or prepared.topic_root != cfg.topic_root:
        prepared = prepare_batch(raws, cfg.topic_root)
    accepted, dead_rows = prepared.accepted, prepared.dead_rows
    _store_dead_letters(session, dead_rows, out)
    if not accepted:
        return out
    gw_ids = sorted({a.gateway_id for a in accepted})
    # Plain rows, not ORM objects: building 100 mapped objects per batch cost more than
    # storing the batch. Gateways are locked (FOR UPDATE) in id order, as before, so two
    # workers serialise their liveness writes; ORM rows are loaded only where a rule needs
    # one (gateway state, heartbeats, alerts).
    gateways: dict[str, _GatewayRow] = {
        row.id: _GatewayRow(row.id, row.revoked, row.last_seen_at)
        for row in session.execute(
            select(Gateway.id, Gateway.revoked, Gateway.last_seen_at)
            .where(Gateway.id.in_(gw_ids)).order_by(Gateway.id).with_for_update()
        )
    }
    devices: dict[tuple[str, str], _DeviceRow] = {
        (row.gateway_id, row.device_id): _DeviceRow(row.id, row.last_seen_at)
        for row in session.execute(
            select(Device.id, Device.gateway_id, Device.device_id, Device.last_seen_at)
            .where(Device.gateway_id.in_(list(gateways)))
        )
    }
    registered: list[_Accepted] = []
    strays: list[tuple[_Accepted, str]] = []
    for item in accepted:
        gateway = gateways.get(item.gateway_id)
        if gateway is None:
            strays.append((item, "unregistered_gateway"))
        elif gateway.revoked:
            strays.append((item, "revoked_gateway"))
        elif item.device_id is not None and (item.gateway_id, item.device_id) not in devices:
            strays.append((item, "unregistered_device"))
        else:
            registered.append(item)
    _quarantine(session, strays, gateways, now, out)
    # Reads inside the batch need not see its own pending writes; one flush at the end.
    with session.no_autoflush:
        _Applier(session, gateways, devices, now, cfg, out).apply(registered)
    return out


def _decode_all(
    raws: Iterable[RawMessage], root: str
) -> tuple[list[_Accepted], list[dict[str, Any]]]:
    accepted: list[_Accepted] = []
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
        accepted.append(_Accepted(raw, decoded))
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


def store_dead_letters(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(DeadLetter), rows)


def _store_dead_letters(session: Session, rows: list[dict[str, Any]], out: BatchOutcome) -> None:
    store_dead_letters(session, rows)
    out.dead_lettered += len(rows)
    for row in rows:
        out.dead_reasons[row["reason"]] = out.dead_reasons.get(row["reason"], 0) + 1


def _gateway_from_topic(topic: str) -> str | None:
    # Best effort, for filtering dead letters by gateway; only a well-formed id counts.
    parts = topic.split("/")
    for i, part in enumerate(parts[:-1]):
        if part == "gw" and is_valid_id(parts[i + 1]):
            return parts[i + 1]
    return None


def _dedupe_key(item: _Accepted) -> str:
    msg = item.decoded.message
    if isinstance(msg, StateMsg):
        # State has no msg_id; the retained copy comes back on every subscribe.
        return f"state:{msg.session}:{msg.state.value}:{msg.ts.isoformat()}"[:100]
    return str(getattr(msg, "msg_id", ""))[:100]


def _quarantine(
    session: Session,
    strays: list[tuple[_Accepted, str]],
    gateways: dict[str, _GatewayRow],
    now: datetime,
    out: BatchOutcome,
) -> None:
    if not strays:
        return
    keys = {(item.gateway_id, _dedupe_key(item)) for item, _ in strays}
    existing: dict[tuple[str, str | None], QuarantinedMessage] = {
        (q.gateway_id, q.msg_id): q
        for q in session.scalars(
            select(QuarantinedMessage).where(
                QuarantinedMessage.gateway_id.in_({gw for gw, _ in keys}),
                QuarantinedMessage.msg_id.in_({k for _, k in keys}),
            )
        )
    }
    alerted: set[str] = set()
    for item, reason in strays:
        key = (item.gateway_id, _dedupe_key(item))
        if key in existing:
            existing[key].count += 1
            out.duplicates += 1
            continue
        row = QuarantinedMessage(
            received_at=item.raw.received_at, topic=item.raw.topic[:500],
            gateway_id=item.gateway_id, device_id=item.device_id, msg_id=key[1],
            reason=reason, payload=json.loads(item.raw.payload), count=1,
        )
        session.add(row)
        existing[key] = row
        out.quarantined += 1
        if reason != "revoked_gateway" and item.gateway_id not in alerted:
            alerted.add(item.gateway_id)
            known = item.gateway_id in gateways
            _alert_unregistered(
                session, item, session.get(Gateway, item.gateway_id) if known else None, now
            )


def _alert_unregistered(
    session: Session, item: _Accepted, gateway: Gateway | None, now: datetime
) -> None:
    # An unknown gateway has no row an alert could point at; its id is the subject.
    subject = Subject.of_gateway(gateway) if gateway else Subject("gateway", item.gateway_id)
    where = item.gateway_id + (f"/{item.device_id}" if item.device_id else "")
    raise_alert(session, subject, AlertSpec(
        "unregistered_device",
        f"未登记的网关或设备 {where} 正在发送数据 · unregistered gateway/device {where}",
        detail={"gateway_id": item.gateway_id, "device_id": item.device_id,
                "topic": item.raw.topic},
    ), now)


def _mark_newer(mark: Sequence[Any] | None, session_no: int, seq: int, ts: datetime) -> bool:
    """Is a value from (session_no, seq, ts) newer than the one behind `mark`?"""
    if not mark:
        return True
    m_session = int(mark[0])
    if session_no == m_session:
        return seq > int(mark[1])
    if session_no > m_session:
        return True
    m_ts = mark[2] if isinstance(mark[2], datetime) else datetime.fromisoformat(mark[2])
    return bool(ts > m_ts + SESSION_RESET_GRACE)


def _observed_at(ts: datetime, received_at: datetime) -> datetime:
    """When a message proves its sender alive: its own time, never later than receipt."""
    return min(ts, received_at)


def _latest(current: datetime | None, candidate: datetime) -> datetime:
    # Liveness windows are minutes long: moving last_seen_at by less than a second is
    # not worth an UPDATE per device and batch at thousands of messages a second.
    if current is None or candidate - current >= LAST_SEEN_RESOLUTION:
        return candidate
    return current


def _readings_json(readings: dict[str, Any]) -> str:
    # Enum readings are str subclasses and encode as their value; dates need help.
    return _READINGS_ENCODER.encode(readings)


def _sqlite_time(value: datetime) -> str:
    # The text SQLAlchemy's SQLite DateTime stores; UTCDateTime keeps it naive UTC.
    # Payload times carry pydantic's own UTC tzinfo, not datetime.UTC: test the offset.
    offset = value.utcoffset()
    if offset is None or offset:
        value = value.astimezone(UTC)
    # "YYYY-MM-DD HH:MM:SS.ffffff" is the first 26 characters, before the "+00:00".
    return value.isoformat(" ", "microseconds")[:26]


def _json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


# What json.dumps(value, default=_json_value) gives, without a new encoder per call.
_READINGS_ENCODER = json.JSONEncoder(default=_json_value)


class _Applier:
    """Stores the registered messages of one batch and derives state from the new ones."""

    def __init__(
        self,
        session: Session,
        gateways: dict[str, _GatewayRow],
        devices: dict[tuple[str, str], _DeviceRow],
        now: datetime,
        cfg: FactsConfig,
        out: BatchOutcome,
    ) -> None:
        self.session = session
        self.gateways = gateways
        self.devices = devices
        self.now = now
        self.cfg = cfg
        self.out = out
        self.suspect_after = now + cfg.max_clock_skew

    def apply(self, items: list[_Accepted]) -> None:
        if not items:
            return
        telemetry: list[_Accepted] = []
        events: list[_Accepted] = []
        heartbeats: list[_Accepted] = []
        states: list[_Accepted] = []
        seen: set[tuple[TopicKind, str, str]] = set()
        for item in items:
            if item.kind is TopicKind.STATE:
                states.append(item)
                continue
            key = (item.kind, item.gateway_id, _dedupe_key(item))
            if key in seen:
                self.out.duplicates += 1
                continue
            seen.add(key)
            {TopicKind.TELEMETRY: telemetry, TopicKind.EVENT: events,
             TopicKind.HEARTBEAT: heartbeats}[item.kind].append(item)
        # Duplicated telemetry re-applied to state changes nothing (per-field marks), so it
        # is only counted; a duplicated event would re-trigger its alert, so events (and
        # the rarer heartbeats) learn exactly which rows were new.
        new_telemetry = self._insert_telemetry(telemetry)
        new_events = self._insert_new(DeviceEvent, events, self._event_row)
        new_heartbeats = self._insert_new(Heartbeat, heartbeats, self._heartbeat_row)
        self._apply_states(states)
        self._apply_heartbeats(new_heartbeats)
        self._note_gateway_sightings(items)
        touched = self._apply_device_facts(new_telemetry, new_events)
        self._derive(touched, new_events)

    def _gateway(self, gw_id: str) -> Gateway:
        """The mapped row, for rules that need one (already locked by apply_batch)."""
        gateway = self.session.get(Gateway, gw_id)
        assert gateway is not None  # registered: its row was read under lock
        return gateway

    def _loaded(self, model: type[Any], pk: Any) -> Any:
        """The mapped object if this session holds it (then writes go through it)."""
        return self.session.identity_map.get(self.session.identity_key(model, pk))

    def _note_gateway_sightings(self, items: list[_Accepted]) -> None:
        """Move `last_seen_at` of each gateway to its newest message: folded per gateway
        first, then one executemany UPDATE for the rows that moved."""
        sighted: dict[str, datetime] = {}
        for item in items:
            msg = item.decoded.message
            if isinstance(msg, TelemetryMsg | EventMsg | HeartbeatMsg):
                observed = _observed_at(msg.ts, item.raw.received_at)
                best = sighted.get(item.gateway_id)
                if best is None or observed > best:
                    sighted[item.gateway_id] = observed
        moved: list[dict[str, Any]] = []
        for gw_id, observed in sorted(sighted.items()):
            mapped = self._loaded(Gateway, gw_id)
            if mapped is not None:
                mapped.last_seen_at = _latest(mapped.last_seen_at, observed)
                continue
            row = self.gateways[gw_id]
            latest = _latest(row.last_seen_at, observed)
            if latest is not row.last_seen_at:
                row.last_seen_at = latest
                moved.append({"b_id": gw_id, "last_seen_at": latest})
        if moved:
            self.session.execute(_GATEWAY_SEEN_UPDATE, moved)

    # -- storing ---------------------------------------------------------------------

    def _insert_new(self, model: Any, items: list[_Accepted], to_row: Any) -> list[_Accepted]:
        """Insert, skipping `(gateway_id, msg_id)` already stored; return the new ones."""
        if not items:
            return []
        table = model.__table__
        dialect = self.session.get_bind().dialect.name
        insert = sqlite_insert if dialect == "sqlite" else pg_insert
        stmt = (
            insert(table)
            .on_conflict_do_nothing(index_elements=["gateway_id", "msg_id"])
            .returning(table.c.gateway_id, table.c.msg_id)
        )
        rows = [to_row(item) for item in items]
        inserted = {(row[0], row[1]) for row in self.session.execute(stmt, rows)}
        fresh = [i for i in items if (i.gateway_id, _dedupe_key(i)) in inserted]
        self.out.stored += len(fresh)
        self.out.duplicates += len(items) - len(fresh)
        return fresh

    def _insert_telemetry(self, items: list[_Accepted]) -> list[_Accepted]:
        """The hot path: plain driver executemany, values converted here in one pass.

        Going through SQLAlchemy's per-row type processing costs ~60 µs a row, more than
        everything else ingest does with a message; the conversions below are the same
        ones the column types apply (UTC timestamps, JSON text, booleans).
        """
        if not items:
            return []
        conn = self.session.connection()
        columns = ("gateway_id", "device_id", "msg_id", "session", "seq", "ts", "received_at",
                   "replay", "ts_suspect", "readings")
        if conn.dialect.name == "sqlite":
            sql = (f"INSERT INTO telemetry ({', '.join(columns)}) VALUES "  # noqa: S608 - fixed names
                   f"({', '.join('?' for _ in columns)}) "
                   "ON CONFLICT (gateway_id, msg_id) DO NOTHING")
            params: list[tuple[Any, ...]] = [
                (gw, dev, msg_id, session_no, seq, _sqlite_time(ts), _sqlite_time(received),
                 int(replay), int(suspect), readings)
                for gw, dev, msg_id, session_no, seq, ts, received, replay, suspect, readings
                in self._telemetry_values(items)
            ]
        elif conn.dialect.name == "postgresql":
            sql = (f"INSERT INTO telemetry ({', '.join(columns)}) VALUES "  # noqa: S608 - fixed names
                   "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb) "
                   "ON CONFLICT (gateway_id, msg_id) DO NOTHING")
            params = list(self._telemetry_values(items))
        else:
            return self._insert_new(Telemetry, items, lambda i: {
                **self._telemetry_row(i),
                "readings": json.loads(_readings_json(i.readings())),
            })
        new = conn.exec_driver_sql(sql, params).rowcount
        if new < 0:  # a driver that cannot count executemany rows
            raise RuntimeError(f"{conn.dialect.name} driver reported no rowcount")
        self.out.stored += new
        self.out.duplicates += len(items) - new
        return items

    def _suspect(self, ts: datetime) -> bool:
        if ts > self.suspect_after:
            self.out.ts_suspect += 1
            return True
        return False

    def _telemetry_values(self, items: list[_Accepted]) -> Iterator[tuple[Any, ...]]:
        """Column values in `columns` order (readings as JSON text), without a dict per
        row: this runs for every message."""
        suspect_after = self.suspect_after
        for item in items:
            msg = item.decoded.message
            assert isinstance(msg, TelemetryMsg)
            ts = msg.ts
            suspect = ts > suspect_after
            if suspect:
                self.out.ts_suspect += 1
            yield (item.gateway_id, item.device_id, msg.msg_id, msg.session, msg.seq, ts,
                   item.raw.received_at, msg.replay, suspect, item.readings_json())

    def _telemetry_row(self, item: _Accepted) -> dict[str, Any]:
        msg = item.decoded.message
        assert isinstance(msg, TelemetryMsg)
        return {
            "gateway_id": item.gateway_id, "device_id": item.device_id, "msg_id": msg.msg_id,
            "session": msg.session, "seq": msg.seq, "ts": msg.ts,
            "received_at": item.raw.received_at, "replay": msg.replay,
            "ts_suspect": self._suspect(msg.ts), "readings": item.readings(),
        }

    def _event_row(self, item: _Accepted) -> dict[str, Any]:
        msg = item.decoded.message
        assert isinstance(msg, EventMsg)
        return {
            "gateway_id": item.gateway_id, "device_id": item.device_id, "msg_id": msg.msg_id,
            "session": msg.session, "seq": msg.seq, "kind": msg.kind.value,
            "detail": {"text": msg.detail} if msg.detail is not None else None,
            "ts": msg.ts, "received_at": item.raw.received_at, "replay": msg.replay,
            "ts_suspect": self._suspect(msg.ts),
        }

    def _heartbeat_row(self, item: _Accepted) -> dict[str, Any]:
        msg = item.decoded.message
        assert isinstance(msg, HeartbeatMsg)
        return {
            "gateway_id": item.gateway_id, "msg_id": msg.msg_id, "session": msg.session,
            "seq": msg.seq, "ts": msg.ts, "received_at": item.raw.received_at,
            "replay": msg.replay, "uptime_s": int(msg.uptime_s),
            "outbox_depth": msg.outbox_depth, "config_version": msg.config_version,
            "evicted": msg.evicted,
        }

    # -- gateway liveness --------------------------------------------------------------

    def _apply_states(self, items: list[_Accepted]) -> None:
        def order(i: _Accepted) -> tuple[int, datetime]:
            m = i.decoded.message
            assert isinstance(m, StateMsg)
            return (m.session, m.ts)

        for item in sorted(items, key=order):
            msg = item.decoded.message
            assert isinstance(msg, StateMsg)
            gateway = self._gateway(item.gateway_id)
            current = (gateway.state_session, gateway.state_ts)
            # A late last will (older session, or older connect within the session)
            # must not turn a newer "online" back to offline; an equal mark applies, as
            # the will of a connection follows its own "online".
            if current[0] is not None and current[1] is not None and (
                (msg.session, msg.ts) < (current[0], current[1])
            ):
                self.out.superseded += 1
                continue
            self.out.stored += 1
            gateway.state = msg.state.value
            gateway.state_session = msg.session
            gateway.state_ts = msg.ts
            gateway.agent_version = msg.agent_version[:40]
            if msg.state.value == "online":
                gateway.last_seen_at = _latest(
                    gateway.last_seen_at, _observed_at(msg.ts, item.raw.received_at)
                )
                resolve_condition(
                    self.session, Subject.of_gateway(gateway), "gateway_offline", self.now
                )

    def _apply_heartbeats(self, items: list[_Accepted]) -> None:
        newest: dict[str, HeartbeatMsg] = {}
        for item in items:
            msg = item.decoded.message
            assert isinstance(msg, HeartbeatMsg)
            best = newest.get(item.gateway_id)
            if best is None or (msg.session, msg.seq) > (best.session, best.seq):
                newest[item.gateway_id] = msg
        for gw_id, msg in newest.items():
            gateway = self._gateway(gw_id)
            gateway.outbox_depth = msg.outbox_depth
            gateway.reported_config_version = msg.config_version
            # A heartbeat of a newer agent run proves it online even if its "online"
            # state message has not arrived (yet); within a run, state messages rule.
            if gateway.state != "online" and (
                gateway.state_session is None or msg.session > gateway.state_session
            ) and not msg.replay:
                gateway.state = "online"
                gateway.state_session = msg.session
                gateway.state_ts = msg.ts
                resolve_condition(
                    self.session, Subject.of_gateway(gateway), "gateway_offline", self.now
                )

    # -- device state ------------------------------------------------------------------

    def _apply_device_facts(
        self, telemetry: list[_Accepted], events: list[_Accepted]
    ) -> dict[int, tuple[_Conditions, _Conditions]]:
        """Fold readings into device state; returns device pk -> alert conditions before
        and after.

        Values are folded in plain dicts and written with one executemany UPDATE (and
        INSERT for first sightings) per batch: mapped objects and a unit-of-work flush
        per device would cost more than the rest of the batch.
        """
        work = telemetry + events
        if not work:
            return {}
        pks = sorted({self.devices[(i.gateway_id, i.device_id or "")].id for i in work})
        states: dict[int, Any] = {
            row.device_pk: row
            for row in self.session.execute(
                select(_STATE_TABLE).where(_STATE_TABLE.c.device_pk.in_(pks))
                .order_by(_STATE_TABLE.c.device_pk).with_for_update()
            )
        }
        folds = {pk: _Fold(states.get(pk)) for pk in pks}
        seen_at: dict[int, datetime] = {}

        def order(i: _Accepted) -> tuple[int, int]:
            m = i.decoded.message
            assert isinstance(m, TelemetryMsg | EventMsg)
            return (m.session, m.seq)

        for item in sorted(work, key=order):
            msg = item.decoded.message
            assert isinstance(msg, TelemetryMsg | EventMsg)
            pk = self.devices[(item.gateway_id, item.device_id or "")].id
            observed = _observed_at(msg.ts, item.raw.received_at)
            if pk not in seen_at or observed > seen_at[pk]:
                seen_at[pk] = observed
            if isinstance(msg, TelemetryMsg):
                values = item.readings()
            else:
                pair = EVENT_READINGS.get(msg.kind.value)
                values = {pair[0]: pair[1]} if pair else {}
            folds[pk].add(msg.session, msg.seq, msg.ts, observed, values)
        self._note_device_sightings(seen_at)
        conditions: dict[int, tuple[_Conditions, _Conditions]] = {}
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        policy = self.cfg.policy
        for pk in pks:
            state = states.get(pk)
            cols = folds[pk].columns(state, self.now)
            conditions[pk] = (_conditions(state, policy), _conditions(_Columns(cols), policy))
            if state is None:
                inserts.append({"device_pk": pk, **cols})
            else:
                updates.append({"b_device_pk": pk, **cols})
        if inserts:
            self.session.execute(insert(_STATE_TABLE), inserts)
        if updates:
            self.session.execute(_STATE_UPDATE, updates)
        return conditions

    def _note_device_sightings(self, seen_at: dict[int, datetime]) -> None:
        moved: list[dict[str, Any]] = []
        for device in self.devices.values():
            observed = seen_at.get(device.id)
            if observed is None:
                continue
            mapped = self._loaded(Device, device.id)
            if mapped is not None:
                mapped.last_seen_at = _latest(mapped.last_seen_at, observed)
                continue
            latest = _latest(device.last_seen_at, observed)
            if latest is not device.last_seen_at:
                device.last_seen_at = latest
                moved.append({"b_id": device.id, "last_seen_at": latest})
        if moved:
            moved.sort(key=lambda m: int(m["b_id"]))
            self.session.execute(_DEVICE_SEEN_UPDATE, moved)

    # -- readiness and alerts ----------------------------------------------------------

    def _derive(
        self, conditions: dict[int, tuple[_Conditions, _Conditions]], events: list[_Accepted]
    ) -> None:
        if not conditions:
            return
        # Which assets need work is decided from plain rows; only those are loaded as
        # mapped objects (a steady stream of in-range readings loads none).
        bound = {
            row.device_pk: (row.id, row.status)
            for row in self.session.execute(
                select(Asset.id, Asset.device_pk, Asset.status)
                .where(Asset.device_pk.in_(list(conditions)))
            )
        }
        if not bound:
            return
        event_pks = {self.devices[(i.gateway_id, i.device_id or "")].id for i in events}
        changed: set[int] = set()
        needed: set[int] = set()
        for pk, (asset_id, status) in bound.items():
            before, after = conditions[pk]
            # Alerts and readiness follow changes of condition: a reading that only moves
            # within the same condition (21.0 → 21.5 °C) costs no alert or readiness
            # work, unless the asset was "unknown" (silent) and this proves it alive.
            if before is None or after != before:
                changed.add(pk)
                needed.add(asset_id)
            elif status == "unknown" or pk in event_pks:
                needed.add(asset_id)
        if not needed:
            return
        assets: dict[int, Asset] = {
            a.device_pk: a
            for a in self.session.scalars(
                select(Asset).where(Asset.id.in_(sorted(needed))).order_by(Asset.id)
            )
            if a.device_pk is not None
        }

        def event_ts(i: _Accepted) -> datetime:
            return getattr(i.decoded.message, "ts")  # noqa: B009 - typed union

        stale: list[Asset] = []
        for item in sorted(events, key=event_ts):
            msg = item.decoded.message
            assert isinstance(msg, EventMsg)
            device = self.devices[(item.gateway_id, item.device_id or "")]
            asset = assets.get(device.id)
            if asset is not None:
                on_device_event(self.session, asset, msg.kind.value, msg.ts, self.now)
                stale.append(asset)
        if changed:
            # The rows were written with Core statements above: load them fresh.
            states = {
                st.device_pk: st
                for st in self.session.scalars(
                    select(DeviceState).where(DeviceState.device_pk.in_(sorted(changed)))
                    .execution_options(populate_existing=True)
                )
            }
            for pk in sorted(changed):
                asset = assets[pk]
                evaluate_sensor_alerts(
                    self.session, asset, states.get(pk), self.now, self.cfg.policy
                )
                stale.append(asset)
        for pk, asset in assets.items():
            if pk not in changed and asset.status == "unknown":
                stale.append(asset)
        self.session.flush()
        if stale:
            self.out.assets_refreshed += len(refresh_statuses(
                self.session, list({a.id: a for a in stale}.values()), self.now,
                self.cfg.policy, self.cfg.tz,
            ))


class _Fold:
    """The newest value of each reading of one device, from marks and messages."""

    def __init__(self, state: Any | None) -> None:
        self.marks: dict[str, Any] = dict(state.field_marks or {}) if state else {}
        self.values: dict[str, Any] = {}
        self.door_was_open = state is not None and state.door == "open"
        self.last: tuple[int, int, datetime] | None = None
        if state is not None and state.last_session is not None and state.last_ts is not None:
            self.last = (state.last_session, state.last_seq or 0, state.last_ts)

    def add(self, session_no: int, seq: int, ts: datetime, observed: datetime,
            values: dict[str, Any]) -> None:
        marks = self.marks
        for name, value in values.items():
            if value is None:
                continue
            mark = marks.get(name)
            # Same session and a higher seq (the common case) is decided inline.
            if mark and not (session_no == mark[0] and seq > mark[1]) and not _mark_newer(
                mark, session_no, seq, ts
            ):
                continue
            marks[name] = (session_no, seq, ts)
            value = _json_value(value) if name in ("self_test", "door") else value
            if name == "door":
                previous = self.values.get("door", "open" if self.door_was_open else None)
                if value == "open" and previous != "open":
                    self.values["door_opened_at"] = observed
                elif value == "closed":
                    self.values["door_opened_at"] = None
            self.values[name] = value
        if self.last is None or (session_no, seq) > self.last[:2]:
            self.last = (session_no, seq, ts)

    def columns(self, state: Any | None, now: datetime) -> dict[str, Any]:
        """The state's mutable columns after this fold (unchanged ones as they are)."""
        cols = {name: getattr(state, name, None) for name in _STATE_COLUMNS}
        cols.update(self.values)
        cols["field_marks"] = {
            name: [m[0], m[1], m[2].isoformat() if isinstance(m[2], datetime) else m[2]]
            for name, m in self.marks.items()
        }
        if self.last is not None:
            cols["last_session"], cols["last_seq"], cols["last_ts"] = self.last
        cols["updated_at"] = now
        return cols



_STATE_COLUMNS: tuple[str, ...] = (
    "battery_pct", "battery_expiry", "pad_expiry", "self_test", "temp_c", "door",
    "aed_present", "door_opened_at", "last_session", "last_seq", "last_ts", "field_marks",
    "updated_at",
)
_STATE_TABLE: Table = DeviceState.__table__  # type: ignore[assignment]
_STATE_UPDATE = (
    update(_STATE_TABLE)
    .where(_STATE_TABLE.c.device_pk == bindparam("b_device_pk"))
    .values({name: bindparam(name) for name in _STATE_COLUMNS})
)
_GATEWAY_TABLE: Table = Gateway.__table__  # type: ignore[assignment]
_GATEWAY_SEEN_UPDATE = (
    update(_GATEWAY_TABLE).where(_GATEWAY_TABLE.c.id == bindparam("b_id"))
    .values(last_seen_at=bindparam("last_seen_at"))
)
_DEVICE_TABLE: Table = Device.__table__  # type: ignore[assignment]
_DEVICE_SEEN_UPDATE = (
    update(_DEVICE_TABLE).where(_DEVICE_TABLE.c.id == bindparam("b_id"))
    .values(last_seen_at=bindparam("last_seen_at"))
)


class _Columns:
    """Attribute access to a dict of state columns, for _conditions."""

    __slots__ = ("_cols",)

    def __init__(self, cols: dict[str, Any]) -> None:
        self._cols = cols

    def __getattr__(self, name: str) -> Any:
        try:
            return self._cols[name]
        except KeyError:
            raise AttributeError(name) from None


def _conditions(state: Any | None, policy: ReadinessPolicy) -> _Conditions:
    """The device facts alert rules and readiness look at, coarsened to what can change
    an alert or a status (not the exact temperature or charge)."""
    if state is None:
        return None
    return (state.self_test, state.door, state.aed_present,
            policy.temp_out_of_range(state.temp_c), policy.battery_low(state.battery_pct),
            state.battery_pct is None, state.temp_c is None, state.pad_expiry,
            state.battery_expiry)


__all__ = [
    "BatchOutcome",
    "FactsConfig",
    "PreparedBatch",
    "RawMessage",
    "apply_batch",
    "dead_letter_row",
    "prepare_batch",
    "store_dead_letters",
]
