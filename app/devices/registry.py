"""The registered gateways and devices a batch names, read once (gateways under lock),
and which messages come from senders that are not registered."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.devices.decode import Accepted
from app.models import Device, Gateway


@dataclass(slots=True)
class GatewayRow:
    id: str
    revoked: bool
    last_seen_at: datetime | None


@dataclass(slots=True)
class DeviceRow:
    id: int
    last_seen_at: datetime | None


@dataclass(slots=True)
class Registry:
    gateways: dict[str, GatewayRow]
    devices: dict[tuple[str, str], DeviceRow]

    @classmethod
    def load(cls, session: Session, gateway_ids: Iterable[str]) -> Registry:
        # Plain rows, not ORM objects: building 100 mapped objects per batch cost more
        # than storing the batch. Gateways are locked (FOR UPDATE) in id order, so two
        # workers serialise their liveness writes; ORM rows are loaded only where a rule
        # needs one (gateway state, heartbeats, alerts).
        gateways = {
            row.id: GatewayRow(row.id, row.revoked, row.last_seen_at)
            for row in session.execute(
                select(Gateway.id, Gateway.revoked, Gateway.last_seen_at)
                .where(Gateway.id.in_(sorted(set(gateway_ids))))
                .order_by(Gateway.id).with_for_update()
            )
        }
        devices = {
            (row.gateway_id, row.device_id): DeviceRow(row.id, row.last_seen_at)
            for row in session.execute(
                select(Device.id, Device.gateway_id, Device.device_id, Device.last_seen_at)
                .where(Device.gateway_id.in_(list(gateways)))
            )
        }
        return cls(gateways, devices)

    def device(self, item: Accepted) -> DeviceRow:
        """The device row of a registered device message."""
        return self.devices[(item.gateway_id, item.device_id or "")]

    def split(
        self, accepted: Iterable[Accepted]
    ) -> tuple[list[Accepted], list[tuple[Accepted, str]]]:
        """(registered, strays with the reason they are quarantined)."""
        registered: list[Accepted] = []
        strays: list[tuple[Accepted, str]] = []
        for item in accepted:
            gateway = self.gateways.get(item.gateway_id)
            if gateway is None:
                strays.append((item, "unregistered_gateway"))
            elif gateway.revoked:
                strays.append((item, "revoked_gateway"))
            elif (item.device_id is not None
                  and (item.gateway_id, item.device_id) not in self.devices):
                strays.append((item, "unregistered_device"))
            else:
                registered.append(item)
        return registered, strays
