"""GatewayRuntime without a broker: storing while offline, eviction in the heartbeat."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from device_agent.drivers import build_driver
from device_agent.gateway import Device, GatewayRuntime, Intervals
from device_agent.link import LinkSettings
from device_agent.outbox import OutboxStore
from device_agent.protocol import Thresholds, decode
from device_agent.protocol.broker import BrokerEndpoint
from tests.support.mosquitto import free_port


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def offline_runtime(tmp_path: Path, max_messages: int, faults: list[dict[str, Any]]) -> Any:
    store = OutboxStore(tmp_path / "o.db")
    clock = FakeClock()
    driver = build_driver("simulated", "aed-01", {"seed": 3, "faults": faults})
    rt = GatewayRuntime(
        gateway_id="gw-1",
        outbox=store.outbox("gw-1", max_messages),
        devices=[Device("aed-01", [driver])],
        # Nobody listens on this port: every connect attempt fails fast.
        link=LinkSettings(
            broker=BrokerEndpoint("127.0.0.1", free_port()),
            client_id="t",
            reconnect_min_s=0.5,
            reconnect_max_s=1.0,
        ),
        intervals=Intervals(poll_s=1.0, report_s=1.0, heartbeat_s=5.0),
        thresholds=Thresholds(),
        root="aed/v1",
        clock=clock,
    )
    return store, rt, clock


def run(store: OutboxStore, rt: GatewayRuntime, clock: FakeClock, seconds: int) -> None:
    for _ in range(seconds):
        clock.now += 1.0
        rt.tick(clock.now)
        store.commit()
        rt.after_commit()


def test_offline_agent_stores_everything_in_order(tmp_path: Path) -> None:
    store, rt, clock = offline_runtime(tmp_path, 1000, [])
    run(store, rt, clock, 30)
    rows = rt.outbox.rows_after(0, 1000)
    assert not rt.connection.connected and rt.connection.client is None
    seqs = [json.loads(r.payload)["seq"] for r in rows]
    assert seqs == list(range(1, len(rows) + 1)) and len(rows) >= 30
    for row in rows:
        decode(row.topic, row.payload)  # every stored message is valid protocol


def test_full_outbox_evicts_telemetry_keeps_events_and_reports(tmp_path: Path) -> None:
    faults = [{"fault": "door_open", "at_s": 5 * i, "duration_s": 2} for i in range(1, 12)]
    store, rt, clock = offline_runtime(tmp_path, 20, faults)
    run(store, rt, clock, 60)
    rows = rt.outbox.rows_after(0, 1000)
    kinds = [r.topic.rsplit("/", 1)[-1] for r in rows]
    events = [json.loads(r.payload) for r in rows if r.topic.endswith("/event")]
    assert kinds.count("event") == len(events) >= 20  # 11 opens + 11 closes, none evicted
    assert rt.outbox.evicted_total > 0
    evicted_before = rt.outbox.evicted_total
    rt.send_heartbeat(clock.now)
    store.commit()
    last = rt.outbox.rows_after(0, 1000)[-1]
    hb = json.loads(last.payload)
    # The heartbeat reports what was evicted before it (storing it may evict one more).
    assert last.topic.endswith("/heartbeat") and hb["evicted"] == evicted_before
    assert hb["outbox_depth"] >= 20
