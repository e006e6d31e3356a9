"""A secure Mosquitto (the project's real config), its admin connection, MQTT test clients."""

from __future__ import annotations

import contextlib
import itertools
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from app.gateways import dynsec
from app.gateways.broker_admin import BrokerAdmin, BrokerAdminSettings
from tests.support.mosquitto import REPO_ROOT, MosquittoBroker, TlsFiles
from tests.support.wait import wait_for

TOPIC_ROOT = "aed/v1"
_ids = itertools.count(1)


def admin_of(broker: MosquittoBroker, port: int | None = None) -> BrokerAdmin:
    return BrokerAdmin(BrokerAdminSettings(broker.host, port or broker.port,
                                           broker.admin.username, broker.admin.password))


def ingest_url(broker: MosquittoBroker) -> str:
    from app.gateways.broker_admin import account_url

    return account_url(broker.host, broker.port, broker.ingest.username, broker.ingest.password)


TLS_PORT = 8883  # the project's TLS listener; `broker.ports[TLS_PORT]` in a test


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="session")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A CA that did not sign the broker's certificate."""
    return make_certs(tmp_path_factory.mktemp("other-ca"), "not-our-ca")


@pytest.fixture
def secure_broker(tmp_path: Path, certs: TlsFiles) -> Iterator[MosquittoBroker]:
    """config/mosquitto.conf as it is: no anonymous access, dynamic security, TLS."""
    with MosquittoBroker(tmp_path / "secure-broker", secure=True, tls=certs) as broker:
        yield broker


@dataclass
class AgentProcess:
    """`python -m device_agent --config FILE` as a child process, output in a file."""

    config: Path
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> AgentProcess:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "device_agent", "--config", str(self.config)],
                cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_exit(self, timeout: float) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)


@pytest.fixture
def agents(tmp_path: Path) -> Iterator[Callable[[Path], AgentProcess]]:
    started: list[AgentProcess] = []

    def start(config: Path) -> AgentProcess:
        agent = AgentProcess(config, tmp_path / f"agent-{len(started) + 1}.log").start()
        started.append(agent)
        return agent

    yield start
    for agent in started:
        agent.stop()


@pytest.fixture
def admin(secure_broker: MosquittoBroker) -> BrokerAdmin:
    return admin_of(secure_broker)


def make_gateway(admin: BrokerAdmin, gateway_id: str, client_id: str | None = None) -> str:
    """A broker account for `gateway_id` (no database); returns its password."""
    password = dynsec.new_password()
    admin.execute(dynsec.create_gateway_commands(
        gateway_id, password, client_id or dynsec.default_client_id(gateway_id), TOPIC_ROOT))
    return password


@dataclass
class Probe:
    """A paho client that records what happens to it (connect result, messages, drops)."""

    client_id: str
    client: mqtt.Client
    connack: Any = None
    connected: threading.Event = field(default_factory=threading.Event)
    dropped: threading.Event = field(default_factory=threading.Event)
    messages: list[tuple[str, bytes]] = field(default_factory=list)
    subacks: list[list[Any]] = field(default_factory=list)

    def topics(self) -> list[str]:
        return [t for t, _ in list(self.messages)]

    def subscribe(self, topic: str) -> list[Any]:
        before = len(self.subacks)
        self.client.subscribe(topic, qos=1)
        wait_for(lambda: len(self.subacks) > before, 10, message="no SUBACK")
        return self.subacks[before]

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(10)
        assert info.is_published()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.disconnect()
        self.client.loop_stop()
        self.client._reset_sockets()  # else closed only by the garbage collector


class Clients:
    def __init__(self, broker: MosquittoBroker) -> None:
        self.broker = broker
        self.opened: list[Probe] = []

    def connect(
        self,
        username: str | None = None,
        password: str | None = None,
        client_id: str | None = None,
        port: int | None = None,
        ca_file: Path | None = None,
        expect_ok: bool = True,
    ) -> Probe:
        cid = client_id or f"sec-test-{next(_ids)}"
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=cid, protocol=mqtt.MQTTv311)
        # A refused or dropped client must stay down: reconnecting would hide the drop.
        client.reconnect_delay_set(60, 120)
        tc = Probe(cid, client)
        if username is not None:
            client.username_pw_set(username, password)
        if ca_file is not None:
            client.tls_set(ca_certs=str(ca_file))

        def on_connect(_c: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
            tc.connack = rc
            tc.connected.set()

        def on_disconnect(_c: mqtt.Client, _u: Any, _f: Any, _rc: Any, _p: Any) -> None:
            tc.dropped.set()

        def on_message(_c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
            tc.messages.append((msg.topic, bytes(msg.payload)))

        def on_subscribe(_c: mqtt.Client, _u: Any, _mid: int, rcs: Any, _p: Any) -> None:
            tc.subacks.append(list(rcs))

        client.on_connect = on_connect
        client.on_disconnect = on_disconnect
        client.on_message = on_message
        client.on_subscribe = on_subscribe
        client.connect(self.broker.host, port or self.broker.port, keepalive=30)
        client.loop_start()
        self.opened.append(tc)
        assert tc.connected.wait(10), "no CONNACK"
        if expect_ok:
            assert not tc.connack.is_failure, f"connect refused: {tc.connack}"
        return tc

    def close(self) -> None:
        for tc in self.opened:
            tc.close()


@pytest.fixture
def clients(secure_broker: MosquittoBroker) -> Iterator[Clients]:
    opened = Clients(secure_broker)
    yield opened
    opened.close()


def make_certs(directory: Path, name: str = "aed-test-ca") -> TlsFiles:
    """A throwaway CA and a server certificate for 127.0.0.1/localhost, with openssl."""
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to make test certificates")
    directory.mkdir(parents=True, exist_ok=True)

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
        "ca.crt", "-days", "2", "-subj", f"/CN={name}")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")
    (directory / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf")
    return TlsFiles(directory / "ca.crt", directory / "server.crt", directory / "server.key")
