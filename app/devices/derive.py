"""What a batch's facts mean for AEDs, gateways and alerts: every call from ingest into
the evaluation is made here, in the batch's transaction.

An AED is evaluated when its device's alert-relevant facts changed, when this process
hears its device for the first time (so a fault already present when ingest started
alerts on the first report, not only on a change), or when it was `unknown` and its
device is heard again. A steady stream of in-range readings costs no evaluation.
Gateways whose state changed (online, its `offline` will, a clean stop) are evaluated
with the AEDs behind them, after the batch's device facts are written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.aeds.facts import aeds_behind
from app.aeds.refresh import AedContext, refresh_aeds
from app.alerts.apply import Applied, SubjectWants, Wanted, apply_wanted
from app.alerts.lifecycle import Subject
from app.devices.decode import Accepted
from app.devices.fold import StateChange
from app.devices.outcome import BatchOutcome
from app.devices.registry import Registry
from app.gateways.liveness import refresh_gateways
from app.models import Asset, Gateway
from app.notify.routing import is_urgent
from device_agent.protocol import Event as EventMsg
from device_agent.protocol.thresholds import battery_low, temp_out_of_range

#: Events a volunteer in maintenance makes; they raise nothing, but the log shows them.
_VISIT_EVENTS = ("door_opened", "aed_removed")


def _conditions(state: Any | None, ctx: AedContext) -> tuple[Any, ...] | None:
    """The device facts the evaluation looks at, coarsened to what can change an answer
    (not the exact temperature or charge); None: no state yet."""
    if state is None:
        return None
    policy = ctx.policy
    get = state.get if isinstance(state, Mapping) else lambda name: getattr(state, name)
    return (get("self_test"), get("door"), get("door_opened_at"), get("aed_present"),
            get("aed_removed_at"),
            temp_out_of_range(get("temp_c"), policy.temp_min_c, policy.temp_max_c),
            battery_low(get("battery_pct"), policy.battery_low_pct),
            get("battery_pct") is None, get("temp_c") is None, get("pad_expiry"),
            get("battery_expiry"))


@dataclass
class DeviceMemory:
    """Devices this process has evaluated since it started (one ingest worker)."""

    heard: set[int]

    @classmethod
    def empty(cls) -> DeviceMemory:
        return cls(set())


def alert_unregistered(session: Session, registry: Registry, items: Iterable[Accepted],
                       now: datetime, out: BatchOutcome) -> None:
    """An admin hears of each unregistered sender (one stray per gateway)."""
    wants = []
    for item in items:
        known = item.gateway_id in registry.gateways
        gateway = session.get(Gateway, item.gateway_id) if known else None
        # An unknown gateway has no row an alert could point at; its id is the subject.
        subject = Subject.of_gateway(gateway) if gateway else Subject("gateway", item.gateway_id)
        wants.append(SubjectWants(subject, [Wanted("unregistered_device", detail={
            "device": item.device_id, "gateway": item.gateway_id, "topic": item.raw.topic})]))
    if wants:
        _count(out, apply_wanted(session, "gateway", wants,
                                 frozenset({"unregistered_device"}), now))


def _audit_visits(session: Session, registry: Registry, events: list[Accepted],
                  assets: Mapping[int, tuple[int, datetime | None]], now: datetime) -> None:
    for item in events:
        msg = item.decoded.message
        assert isinstance(msg, EventMsg)
        if msg.kind.value not in _VISIT_EVENTS:
            continue
        bound = assets.get(registry.device(item).id)
        if bound is None or bound[1] is None or bound[1] <= now:
            continue
        device = f"{item.gateway_id}/{item.device_id}"
        audit.record_as(session, audit.Actor(None, f"device:{device}"),
                        f"{msg.kind.value}_in_maintenance", "asset", str(bound[0]), None,
                        {"at": msg.ts.isoformat(), "device": device})


def apply_derived(session: Session, registry: Registry, gateways: Iterable[Gateway],
                  changes: Mapping[int, StateChange], events: list[Accepted], now: datetime,
                  ctx: AedContext, memory: DeviceMemory, out: BatchOutcome) -> None:
    """Evaluate the gateways whose state changed and the AEDs whose device facts need
    it, in this transaction; counts go to ``out``."""
    gateway_ids = sorted({g.id for g in gateways})
    aed_ids: set[int] = set()
    if gateway_ids:
        _count(out, refresh_gateways(session, gateway_ids, now, ctx, with_aeds=False).alerts)
        aed_ids.update(aeds_behind(session, gateway_ids))
    if changes:
        bound: dict[int, tuple[int, str, datetime | None]] = {
            device_pk: (aid, status, maintenance)
            for aid, device_pk, status, maintenance in session.execute(
                select(Asset.id, Asset.device_pk, Asset.status, Asset.maintenance_until)
                .where(Asset.device_pk.in_(sorted(changes)), Asset.kind == "aed"))
            if device_pk is not None
        }
        _audit_visits(session, registry, events,
                      {pk: (aid, until) for pk, (aid, _s, until) in bound.items()}, now)
        for pk, (aid, status, _until) in bound.items():
            before, after = changes[pk]
            if (pk not in memory.heard or status == "unknown"
                    or _conditions(before, ctx) != _conditions(after, ctx)):
                aed_ids.add(aid)
        memory.heard.update(bound)
    if not aed_ids:
        return
    refreshed = refresh_aeds(session, sorted(aed_ids), now, ctx)
    out.assets_refreshed += refreshed.evaluated
    _count(out, refreshed.alerts)


def _count(out: BatchOutcome, applied: Applied) -> None:
    out.alerts_opened += len(applied.opened)
    out.alerts_resolved += len(applied.resolved)
    out.urgent_opened += sum(1 for a in applied.opened if is_urgent(a))
