"""Apply one batch of gateway messages in one transaction: decode, store, fold, derive.

This is the domain half of ingest, with no MQTT client in it: callers hand in topics and
payload bytes (from a broker, a test or a web upload) and one database session; one call
is one transaction's worth of work. Every message ends in exactly one outcome (see
`BatchOutcome`); latest device state is decided per field by `(session, seq)`, never
by arrival order; readiness and alerts go through the shared services (see derive).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.aeds.refresh import AedContext
from app.devices import derive, fold, gateway_state
from app.devices.decode import Accepted, PreparedBatch, RawMessage, dedupe_key, prepare_batch
from app.devices.derive import DeviceMemory
from app.devices.outcome import BatchOutcome
from app.devices.registry import Registry
from app.devices.sightings import note_device_sightings, note_gateway_sightings
from app.devices.store import MessageRows, quarantine, store_dead_letters
from device_agent.protocol import DEFAULT_ROOT, TopicKind


@dataclass(frozen=True)
class FactsConfig:
    aeds: AedContext
    topic_root: str = DEFAULT_ROOT
    # Device clocks this far ahead of the server mark their messages ts_suspect.
    max_clock_skew: timedelta = timedelta(minutes=5)
    # Per process: which devices' AEDs were evaluated since it started.
    memory: DeviceMemory = field(default_factory=DeviceMemory.empty)


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
    store_dead_letters(session, prepared.dead_rows)
    out.count_dead(prepared.dead_rows)
    if not prepared.accepted:
        return out
    registry = Registry.load(session, (a.gateway_id for a in prepared.accepted))
    registered, strays = registry.split(prepared.accepted)
    first_strays = quarantine(session, strays, out)
    derive.alert_unregistered(session, registry, first_strays, now, out)
    # Reads inside the batch need not see its own pending writes; one flush at the end.
    with session.no_autoflush:
        _apply_registered(session, registry, registered, now, cfg, out)
    return out


def _apply_registered(
    session: Session, registry: Registry, items: list[Accepted], now: datetime,
    cfg: FactsConfig, out: BatchOutcome,
) -> None:
    """Store the registered messages and derive state from the new ones."""
    if not items:
        return
    telemetry: list[Accepted] = []
    events: list[Accepted] = []
    heartbeats: list[Accepted] = []
    states: list[Accepted] = []
    by_kind = {TopicKind.TELEMETRY: telemetry, TopicKind.EVENT: events,
               TopicKind.HEARTBEAT: heartbeats}
    seen: set[tuple[TopicKind, str, str]] = set()
    for item in items:
        if item.kind is TopicKind.STATE:
            states.append(item)
            continue
        key = (item.kind, item.gateway_id, dedupe_key(item))
        if key in seen:
            out.duplicates += 1
            continue
        seen.add(key)
        by_kind[item.kind].append(item)
    rows = MessageRows(session, out, now + cfg.max_clock_skew)
    new_telemetry = rows.telemetry(telemetry)
    new_events = rows.events(events)
    new_heartbeats = rows.heartbeats(heartbeats)
    gateways = gateway_state.apply_states(session, states, out)
    gateways += gateway_state.apply_heartbeats(session, new_heartbeats)
    note_gateway_sightings(session, registry, items)
    folded = fold.fold_device_facts(session, registry, new_telemetry, new_events)
    changes: dict[int, fold.StateChange] = {}
    if folded is not None:
        note_device_sightings(session, registry, folded.seen_at)
        changes = fold.write_states(session, folded, now)
    derive.apply_derived(session, registry, gateways, changes, new_events, now, cfg.aeds,
                         cfg.memory, out)
