"""`make run`'s device path: broker choice, its config, and the demo fleet layout."""

from __future__ import annotations

import socket
from pathlib import Path

from app.config import load_settings
from app.embedded_broker import (
    MOSQUITTO_CONF,
    broker_answers,
    demo_gateways,
    device_path,
    mosquitto_config,
)


def test_mosquitto_config_keeps_project_options_and_moves_machine_ones(tmp_path: Path) -> None:
    text = mosquitto_config(MOSQUITTO_CONF.read_text(), "127.0.0.1", 18999, tmp_path)
    lines = text.splitlines()
    assert "listener 18999 127.0.0.1" in lines
    assert "set_tcp_nodelay true" in lines and "autosave_on_changes false" in lines
    assert f"persistence_location {tmp_path}/" in lines
    assert "persistence_location /var/lib/mosquitto/" not in lines
    assert "log_type notice" not in lines


def test_demo_fleet_is_every_demo_gateway_but_the_silent_one() -> None:
    layout = demo_gateways()
    assert "gw-yp-001" in layout and "gw-yp-006" not in layout
    assert set(map(tuple, layout.values())) == {("cab-1",)}


def test_a_broker_that_answers_is_used_as_it_is(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert broker_answers("127.0.0.1", port)
        settings = load_settings({"MQTT_URL": f"mqtt://127.0.0.1:{port}",
                                  "DATA_DIR": str(tmp_path), "SECRET_KEY": "test-secret-key-0123456789"})
        names = [spec.name for spec in device_path(settings)]
    assert names == ["ingest", "gateways"]
    assert (tmp_path / "demo-gateways.json").exists()


def test_no_broker_starts_mosquitto_with_state_in_data_dir(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = load_settings({"MQTT_URL": f"mqtt://127.0.0.1:{port}",
                              "DATA_DIR": str(tmp_path), "SECRET_KEY": "test-secret-key-0123456789"})
    specs = device_path(settings)
    assert specs[0].name in {"mosquitto", "amqtt-broker"}
    if specs[0].name == "mosquitto":
        conf = tmp_path / "mosquitto" / "mosquitto.conf"
        assert f"listener {port} 127.0.0.1" in conf.read_text()
        assert "--no-shared" not in specs[1].argv
    else:
        assert "--no-shared" in specs[1].argv


def test_amqtt_fallback_broker_carries_qos1_messages(tmp_path: Path) -> None:
    """Without Mosquitto, `make run` uses this in-process broker: it must really work."""
    import subprocess
    import sys

    import paho.mqtt.client as mqtt

    from tests.support.mosquitto import free_port, port_accepts
    from tests.support.wait import wait_for

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "app.embedded_broker", "--host", "127.0.0.1",
                             "--port", str(port)])
    got: list[bytes] = []
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="fallback-sub")
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="fallback-pub")
    try:
        wait_for(lambda: port_accepts("127.0.0.1", port), timeout=30,
                 message="amqtt broker listening")
        sub.on_message = lambda _c, _u, msg: got.append(msg.payload)
        sub.on_connect = lambda c, *_: c.subscribe("aed/v1/gw/+/state", qos=1)
        sub.connect("127.0.0.1", port)
        sub.loop_start()
        wait_for(lambda: sub.is_connected(), timeout=10, message="subscriber connected")
        pub.connect("127.0.0.1", port)
        pub.loop_start()

        def delivered() -> bool:
            if not got:
                pub.publish("aed/v1/gw/gw-1/state", b'{"state":"online"}', qos=1)
            return bool(got)

        wait_for(delivered, timeout=15, interval=0.5, message="message through amqtt")
        assert got[0] == b'{"state":"online"}'
    finally:
        for client in (sub, pub):
            client.loop_stop()
            client.disconnect()
        proc.terminate()
        proc.wait(10)
