"""This version's agent and server together, through the shipped broker ACL; the agent
with acks off against the new server; the new agent against a server that never acks."""

from __future__ import annotations

import itertools
import json
import signal
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from flask import Flask
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.orm import Session

from app.extensions import get_settings
from app.gateways import dynsec
from app.gateways.broker_admin import BrokerAdmin, BrokerAdminSettings, account_url
from app.ingest.service import IngestOptions, IngestService
from tests.agent.conftest import AgentProcess, agent_config, to_toml
from tests.delivery.fleet import outbox_depth, read_journal, stored_rows
from tests.ingest.factory import register
from tests.ingest.processes import IngestProcess, wait_subscribed
from tests.support.mosquitto import MosquittoBroker
from tests.support.wait import wait_for

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]
GW = "gw-test-1"


def start_agent(tmp_path: Path, port: int, **overrides: Any) -> tuple[AgentProcess, Path]:
    journal = tmp_path / "journal"
    journal.mkdir(exist_ok=True)
    cfg = agent_config(tmp_path, port, observed_log=str(journal / f"{GW}.observed"),
                       delivery_log=str(journal / f"{GW}.delivery"), **overrides)
    config = tmp_path / "agent.toml"
    config.write_text(to_toml(cfg))
    agent = AgentProcess(config, tmp_path / "agent.log").start()
    return agent, Path(cfg["state_dir"]) / "outbox.sqlite3"


def drain_and_stop(agent: AgentProcess, outbox: Path) -> None:
    assert agent.process is not None
    agent.process.send_signal(signal.SIGUSR1)  # no new readings; deliver the outbox
    wait_for(lambda: outbox_depth(outbox) == 0, 60,
             message=lambda: f"outbox to empty ({outbox_depth(outbox)} left):\n"
                             f"{agent.log()[-2000:]}")
    assert agent.terminate() == 0


def test_agent_and_server_of_this_version_through_the_shipped_acl(
    db: Session, database_url: str, tmp_path: Path
) -> None:
    register(db, GW, ("aed-01",))
    with MosquittoBroker(tmp_path / "secure-broker", secure=True) as broker:
        admin = BrokerAdmin(BrokerAdminSettings(broker.host, broker.port,
                                                broker.admin.username, broker.admin.password))
        password = dynsec.new_password()
        admin.execute(dynsec.create_gateway_commands(GW, password, f"aed-agent-{GW}",
                                                     "aed/v1"))
        ingest = IngestProcess(database_url, broker, tmp_path / "ingest")
        ingest.env["MQTT_URL"] = account_url(broker.host, broker.port, broker.ingest.username,
                                             broker.ingest.password)
        ingest.start()
        agent, outbox = start_agent(tmp_path, broker.port, mqtt={
            "host": "127.0.0.1", "port": broker.port, "username": GW, "password": password,
            "reconnect_min_s": 0.1, "reconnect_max_s": 0.5, "keepalive_s": 5})
        try:
            wait_subscribed(db, ingest)
            journal = tmp_path / "journal"
            wait_for(lambda: len(read_journal(journal, "delivery", "acked")) >= 10, 30,
                     message=lambda: f"acks through the ACL:\n{agent.log()[-2000:]}")
            drain_and_stop(agent, outbox)
        finally:
            agent.cleanup()
            if ingest.alive:
                ingest.kill()
    observed = read_journal(journal, "observed")
    assert observed <= set(stored_rows(db, [GW]))
    assert read_journal(journal, "delivery", "acked") == observed


