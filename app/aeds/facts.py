"""Reading an AED's facts for the evaluation: one query for any number of AEDs.

The effective dates are decided here, once: a device's reading of an expiry wins over
the registry (the registry holds what a volunteer last recorded; the device reads the
label of what is fitted), and child pads expiring sooner make the pads expire sooner.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, String, bindparam, select, type_coerce
from sqlalchemy.orm import Session

from app.aeds.evaluation import AedFacts
from app.models import Asset, Device, DeviceState, Gateway
from app.models.base import sqlite_moment

#: AEDs per query (keeps IN lists and memory small on 100,000 AEDs).
CHUNK = 2000


def effective_pad_expiry(registry: date | None, device: date | None, paediatric_pads: bool,
                         paediatric: date | None) -> date | None:
    pads = device or registry
    if paediatric_pads and paediatric is not None and pads is not None:
        return min(pads, paediatric)
    return pads


def effective_battery_expiry(registry: date | None, device: date | None) -> date | None:
    return device or registry


@dataclass(slots=True)  # not frozen: made per AED per pass; a frozen __init__ costs 10x
class StoredStatus:
    """What the asset row says now, to write only what changes."""

    status: str
    reasons: str | None
    reevaluate_at: datetime | None = None


_COLUMNS: tuple[Any, ...] = (
    Asset.id, Asset.site_id, Asset.pad_expiry, Asset.battery_expiry, Asset.paediatric_pads,
    Asset.paediatric_pad_expiry, Asset.last_inspection_at, Asset.install_date,
    Asset.inspection_interval_days, Asset.in_use_since, Asset.maintenance_until,
    Asset.presence_reset_at, Asset.device_pk, Asset.status, Asset.status_reasons,
    Asset.reevaluate_at,
    Device.device_id, Device.last_seen_at, Device.created_at, Gateway.id, Gateway.state,
    Gateway.state_received_at, Gateway.last_seen_at, Gateway.created_at,
    Gateway.report_interval_s, DeviceState.battery_pct, DeviceState.battery_expiry,
    DeviceState.pad_expiry, DeviceState.self_test, DeviceState.temp_c, DeviceState.door,
    DeviceState.door_opened_at, DeviceState.aed_present, DeviceState.aed_removed_at,
)
#: Dates and moments are read as the driver gives them (SQLite: ISO text) and turned
#: into values here, only when present: the column types' per-value processing would
#: cost more than the whole evaluation of an AED.
_RAW: frozenset[str] = frozenset({"DATE", "DATETIME"})


def _raw(column: Any) -> Any:
    kind = type(column.type.impl if hasattr(column.type, "impl") else column.type).__name__
    return type_coerce(column, String) if kind.upper() in _RAW else column


def _moment(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value.astimezone(UTC) if value is not None and value.tzinfo else (
            value.replace(tzinfo=UTC) if value is not None else None)
    return sqlite_moment(value)  # SQLite's text, read as the column type reads it


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def facts_query() -> Select[Any]:
    return (
        select(*(_raw(c) for c in _COLUMNS))
        .outerjoin(Device, Device.id == Asset.device_pk)
        .outerjoin(Gateway, Gateway.id == Device.gateway_id)
        .outerjoin(DeviceState, DeviceState.device_pk == Asset.device_pk)
        .where(Asset.kind == "aed")
        # A retired AED is out of service for good (app/registry/operations.py): it is
        # no longer evaluated, so nothing opens or resolves its alerts again.
        .where(Asset.retired_at.is_(None))
    )


#: The next chunk of every AED's facts, by id (built once: a pass reads 50 chunks).
_NEXT_FACTS = (facts_query().where(Asset.id > bindparam("after")).order_by(Asset.id)
               .limit(CHUNK))


def _facts(row: Any) -> tuple[AedFacts, StoredStatus]:
    (aid, site_id, pad, battery, child_pads, child_pad, inspected, installed, interval,
     in_use, maintenance, reset, device_pk, status, reasons, reevaluate, device_id, dev_seen,
     dev_created, gw_id, gw_state, gw_state_at, gw_seen, gw_created, report_s, pct,
     dev_battery, dev_pad, self_test, temp_c, door, door_at, present, removed_at) = row
    monitored = device_pk is not None and device_id is not None
    # Positional, in AedFacts' field order: this runs for every AED every sweep.
    facts = AedFacts(
        aid, site_id,
        effective_pad_expiry(_day(pad), _day(dev_pad), bool(child_pads), _day(child_pad)),
        effective_battery_expiry(_day(battery), _day(dev_battery)),
        _moment(inspected), _day(installed), interval, _moment(in_use), _moment(maintenance),
        _moment(reset), monitored, device_id,
        _moment(dev_seen) if monitored else None, _moment(dev_created) if monitored else None,
        gw_id, gw_state, _moment(gw_state_at) if monitored else None,
        _moment(gw_seen) if monitored else None, _moment(gw_created) if monitored else None,
        report_s, pct, self_test, temp_c, door, _moment(door_at), bool_or_none(present),
        _moment(removed_at),
    )
    return facts, StoredStatus(status, reasons, _moment(reevaluate))


def bool_or_none(value: Any) -> bool | None:
    return None if value is None else bool(value)


def load_facts(session: Session, asset_ids: Sequence[int]) -> Iterator[
        tuple[AedFacts, StoredStatus]]:
    """Facts of these AEDs (ids of other kinds of asset are skipped), in id order."""
    ids = sorted(set(asset_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        stmt = facts_query().where(Asset.id.in_(chunk)).order_by(Asset.id)
        # Core, not the ORM: plain rows, no per-row entity machinery.
        for row in session.connection().execute(stmt):
            yield _facts(row)


def all_facts(session: Session) -> Iterator[tuple[AedFacts, StoredStatus]]:
    """Facts of every AED, read in id ranges (no ORM objects, no giant IN list)."""
    last = 0
    while True:
        rows = session.connection().execute(_NEXT_FACTS, {"after": last}).all()
        if not rows:
            return
        for row in rows:
            yield _facts(row)
        last = rows[-1][0]


def aeds_behind(session: Session, gateway_ids: Iterable[str]) -> list[int]:
    ids = sorted(set(gateway_ids))
    if not ids:
        return []
    return list(session.scalars(
        select(Asset.id).join(Device, Device.id == Asset.device_pk)
        .where(Device.gateway_id.in_(ids), Asset.kind == "aed")))
