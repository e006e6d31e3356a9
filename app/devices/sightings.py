"""When gateways and devices were last heard from (`last_seen_at`, for liveness).

Each moves to the newest message of the batch, folded in memory first and written with
one executemany UPDATE for the rows that moved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session

from app.devices.decode import Accepted
from app.devices.registry import DeviceRow, GatewayRow, Registry
from app.models import Device, Gateway
from device_agent.protocol import Event as EventMsg
from device_agent.protocol import Heartbeat as HeartbeatMsg
from device_agent.protocol import Telemetry as TelemetryMsg

LAST_SEEN_RESOLUTION = timedelta(seconds=1)

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


def observed_at(ts: datetime, received_at: datetime) -> datetime:
    """When a message proves its sender alive: its own time, never later than receipt."""
    return min(ts, received_at)


def latest(current: datetime | None, candidate: datetime) -> datetime:
    # Liveness windows are minutes long: moving last_seen_at by less than a second is
    # not worth an UPDATE per device and batch at thousands of messages a second.
    if current is None or candidate - current >= LAST_SEEN_RESOLUTION:
        return candidate
    return current


def _sighted(
    session: Session, model: type[Gateway | Device], pk: str | int,
    row: GatewayRow | DeviceRow, observed: datetime, moved: list[dict[str, Any]],
) -> None:
    """Move one `last_seen_at`: through the mapped object if this session holds one (a
    rule loaded it), else on the plain row, queueing the UPDATE when it moved."""
    mapped: Any = session.identity_map.get(session.identity_key(model, pk))
    if mapped is not None:
        mapped.last_seen_at = latest(mapped.last_seen_at, observed)
        return
    newest = latest(row.last_seen_at, observed)
    if newest is not row.last_seen_at:
        row.last_seen_at = newest
        moved.append({"b_id": pk, "last_seen_at": newest})


def note_gateway_sightings(session: Session, registry: Registry, items: Iterable[Accepted]) -> None:
    sighted: dict[str, datetime] = {}
    for item in items:
        msg = item.decoded.message
        if isinstance(msg, TelemetryMsg | EventMsg | HeartbeatMsg):
            observed = observed_at(msg.ts, item.raw.received_at)
            best = sighted.get(item.gateway_id)
            if best is None or observed > best:
                sighted[item.gateway_id] = observed
    moved: list[dict[str, Any]] = []
    for gw_id, observed in sorted(sighted.items()):
        _sighted(session, Gateway, gw_id, registry.gateways[gw_id], observed, moved)
    if moved:
        session.execute(_GATEWAY_SEEN_UPDATE, moved)


def note_device_sightings(
    session: Session, registry: Registry, seen_at: Mapping[int, datetime]
) -> None:
    """`seen_at`: device pk -> when its newest message of the batch was observed."""
    moved: list[dict[str, Any]] = []
    for device in registry.devices.values():
        observed = seen_at.get(device.id)
        if observed is not None:
            _sighted(session, Device, device.id, device, observed, moved)
    if moved:
        moved.sort(key=lambda m: int(m["b_id"]))
        session.execute(_DEVICE_SEEN_UPDATE, moved)
