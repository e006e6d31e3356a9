"""Add, rotate and revoke gateways: database row, broker account and agent config together.

Order matters. The database change is made first (flushed, not committed), then the
broker is changed; a broker failure raises and the caller's transaction rolls back, so
a gateway never exists in the database without its broker account. The reverse (broker
changed, commit fails) leaves a broker account the database does not know: `add` and
`revoke` clear any leftover account of that name first, so repeating the command heals it.

The generated password is returned once (for the agent config) and kept only as a hash;
the broker keeps its own salted hash.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.passwords import hash_password
from app.config import Settings
from app.gateways import dynsec
from app.gateways.broker_admin import BrokerAdmin, BrokerAdminError
from app.models import Asset, Device, Gateway, Site


class ProvisioningError(ValueError):
    """A request that cannot be carried out (unknown site, gateway exists, ...)."""


#: What adding, rotating or revoking can fail with; each message is for the person who
#: asked (a bad id or device binding, an unknown site, the broker refusing).
PROVISIONING_ERRORS = (ProvisioningError, BrokerAdminError, ValueError)


DEFAULT_STATE_DIR = "/var/lib/aed-agent"


@dataclass(frozen=True)
class AgentEndpoint:
    """Where the gateway's agent connects; goes into the generated config file."""

    host: str
    port: int
    topic_root: str = "aed/v1"
    ca_file: str | None = None
    state_dir: str = DEFAULT_STATE_DIR

    @classmethod
    def for_settings(
        cls, settings: Settings, host: str | None = None, port: int | None = None,
        ca_file: str | None = None, state_dir: str = DEFAULT_STATE_DIR,
    ) -> AgentEndpoint:
        """The given host and port, else MQTT_URL's (127.0.0.1 and 1883 where it names
        none), under the app's topic root."""
        parsed = urlparse(settings.mqtt_url)
        return cls(host=host or parsed.hostname or "127.0.0.1", port=port or parsed.port or 1883,
                   topic_root=settings.mqtt_topic_root, ca_file=ca_file, state_dir=state_dir)


@dataclass(frozen=True)
class DeviceBinding:
    device_id: str
    asset_external_id: str | None = None

    @classmethod
    def parse(cls, text: str) -> DeviceBinding:
        """`cab-1` or `cab-1=AED-YP-001` (device id, optionally the asset it watches)."""
        device_id, _, asset = text.partition("=")
        return cls(dynsec.check_gateway_id(device_id.strip()), asset.strip() or None)


@dataclass(frozen=True)
class Provisioned:
    gateway_id: str
    password: str
    client_id: str
    agent_config: str


def add_gateway(
    session: Session,
    admin: BrokerAdmin,
    gateway_id: str,
    site_external_id: str,
    endpoint: AgentEndpoint,
    devices: Sequence[DeviceBinding] = (),
    client_id: str | None = None,
    name: str | None = None,
    simulated: bool = False,
) -> Provisioned:
    dynsec.check_gateway_id(gateway_id)
    site = session.scalar(select(Site).where(Site.external_id == site_external_id))
    if site is None:
        raise ProvisioningError(f"no site with external id {site_external_id!r}")
    existing = session.get(Gateway, gateway_id)
    if existing is not None and not existing.revoked:
        raise ProvisioningError(f"gateway {gateway_id} exists; use rotate for a new password")
    client_id = client_id or dynsec.default_client_id(gateway_id)
    password = dynsec.new_password()
    gateway = existing or Gateway(id=gateway_id)
    gateway.site_id = site.id
    gateway.name = name or gateway.name
    gateway.revoked = False
    gateway.password_hash = hash_password(password)
    if existing is None:
        session.add(gateway)
    session.flush()
    for binding in devices:
        _register_device(session, gateway_id, binding)
    session.flush()
    admin.execute(dynsec.delete_gateway_commands(gateway_id), ignore_missing=True)
    admin.execute(dynsec.create_gateway_commands(gateway_id, password, client_id,
                                                 endpoint.topic_root))
    device_ids = [b.device_id for b in devices] or _device_ids(session, gateway_id)
    return Provisioned(gateway_id, password, client_id, agent_config_toml(
        gateway_id, password, client_id, endpoint, device_ids, gateway.report_interval_s,
        simulated))


def rotate_gateway(
    session: Session, admin: BrokerAdmin, gateway_id: str, endpoint: AgentEndpoint,
    simulated: bool = False,
) -> Provisioned:
    """A new password; the old one stops working and a session using it is dropped."""
    gateway = _active(session, gateway_id)
    password = dynsec.new_password()
    gateway.password_hash = hash_password(password)
    session.flush()
    answer = admin.execute([{"command": "getClient", "username": gateway_id}])
    client_id = (answer[0].get("data", {}).get("client", {}).get("clientid")
                 or dynsec.default_client_id(gateway_id))
    admin.execute(dynsec.set_password_commands(gateway_id, password))
    return Provisioned(gateway_id, password, client_id, agent_config_toml(
        gateway_id, password, client_id, endpoint, _device_ids(session, gateway_id),
        gateway.report_interval_s, simulated))


