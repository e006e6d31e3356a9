"""`flask --app app gateway add|rotate|revoke|list|broker-init|broker-upgrade`: gateway
credentials."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from app.audit import Actor, attach_actor
from app.extensions import get_db, get_settings
from app.gateways.broker_admin import BrokerAdmin
from app.gateways.broker_bootstrap import write_bootstrap, write_secret
from app.gateways.provisioning import (
    DEFAULT_STATE_DIR,
    PROVISIONING_ERRORS,
    AgentEndpoint,
    DeviceBinding,
    Provisioned,
    add_gateway,
    list_gateways,
    revoke_gateway,
    rotate_gateway,
    upgrade_broker_roles,
)

CLI_ACTOR = Actor(None, "cli")


@click.group("gateway")
def gateway() -> None:
    """Provision gateways: broker account, password and agent config."""


@contextmanager
def _provisioning() -> Iterator[Session]:
    """A unit of work done as the CLI; a refused request ends the command with its
    message."""
    try:
        with get_db().session() as session:
            attach_actor(session, CLI_ACTOR)
            yield session
    except PROVISIONING_ERRORS as exc:
        raise click.ClickException(str(exc)) from exc


def _admin() -> BrokerAdmin:
    return BrokerAdmin.from_settings(get_settings())


def _endpoint(host: str | None, port: int | None, ca_file: str | None,
              state_dir: str) -> AgentEndpoint:
    return AgentEndpoint.for_settings(get_settings(), host, port, ca_file, state_dir)


def _hand_out(result: Provisioned, out: Path | None) -> None:
    if out is None:
        click.echo(result.agent_config, nl=False)
        click.echo(f"# password shown once; client id {result.client_id}", err=True)
    else:
        write_secret(out, result.agent_config)
        click.echo(f"gateway {result.gateway_id}: agent config written to {out} (mode 0600, "
                   f"holds the password; it is not shown again); client id {result.client_id}")


_endpoint_options = [
    click.option("--host", default=None, help="broker host the agent connects to"),
    click.option("--port", type=int, default=None, help="broker port (8883 for TLS)"),
    click.option("--ca-file", default=None, help="CA file path on the gateway (enables TLS)"),
    click.option("--state-dir", default=DEFAULT_STATE_DIR, show_default=True),
    click.option("--simulated", is_flag=True, help="simulated drivers (demo and tests)"),
    click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
                 help="write the agent config here (0600) instead of stdout"),
]


def endpoint_options(func: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(_endpoint_options):
        func = option(func)
    return func


@gateway.command("add")
@click.argument("gateway_id")
@click.option("--site", "site_external_id", required=True, help="site external id")
@click.option("--device", "devices", multiple=True,
              help="device id, or DEVICE=ASSET_EXTERNAL_ID to bind an asset (repeatable)")
@click.option("--client-id", default=None, help="bound MQTT client id (default aed-agent-ID)")
@click.option("--name", default=None)
@endpoint_options
@with_appcontext
def add_cmd(gateway_id: str, site_external_id: str, devices: tuple[str, ...],
            client_id: str | None, name: str | None, host: str | None, port: int | None,
            ca_file: str | None, state_dir: str, simulated: bool, out: Path | None) -> None:
    """Create gateway GATEWAY_ID with a broker account and print its agent config."""
    with _provisioning() as session:
        bindings = [DeviceBinding.parse(d) for d in devices]
        result = add_gateway(session, _admin(), gateway_id, site_external_id,
                             _endpoint(host, port, ca_file, state_dir), bindings,
                             client_id=client_id, name=name, simulated=simulated)
    _hand_out(result, out)


@gateway.command("rotate")
@click.argument("gateway_id")
@endpoint_options
@with_appcontext
def rotate_cmd(gateway_id: str, host: str | None, port: int | None, ca_file: str | None,
               state_dir: str, simulated: bool, out: Path | None) -> None:
    """New password for GATEWAY_ID; the old one stops working at once."""
    with _provisioning() as session:
        result = rotate_gateway(session, _admin(), gateway_id,
                                _endpoint(host, port, ca_file, state_dir), simulated)
    _hand_out(result, out)


@gateway.command("revoke")
@click.argument("gateway_id")
@with_appcontext
def revoke_cmd(gateway_id: str) -> None:
    """Delete GATEWAY_ID's broker account (drops it now); its messages are quarantined."""
    with _provisioning() as session:
        revoke_gateway(session, _admin(), gateway_id)
    click.echo(f"gateway {gateway_id} revoked")


@gateway.command("broker-upgrade")
@with_appcontext
def broker_upgrade_cmd() -> None:
    """Give the live broker's roles what this version needs (each gateway may read its
    own ack topic; the server account may write it). Safe to repeat."""
    with _provisioning() as session:
        added = upgrade_broker_roles(session, _admin(), get_settings().mqtt_topic_root)
    click.echo(f"broker roles upgraded: {added} ACL(s) added")


@gateway.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def list_cmd(as_json: bool) -> None:
    """Gateways with site, state, credentials and devices."""
    with get_db().session() as session:
        rows = list_gateways(session)
    if as_json:
        click.echo(json.dumps([{
            "id": r.gateway_id, "site": r.site, "state": r.state, "revoked": r.revoked,
            "has_credentials": r.has_credentials, "devices": list(r.devices),
            "last_seen_at": r.last_seen_at.isoformat() if r.last_seen_at else None,
        } for r in rows], indent=1))
        return
    for r in rows:
        status = "revoked" if r.revoked else ("provisioned" if r.has_credentials else "unmanaged")
        click.echo(f"{r.gateway_id:<20} {r.site or '-':<24} {r.state:<8} {status:<14} "
                   f"{','.join(r.devices) or '-'}")


@gateway.command("broker-init")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="dynamic-security file to create (plugin_opt_config_file)")
@click.option("--accounts", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="where to write the admin and ingest URLs with passwords (0600)")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=1883, show_default=True)
@click.option("--force", is_flag=True, help="overwrite an existing file")
@with_appcontext
def broker_init_cmd(out: Path, accounts: Path, host: str, port: int, force: bool) -> None:
    """Create the broker's first dynamic-security file: admin and ingest accounts."""
    if out.exists() and not force:
        raise click.ClickException(f"{out} exists (it may hold live accounts); --force to replace")
    write_bootstrap(out, accounts, host, port, get_settings().mqtt_topic_root)
    click.echo(f"wrote {out}; account URLs in {accounts}: set MQTT_ADMIN_URL for the web "
               f"and CLI, and MQTT_URL for ingest")

