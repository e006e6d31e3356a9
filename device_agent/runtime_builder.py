"""Build a GatewayRuntime from a validated AgentConfig."""

from __future__ import annotations

from device_agent.config import AgentConfig
from device_agent.drivers import build_driver
from device_agent.gateway import Device, GatewayRuntime, Intervals
from device_agent.link import LinkSettings
from device_agent.outbox import OutboxStore
from device_agent.protocol.broker import BrokerEndpoint


def link_settings(cfg: AgentConfig) -> LinkSettings:
    m = cfg.mqtt
    return LinkSettings(
        broker=BrokerEndpoint(m.host, m.port, tls=m.tls is not None, username=m.username,
                              password=m.resolved_password()),
        client_id=m.client_id or f"aed-agent-{cfg.gateway_id}",
        tls_files=m.tls,
        keepalive_s=m.keepalive_s,
        max_inflight=m.max_inflight,
        reconnect_min_s=m.reconnect_min_s,
        reconnect_max_s=m.reconnect_max_s,
        connect_timeout_s=m.connect_timeout_s,
    )


def devices_from(cfg: AgentConfig) -> list[Device]:
    # Several entries may share a device id: their readings merge (door + temp + status).
    by_id: dict[str, Device] = {}
    for entry in cfg.devices:
        driver = build_driver(entry.driver, entry.id, entry.options)
        by_id.setdefault(entry.id, Device(entry.id, [])).drivers.append(driver)
    return list(by_id.values())


def build_runtime(cfg: AgentConfig) -> tuple[OutboxStore, GatewayRuntime]:
    store = OutboxStore(cfg.state_dir / "outbox.sqlite3", cfg.outbox.synchronous)
    runtime = GatewayRuntime(
        gateway_id=cfg.gateway_id,
        outbox=store.outbox(cfg.gateway_id, cfg.outbox.max_messages),
        devices=devices_from(cfg),
        link=link_settings(cfg),
        intervals=Intervals(cfg.poll_interval_s, cfg.report_interval_s, cfg.heartbeat_interval_s),
        thresholds=cfg.thresholds,
        root=cfg.mqtt.topic_root,
        observed_log=cfg.observed_log,
        delivery=cfg.outbox.delivery_settings(),
        delivery_log=cfg.delivery_log,
    )
    return store, runtime
