"""Reading an AED's facts for the evaluation: one query for any number of AEDs.

The effective dates are decided here, once: a device's reading of an expiry wins over
the registry (the registry holds what a volunteer last recorded; the device reads the
label of what is fitted), and child pads expiring sooner make the pads expire sooner.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.aeds.evaluation import AedFacts
from app.models import Asset, Device, DeviceState, Gateway

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


@dataclass(frozen=True, slots=True)
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


def facts_query() -> Select[Any]:
    return (
        select(*_COLUMNS)
        .outerjoin(Device, Device.id == Asset.device_pk)
        .outerjoin(Gateway, Gateway.id == Device.gateway_id)
        .outerjoin(DeviceState, DeviceState.device_pk == Asset.device_pk)
        .where(Asset.kind == "aed")
    )


def _facts(row: Any) -> tuple[AedFacts, StoredStatus]:
    (aid, site_id, pad, battery, child_pads, child_pad, inspected, installed, interval,
     in_use, maintenance, reset, device_pk, status, reasons, reevaluate, device_id, dev_seen,
     dev_created, gw_id, gw_state, gw_state_at, gw_seen, gw_created, report_s, pct,
     dev_battery, dev_pad, self_test, temp_c, door, door_at, present, removed_at) = row
    facts = AedFacts(
        asset_id=aid, site_id=site_id,
        pad_expiry=effective_pad_expiry(pad, dev_pad, bool(child_pads), child_pad),
        battery_expiry=effective_battery_expiry(battery, dev_battery),
        last_inspection_at=inspected, install_date=installed,
        inspection_interval_days=interval, in_use_since=in_use,
        maintenance_until=maintenance, presence_reset_at=reset,
        monitored=device_pk is not None and device_id is not None,
        device_id=device_id, device_last_seen_at=dev_seen, device_created_at=dev_created,
        gateway_id=gw_id, gateway_state=gw_state, gateway_state_received_at=gw_state_at,
        gateway_last_seen_at=gw_seen, gateway_created_at=gw_created,
        report_interval_s=report_s, battery_pct=pct, self_test=self_test, temp_c=temp_c,
        door=door, door_opened_at=door_at, aed_present=present, aed_removed_at=removed_at,
    )
    return facts, StoredStatus(status, reasons, reevaluate)


def load_facts(session: Session, asset_ids: Sequence[int]) -> Iterator[
        tuple[AedFacts, StoredStatus]]:
    """Facts of these AEDs (ids of other kinds of asset are skipped), in id order."""
    ids = sorted(set(asset_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        stmt = facts_query().where(Asset.id.in_(chunk)).order_by(Asset.id)
        for row in session.execute(stmt):
            yield _facts(row)


def all_facts(session: Session) -> Iterator[tuple[AedFacts, StoredStatus]]:
    """Facts of every AED, read in id ranges (no ORM objects, no giant IN list)."""
    last = 0
    while True:
        stmt = facts_query().where(Asset.id > last).order_by(Asset.id).limit(CHUNK)
        rows = session.execute(stmt).all()
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
