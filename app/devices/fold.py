"""Per-field `(session, seq)` marks -> the newest state of each device.

Order of arrival decides nothing: each reading keeps the mark of the message that set
it, and a value replaces it only when its own message is newer. Values are folded in
plain dicts and written with one executemany UPDATE (and INSERT for first sightings)
per batch: mapped objects and a unit-of-work flush per device would cost more than the
rest of the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from app.devices.decode import Accepted, json_value
from app.devices.registry import Registry
from app.devices.sightings import observed_at
from app.models import DeviceState
from device_agent.protocol import EVENT_READINGS, READING_FIELDS, EventKind
from device_agent.protocol import Event as EventMsg
from device_agent.protocol import Telemetry as TelemetryMsg

# A device whose session counter went backwards (storage wiped) is trusted again once its
# clock is this far past the last mark; within a session, seq alone orders messages.
SESSION_RESET_GRACE = timedelta(days=1)
# The events that state a reading the device state keeps (power events do not).
_EVENT_READINGS: dict[EventKind, tuple[str, Any]] = {
    kind: reading for kind, reading in EVENT_READINGS.items() if reading[0] in READING_FIELDS
}

_STATE_COLUMNS: tuple[str, ...] = (
    "battery_pct", "battery_expiry", "pad_expiry", "self_test", "temp_c", "door",
    "aed_present", "door_opened_at", "aed_removed_at", "last_session", "last_seq",
    "last_ts", "field_marks", "updated_at",
)
_STATE_TABLE: Table = DeviceState.__table__  # type: ignore[assignment]
_STATE_UPDATE = (
    update(_STATE_TABLE)
    .where(_STATE_TABLE.c.device_pk == bindparam("b_device_pk"))
    .values({name: bindparam(name) for name in _STATE_COLUMNS})
)

# A device's state before the batch (a row, None before its first message) and after it
# (the written columns).
StateChange = tuple[Any | None, dict[str, Any]]


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


class _Fold:
    """The newest value of each reading of one device, from marks and messages."""

    def __init__(self, state: Any | None) -> None:
        self.marks: dict[str, Any] = dict(state.field_marks or {}) if state else {}
        self.values: dict[str, Any] = {}
        self.door_was_open = state is not None and state.door == "open"
        self.aed_was_out = state is not None and state.aed_present is False
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
            value = json_value(value) if name in ("self_test", "door") else value
            if name == "door":
                previous = self.values.get("door", "open" if self.door_was_open else None)
                if value == "open" and previous != "open":
                    self.values["door_opened_at"] = observed
                elif value == "closed":
                    self.values["door_opened_at"] = None
            elif name == "aed_present":
                was_out = self.values.get("aed_present", not self.aed_was_out) is False
                if value is False and not was_out:
                    self.values["aed_removed_at"] = observed
                elif value is True:
                    self.values["aed_removed_at"] = None
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


@dataclass(slots=True)
class DeviceFolds:
    """One batch folded per device (pk), not written yet."""

    pks: list[int]
    before: dict[int, Any]  # the state rows, locked
    folds: dict[int, _Fold]
    # When each device's newest message was observed (for its last_seen_at).
    seen_at: dict[int, datetime]


def _order(item: Accepted) -> tuple[int, int]:
    m = item.decoded.message
    assert isinstance(m, TelemetryMsg | EventMsg)
    return (m.session, m.seq)


def fold_device_facts(
    session: Session, registry: Registry, telemetry: list[Accepted], events: list[Accepted]
) -> DeviceFolds | None:
    """Lock the states of the devices these messages name and fold the messages in."""
    work = telemetry + events
    if not work:
        return None
    devices = registry.devices  # looked up twice per message: no method call on this path
    pks = sorted({devices[(i.gateway_id, i.device_id or "")].id for i in work})
    before: dict[int, Any] = {
        row.device_pk: row
        for row in session.execute(
            select(_STATE_TABLE).where(_STATE_TABLE.c.device_pk.in_(pks))
            .order_by(_STATE_TABLE.c.device_pk).with_for_update()
        )
    }
    folds = {pk: _Fold(before.get(pk)) for pk in pks}
    seen_at: dict[int, datetime] = {}
    for item in sorted(work, key=_order):
        msg = item.decoded.message
        assert isinstance(msg, TelemetryMsg | EventMsg)
        pk = devices[(item.gateway_id, item.device_id or "")].id
        observed = observed_at(msg.ts, item.raw.received_at)
        if pk not in seen_at or observed > seen_at[pk]:
            seen_at[pk] = observed
        if isinstance(msg, TelemetryMsg):
            values = item.readings()
        else:
            pair = _EVENT_READINGS.get(msg.kind)
            values = {pair[0]: pair[1]} if pair else {}
        folds[pk].add(msg.session, msg.seq, msg.ts, observed, values)
    return DeviceFolds(pks, before, folds, seen_at)


def write_states(session: Session, folded: DeviceFolds, now: datetime) -> dict[int, StateChange]:
    """Write the folded states; returns device pk -> its state before and after."""
    changes: dict[int, StateChange] = {}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for pk in folded.pks:
        state = folded.before.get(pk)
        cols = folded.folds[pk].columns(state, now)
        changes[pk] = (state, cols)
        if state is None:
            inserts.append({"device_pk": pk, **cols})
        else:
            updates.append({"b_device_pk": pk, **cols})
    if inserts:
        session.execute(insert(_STATE_TABLE), inserts)
    if updates:
        session.execute(_STATE_UPDATE, updates)
    return changes