def revoke_gateway(session: Session, admin: BrokerAdmin, gateway_id: str) -> None:
    """Delete the broker account (drops a live connection); ingest quarantines leftovers."""
    gateway = session.get(Gateway, dynsec.check_gateway_id(gateway_id))
    if gateway is None:
        raise ProvisioningError(f"no gateway {gateway_id}")
    gateway.revoked = True
    gateway.password_hash = None
    session.flush()
    admin.execute(dynsec.delete_gateway_commands(gateway_id), ignore_missing=True)


def upgrade_broker_roles(session: Session, admin: BrokerAdmin, topic_root: str) -> int:
    """Give the live broker's roles what this version needs (the ack topic for every
    gateway and for the server account); returns how many ACLs were added. Repeating it
    adds nothing."""
    roles = [dynsec.INGEST_ROLE] + [
        dynsec.gateway_role(gw) for gw in session.scalars(
            select(Gateway.id).where(Gateway.revoked.is_(False)).order_by(Gateway.id))
    ]
    answers = admin.execute([{"command": "getRole", "rolename": r} for r in roles],
                            ignore_missing=True)
    commands: list[dict[str, Any]] = []
    for rolename, answer in zip(roles, answers, strict=True):
        role = answer.get("data", {}).get("role")
        want = dynsec.wanted_role_acls(rolename, topic_root)
        if role is None or want is None:
            continue  # no broker account (an unmanaged gateway): nothing to upgrade
        commands += dynsec.add_role_acl_commands(
            rolename, dynsec.missing_acls(role.get("acls", []), want))
    if commands:
        admin.execute(commands)
    return len(commands)


@dataclass(frozen=True)
class GatewayListing:
    gateway_id: str
    site: str | None
    state: str
    last_seen_at: datetime | None
    revoked: bool
    has_credentials: bool
    devices: tuple[str, ...]


def list_gateways(session: Session) -> list[GatewayListing]:
    devices: dict[str, list[str]] = {}
    for gw, dev in session.execute(
        select(Device.gateway_id, Device.device_id).order_by(Device.device_id)
    ):
        devices.setdefault(gw, []).append(dev)
    rows = session.execute(
        select(Gateway, Site.external_id).outerjoin(Site, Gateway.site_id == Site.id)
        .order_by(Gateway.id)
    )
    return [
        GatewayListing(g.id, site, g.state, g.last_seen_at, g.revoked,
                       g.password_hash is not None, tuple(devices.get(g.id, ())))
        for g, site in rows
    ]


def _active(session: Session, gateway_id: str) -> Gateway:
    gateway = session.get(Gateway, dynsec.check_gateway_id(gateway_id))
    if gateway is None:
        raise ProvisioningError(f"no gateway {gateway_id}")
    if gateway.revoked:
        raise ProvisioningError(f"gateway {gateway_id} is revoked; add it again instead")
    return gateway


def _register_device(session: Session, gateway_id: str, binding: DeviceBinding) -> None:
    device = session.scalar(select(Device).where(
        Device.gateway_id == gateway_id, Device.device_id == binding.device_id))
    if device is None:
        device = Device(gateway_id=gateway_id, device_id=binding.device_id)
        session.add(device)
        session.flush()
    if binding.asset_external_id is None:
        return
    asset = session.scalar(select(Asset).where(Asset.external_id == binding.asset_external_id))
    if asset is None:
        raise ProvisioningError(f"no asset with external id {binding.asset_external_id!r}")
    asset.device_pk = device.id


def _device_ids(session: Session, gateway_id: str) -> list[str]:
    return list(session.scalars(
        select(Device.device_id).where(Device.gateway_id == gateway_id).order_by(Device.device_id)
    ))


def _toml_value(value: Any) -> str:
    # JSON strings are valid TOML basic strings for the characters we write.
    return json.dumps(value) if isinstance(value, str) else str(value)


def agent_config_toml(
    gateway_id: str,
    password: str,
    client_id: str,
    endpoint: AgentEndpoint,
    device_ids: Sequence[str],
    report_interval_s: int,
    simulated: bool = False,
) -> str:
    """A complete config for `python -m device_agent --config FILE` (keep it 0600)."""
    v = _toml_value
    lines = [
        f"# Agent config for gateway {gateway_id}, generated by `flask --app app gateway`.",
        "# It holds the gateway's MQTT password: keep it readable by the agent only (0600).",
        "# Reference of every key: docs/agent.md.",
        f"gateway_id = {v(gateway_id)}",
        f"state_dir = {v(endpoint.state_dir)}",
        f"report_interval_s = {report_interval_s}",
        "",
        "[mqtt]",
        f"host = {v(endpoint.host)}",
        f"port = {endpoint.port}",
        f"username = {v(gateway_id)}",
        f"password = {v(password)}",
        f"client_id = {v(client_id)}",
        f"topic_root = {v(endpoint.topic_root)}",
    ]
    if endpoint.ca_file:
        lines += ["", "[mqtt.tls]", f"ca_file = {v(endpoint.ca_file)}"]
    for device_id in device_ids:
        if simulated:
            lines += ["", "[[devices]]", f"id = {v(device_id)}", 'driver = "simulated"']
        else:
            lines += ["", f"# Device {device_id}: add its drivers (docs/agent.md), e.g.",
                      "# [[devices]]", f"# id = {v(device_id)}", '# driver = "gpio_door"']
    return "\n".join(lines) + "\n"
