"""A gateway's own state: its retained `state` messages and its heartbeats.

Within an agent run state messages rule; a heartbeat of a newer run proves the gateway
online even before that run's "online" arrives. Each function returns the gateways
that came online, for derive to clear their offline alerts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.devices.decode import Accepted
from app.devices.outcome import BatchOutcome
from app.devices.sightings import latest, observed_at
from app.models import Gateway
from device_agent.protocol import Heartbeat as HeartbeatMsg
from device_agent.protocol import StateMessage as StateMsg


def _gateway(session: Session, gw_id: str) -> Gateway:
    """The mapped row, for rules that need one (already locked by the registry)."""
    gateway = session.get(Gateway, gw_id)
    assert gateway is not None  # registered: its row was read under lock
    return gateway


def apply_states(session: Session, items: list[Accepted], out: BatchOutcome) -> list[Gateway]:
    """Apply state messages in (session, ts) order; returns the gateways whose state
    changed (online, or its `offline` will, or a clean stop)."""
    def order(i: Accepted) -> tuple[int, datetime]:
        m = i.decoded.message
        assert isinstance(m, StateMsg)
        return (m.session, m.ts)

    changed: dict[str, Gateway] = {}
    for item in sorted(items, key=order):
        msg = item.decoded.message
        assert isinstance(msg, StateMsg)
        gateway = _gateway(session, item.gateway_id)
        current = (gateway.state_session, gateway.state_ts)
        # A late last will (older session, or older connect within the session) must not
        # turn a newer "online" back to offline; an equal mark applies, as the will of a
        # connection follows its own "online".
        if current[0] is not None and current[1] is not None and (
            (msg.session, msg.ts) < (current[0], current[1])
        ):
            out.superseded += 1
            continue
        out.stored += 1
        if gateway.state != msg.state.value:
            changed[gateway.id] = gateway
        gateway.state = msg.state.value
        gateway.state_session = msg.session
        gateway.state_ts = msg.ts
        # A will's own ts is when its connection began: its arrival is what counts.
        gateway.state_received_at = item.raw.received_at
        gateway.agent_version = msg.agent_version[:40]
        if msg.state.value == "online":
            gateway.last_seen_at = latest(
                gateway.last_seen_at, observed_at(msg.ts, item.raw.received_at)
            )
    return list(changed.values())


def apply_heartbeats(session: Session, items: list[Accepted]) -> list[Gateway]:
    """`items`: heartbeats stored for the first time."""
    newest: dict[str, HeartbeatMsg] = {}
    for item in items:
        msg = item.decoded.message
        assert isinstance(msg, HeartbeatMsg)
        best = newest.get(item.gateway_id)
        if best is None or (msg.session, msg.seq) > (best.session, best.seq):
            newest[item.gateway_id] = msg
    online: list[Gateway] = []
    for gw_id, msg in newest.items():
        gateway = _gateway(session, gw_id)
        gateway.outbox_depth = msg.outbox_depth
        gateway.reported_config_version = msg.config_version
        if gateway.state != "online" and (
            gateway.state_session is None or msg.session > gateway.state_session
        ) and not msg.replay:
            gateway.state = "online"
            gateway.state_session = msg.session
            gateway.state_ts = msg.ts
            gateway.state_received_at = None
            online.append(gateway)
    return online
