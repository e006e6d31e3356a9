"""The reusable test broker: built from config/mosquitto.conf, killable, restartable."""

from __future__ import annotations

import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import paho.mqtt.publish as publish
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.support.mosquitto import PROJECT_CONF, MosquittoBroker, build_config, port_accepts
from tests.support.wait import wait_for

pytestmark = pytest.mark.mqtt


def test_project_config_has_the_required_settings() -> None:
    lines = {line.strip() for line in PROJECT_CONF.read_text().splitlines()}
    for needed in (
        "set_tcp_nodelay true",
        "persistence true",
        # Periodic, not per change: end-to-end acks make the broker's disk optional.
        "autosave_on_changes false",
        "autosave_interval 300",
        "listener 1883 127.0.0.1",
    ):
        assert needed in lines


def test_build_config_moves_listeners_and_machine_paths(tmp_path: Path) -> None:
    source = (
        "persistence_location /var/lib/mosquitto/\nlog_dest syslog\nlistener 1883\n"
        "allow_anonymous true\nlistener 8883 0.0.0.0\ncafile /etc/ca.crt\n"
    )
    text = build_config(
        source,
        {1883: 40001, 8883: 40002},
        tmp_path,
        overrides={"allow_anonymous": "false", "password_file": "/p"},
        extra_lines=["acl_file /a"],
    )
    lines = text.splitlines()
    assert "listener 40001 127.0.0.1" in lines and "listener 40002 127.0.0.1" in lines
    assert "allow_anonymous false" in lines and "password_file /p" in lines
    assert "cafile /etc/ca.crt" in lines and lines[-1] == "acl_file /a"
    assert f"persistence_location {tmp_path}/" in lines
    assert "log_dest syslog" not in lines and "/var/lib/mosquitto/" not in text


def retained(broker: MosquittoBroker, topic: str) -> bytes | None:
    got: list[bytes] = []
    done = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)

    def on_subscribe(c: mqtt.Client, u: object, mid: int, rcs: object, p: object) -> None:
        # Retained messages are sent before the SUBACK is processed here; ping to flush.
        c.publish("probe/flush", b"", qos=1)

    def on_message(c: mqtt.Client, u: object, msg: mqtt.MQTTMessage) -> None:
        got.append(bytes(msg.payload))
        done.set()

    def on_publish(c: mqtt.Client, u: object, mid: int, rc: object, p: object) -> None:
        done.set()

    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.on_publish = on_publish
    client.connect(broker.host, broker.port)
    client.loop_start()
    done.wait(10)
    client.disconnect()
    client.loop_stop()
    return got[0] if got else None


def test_kill9_and_restart_keep_port_and_retained(tmp_path: Path) -> None:
    # Per-change saving, so the kill finds the retained message on disk (the shipped
    # config saves every 5 minutes; what is lost then is covered by end-to-end acks).
    broker = MosquittoBroker(tmp_path / "b", overrides={
        "autosave_on_changes": "true", "autosave_interval": "1"}).start()
    try:
        port = broker.port
        publish.single("t/kept", b"v1", qos=1, retain=True, hostname=broker.host, port=port)
        # The broker saves right after the change, a moment after its PUBACK: wait for it.
        db = broker.persistence_dir / "mosquitto.db"
        wait_for(lambda: db.exists() and b"t/kept" in db.read_bytes(), 10, message="autosave")
        broker.kill()
        assert not port_accepts(broker.host, port)
        broker.start()
        assert broker.port == port
        assert retained(broker, "t/kept") == b"v1"  # autosave_on_changes made it durable
        broker.restart()
        assert retained(broker, "t/kept") == b"v1"
    finally:
        broker.stop()
    assert not broker.running
