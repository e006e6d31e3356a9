"""The TLS listener of config/mosquitto.conf: the agent verifies the broker against its CA."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from app.gateways.provisioning import AgentEndpoint, agent_config_toml
from tests.security.conftest import TLS_PORT, AgentProcess, Clients, make_gateway
from tests.support.mosquitto import MosquittoBroker, TlsFiles
from tests.support.wait import wait_for

pytestmark = pytest.mark.mqtt


def write_config(tmp_path: Path, name: str, password: str, port: int, ca: Path) -> Path:
    endpoint = AgentEndpoint("127.0.0.1", port, ca_file=str(ca), state_dir=str(tmp_path / name))
    path = tmp_path / f"{name}.toml"
    path.write_text(agent_config_toml("gwA", password, "aed-agent-gwA", endpoint, ["cab-1"],
                                      60, simulated=True))
    return path


def test_agent_connects_over_tls_and_a_wrong_ca_fails_clearly(
    tmp_path: Path, secure_broker: MosquittoBroker, clients: Clients, certs: TlsFiles,
    other_ca: TlsFiles, agents: Callable[[Path], AgentProcess],
) -> None:
    from app.gateways.broker_admin import BrokerAdmin, BrokerAdminSettings

    admin = BrokerAdmin(BrokerAdminSettings(secure_broker.host, secure_broker.port,
                                            secure_broker.admin.username,
                                            secure_broker.admin.password))
    password = make_gateway(admin, "gwA")
    tls_port = secure_broker.ports[TLS_PORT]
    sub = clients.connect(secure_broker.ingest.username, secure_broker.ingest.password)
    sub.subscribe("aed/v1/#")

    bad = agents(write_config(tmp_path, "bad", password, tls_port, other_ca.cafile))
    wait_for(lambda: "certificate verify failed" in bad.log(), 20,
             message=lambda: bad.log()[-800:])
    assert not sub.messages
    bad.stop()

    good = agents(write_config(tmp_path, "good", password, tls_port, certs.cafile))
    wait_for(lambda: "aed/v1/gw/gwA/dev/cab-1/telemetry" in sub.topics(), 20,
             message=lambda: good.log()[-800:])


def test_the_tls_listener_still_needs_credentials(
    secure_broker: MosquittoBroker, clients: Clients, certs: TlsFiles
) -> None:
    port = secure_broker.ports[TLS_PORT]
    anonymous = clients.connect(port=port, ca_file=certs.cafile, expect_ok=False)
    assert anonymous.connack.is_failure
    ingest = secure_broker.ingest
    clients.connect(ingest.username, ingest.password, port=port, ca_file=certs.cafile)
