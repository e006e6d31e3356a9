"""`make run` starts Mosquitto secured: demo gateways and the server log in with accounts."""

from __future__ import annotations

import json
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import load_settings
from app.embedded_broker import MOSQUITTO_CONF, device_path, mosquitto_config, server_env
from app.gateways.broker_admin import BrokerAdminSettings
from tests.security.conftest import Clients
from tests.support.mosquitto import free_port, mosquitto_binary, port_accepts
from tests.support.wait import wait_for

pytestmark = pytest.mark.mqtt


class _Broker:
    host = "127.0.0.1"

    def __init__(self, port: int) -> None:
        self.port = port


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[tuple[Path, _Broker]]:
    port = free_port()
    settings = load_settings({"MQTT_URL": f"mqtt://127.0.0.1:{port}",
                              "DATA_DIR": str(tmp_path), "SECRET_KEY": "test-secret-key-0123456789"})
    specs = {s.name: s for s in device_path(settings)}
    if "mosquitto" not in specs:
        pytest.fail("mosquitto is installed (mosquitto_binary) but make run did not pick it")
    assert specs["mosquitto"].argv[0] == mosquitto_binary()
    with (tmp_path / "broker.log").open("wb") as log:
        proc = subprocess.Popen(specs["mosquitto"].argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: port_accepts("127.0.0.1", port), 10)
        yield tmp_path, _Broker(port)
    finally:
        proc.terminate()
        proc.wait(10)


def test_embedded_config_is_the_secure_one_without_tls(tmp_path: Path) -> None:
    text = mosquitto_config(MOSQUITTO_CONF.read_text(), "127.0.0.1", 18999, tmp_path)
    lines = text.splitlines()
    assert "allow_anonymous false" in lines
    assert f"plugin_opt_config_file {tmp_path / 'dynamic-security.json'}" in lines
    assert not any(line.startswith(("certfile", "listener 8883")) for line in lines)
    assert [line for line in lines if line.startswith("listener")] == [
        "listener 18999 127.0.0.1"]


def test_make_run_broker_admits_demo_gateways_and_server_only(
    embedded: tuple[Path, _Broker]
) -> None:
    data_dir, broker = embedded
    state = data_dir / "mosquitto"
    for name in ("dynamic-security.json", "broker-accounts.json",
                 "simulator-credentials.json"):
        assert stat.S_IMODE((state / name).stat().st_mode) == 0o600, name
    creds = json.loads((state / "simulator-credentials.json").read_text())
    assert "gw-yp-001" in creds and "gw-yp-006" not in creds  # the silent demo gateway
    settings = load_settings({"DATA_DIR": str(data_dir), "SECRET_KEY": "test-secret-key-0123456789"})
    server = BrokerAdminSettings.from_url(server_env(settings)["MQTT_URL"])

    clients = Clients(broker)  # type: ignore[arg-type]
    try:
        gw = creds["gw-yp-001"]
        clients.connect(gw["username"], gw["password"], "aed-sim-gw-yp-001")
        clients.connect(server.username, server.password, "aed-ingest-embedded")
        assert clients.connect(expect_ok=False).connack.is_failure
        stolen = clients.connect(gw["username"], gw["password"], "aed-sim-gw-yp-002",
                                 expect_ok=False)
        assert stolen.connack.is_failure
    finally:
        clients.close()