def test_an_agent_with_acks_off_works_against_the_new_server(
    db: Session, database_url: str, tmp_path: Path
) -> None:
    register(db, GW, ("aed-01",))
    with MosquittoBroker(tmp_path / "broker") as broker:
        ingest = IngestProcess(database_url, broker, tmp_path / "ingest").start()
        journal = tmp_path / "journal"
        agent: AgentProcess | None = None
        try:
            # Only once ingest's session exists: a message the broker PUBACKs with no
            # subscriber is gone, and on PUBACK this agent forgets it.
            wait_subscribed(db, ingest)
            agent, outbox = start_agent(tmp_path, broker.port, outbox={"delivery": "puback"})
            wait_for(lambda: len(stored_rows(db, [GW])) >= 20, 30, message=agent.log)
            drain_and_stop(agent, outbox)
            observed = read_journal(journal, "observed")
            wait_for(lambda: observed <= set(stored_rows(db, [GW])), 60,
                     message=lambda: f"all stored; missing "
                                     f"{sorted(observed - set(stored_rows(db, [GW])))[:10]}; "
                                     f"ingest log:\n{ingest.log()[-2000:]}")
        finally:
            if agent is not None:
                agent.cleanup()
            if ingest.alive:
                ingest.kill()
    # Deleted on PUBACK: the agent never subscribed to its acks.
    assert read_journal(journal, "delivery", "acked") == set()
    assert read_journal(journal, "delivery", "puback") == observed


class Copies:
    """Every copy of every agent message, with its arrival time."""

    def __init__(self, broker: MosquittoBroker) -> None:
        self.seen: dict[str, list[tuple[float, bool]]] = {}
        self.lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="copies")
        done = threading.Event()
        self.client.on_subscribe = lambda *a: done.set()
        self.client.on_connect = lambda c, *a: c.subscribe(f"aed/v1/gw/{GW}/dev/+/telemetry", 1)
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        assert done.wait(10)

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        body = json.loads(msg.payload)
        with self.lock:
            self.seen.setdefault(body["msg_id"], []).append((time.monotonic(), body["replay"]))

    def of(self, msg_id: str) -> list[tuple[float, bool]]:
        with self.lock:
            return list(self.seen.get(msg_id, []))

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_a_new_agent_against_a_server_that_never_acks_resends_ever_slower_and_keeps_all(
    app: Flask, db: Session, tmp_path: Path
) -> None:
    register(db, GW, ("aed-01",))
    with MosquittoBroker(tmp_path / "broker") as broker:
        copies = Copies(broker)
        # An older server: it stores, PUBACKs after the commit, and never acks.
        old = IngestService(get_settings(app), IngestOptions(
            client_id="ingest-old", batch_ms=20.0, gateway_acks=False), mqtt_url=broker.url)
        old.start()
        assert old.consumer.subscribed.wait(60)
        agent, outbox = start_agent(tmp_path, broker.port, report_interval_s=0.5,
                                    heartbeat_interval_s=30.0,
                                    outbox={"ack_timeout_s": 0.4, "ack_timeout_max_s": 1.6})
        try:
            wait_for(lambda: copies.seen, 15, message="the agent's first telemetry")
            first = min(copies.seen, key=lambda m: int(m.split("-")[1]))
            # Sent again and again as a replay, each wait longer, up to the cap.
            wait_for(lambda: len(copies.of(first)) >= 6, 30,
                     message=lambda: f"resends of {first}: {copies.of(first)}")
            times = [t for t, _ in copies.of(first)]
            gaps = [b - a for a, b in itertools.pairwise(times)]
            assert all(replay for _, replay in copies.of(first)[1:])
            # Each wait at least the doubled timeout (load only lengthens them), and the
            # cap holds: no flood, and no giving up either.
            waits = [min(0.4 * 2 ** i, 1.6) for i in range(len(gaps))]
            assert all(gap >= 0.9 * wait for gap, wait in zip(gaps, waits, strict=True)), gaps
            assert gaps[-1] < 4 * 1.6, gaps
            stored = wait_for(lambda: set(stored_rows(db, [GW])), 15, message="stored rows")
            assert outbox_depth(outbox) >= len(stored)  # stored, and still kept: all of them
            assert "no ack from the server" in agent.log()
            old.stop()
            # The server is upgraded: the next acks empty the outbox.
            new = IngestService(get_settings(app), IngestOptions(
                client_id="ingest-old", batch_ms=20.0), mqtt_url=broker.url)
            new.start()
            try:
                drain_and_stop(agent, outbox)
            finally:
                new.stop()
        finally:
            agent.cleanup()
            copies.close()
    observed = read_journal(tmp_path / "journal", "observed")
    assert observed <= set(stored_rows(db, [GW]))
