"""The project's Mosquitto config, secured: who may connect, publish and read what.

Every test runs the real config/mosquitto.conf with its dynamic-security plugin.
MQTT 3.1.1 tells a publisher nothing when the ACL drops its message, so every "denied"
is checked from the subscriber side, behind a barrier message that did get through.
"""

from __future__ import annotations

import pytest

from app.gateways import dynsec
from app.gateways.broker_admin import BrokerAdmin, BrokerAdminError
from tests.security.conftest import Clients, Probe, make_gateway
from tests.support.mosquitto import MosquittoBroker
from tests.support.wait import wait_for

pytestmark = pytest.mark.mqtt
ROOT = "aed/v1"


def ingest_listener(clients: Clients, broker: MosquittoBroker, shared: bool = False) -> Probe:
    sub = clients.connect(broker.ingest.username, broker.ingest.password, "aed-ingest-test")
    topic = f"$share/ingest/{ROOT}/#" if shared else f"{ROOT}/#"
    assert sub.subscribe(topic)[0].value == 1  # granted QoS 1
    return sub


def barrier(sub: Probe, publisher: Probe, topic: str) -> None:
    """A message `publisher` may send; once it arrives, everything sent before it has too."""
    publisher.publish(topic, b"barrier")
    wait_for(lambda: topic in sub.topics(), 10, message=lambda: f"got {sub.topics()}")


@pytest.mark.parametrize("shared", [False, True], ids=["plain", "shared-subscription"])
def test_a_gateway_cannot_publish_as_another(
    secure_broker: MosquittoBroker, admin: BrokerAdmin, clients: Clients, shared: bool
) -> None:
    pw_a = make_gateway(admin, "gwA")
    make_gateway(admin, "gwB")
    sub = ingest_listener(clients, secure_broker, shared)
    gw_a = clients.connect("gwA", pw_a, "aed-agent-gwA")

    for topic in (f"{ROOT}/gw/gwB/state", f"{ROOT}/gw/gwB/heartbeat",
                  f"{ROOT}/gw/gwB/dev/cab-1/telemetry", f"{ROOT}/gw/gwB/dev/cab-1/event",
                  f"{ROOT}/gw/gwA/config", f"{ROOT}/other", "aed/v2/gw/gwA/state"):
        gw_a.publish(topic, b'{"spoof": true}')
    barrier(sub, gw_a, f"{ROOT}/gw/gwA/heartbeat")
    assert sub.topics() == [f"{ROOT}/gw/gwA/heartbeat"]


def test_a_gateway_reads_only_its_own_config(
    secure_broker: MosquittoBroker, admin: BrokerAdmin, clients: Clients
) -> None:
    pw_a = make_gateway(admin, "gwA")
    server = clients.connect(secure_broker.ingest.username, secure_broker.ingest.password)
    server.publish(f"{ROOT}/gw/gwB/config", b'{"config_version": 1}', retain=True)
    server.publish(f"{ROOT}/gw/gwA/config", b'{"config_version": 7}', retain=True)
    gw_a = clients.connect("gwA", pw_a, "aed-agent-gwA")

    assert gw_a.subscribe(f"{ROOT}/gw/gwB/config")[0].is_failure
    assert gw_a.subscribe(f"{ROOT}/gw/+/config")[0].is_failure
    assert gw_a.subscribe(f"{ROOT}/#")[0].is_failure
    assert not gw_a.subscribe(f"{ROOT}/gw/gwA/config")[0].is_failure
    wait_for(lambda: gw_a.topics() == [f"{ROOT}/gw/gwA/config"], 10,
             message=lambda: f"got {gw_a.topics()}")
    # The server account writes configs but cannot pose as a gateway.
    sub = ingest_listener(clients, secure_broker)
    server.publish(f"{ROOT}/gw/gwA/state", b"{}")
    barrier(sub, server, f"{ROOT}/gw/gwA/config")
    assert f"{ROOT}/gw/gwA/state" not in sub.topics()


def test_anonymous_wrong_password_and_unknown_user_are_refused(
    secure_broker: MosquittoBroker, admin: BrokerAdmin, clients: Clients
) -> None:
    pw_a = make_gateway(admin, "gwA")
    attempts = [
        clients.connect(None, None, "aed-agent-gwA", expect_ok=False),
        clients.connect("gwA", pw_a + "x", "aed-agent-gwA", expect_ok=False),
        clients.connect("gwZ", pw_a, "aed-agent-gwZ", expect_ok=False),
    ]
    for attempt in attempts:
        assert attempt.connack.is_failure, attempt.client_id
    # The right password works: the refusals were about the credentials.
    clients.connect("gwA", pw_a, "aed-agent-gwA")


def test_revoke_drops_a_connected_gateway_and_refuses_it_after(
    secure_broker: MosquittoBroker, admin: BrokerAdmin, clients: Clients
) -> None:
    pw_a = make_gateway(admin, "gwA")
    pw_b = make_gateway(admin, "gwB")
    gw_a = clients.connect("gwA", pw_a, "aed-agent-gwA")
    gw_b = clients.connect("gwB", pw_b, "aed-agent-gwB")

    admin.execute(dynsec.delete_gateway_commands("gwA"))
    assert gw_a.dropped.wait(10), "revoked gateway still connected"
    again = clients.connect("gwA", pw_a, "aed-agent-gwA", expect_ok=False)
    assert again.connack.is_failure
    assert not gw_b.dropped.is_set()
    # Deleting it twice is not an error for revoke, but it is for a plain execute.
    admin.execute(dynsec.delete_gateway_commands("gwA"), ignore_missing=True)
    with pytest.raises(BrokerAdminError, match="not found"):
        admin.execute(dynsec.delete_gateway_commands("gwA"))


def test_rotate_drops_the_old_session_and_only_the_new_password_works(
    secure_broker: MosquittoBroker, admin: BrokerAdmin, clients: Clients
) -> None:
    old = make_gateway(admin, "gwA")
    gw_a = clients.connect("gwA", old, "aed-agent-gwA")
    new = dynsec.new_password()
    admin.execute(dynsec.set_password_commands("gwA", new))
    assert gw_a.dropped.wait(10), "session on the old password survived the rotation"
    assert clients.connect("gwA", old, "aed-agent-gwA", expect_ok=False).connack.is_failure
    clients.connect("gwA", new, "aed-agent-gwA")


def test_client_id_takeover_is_refused_and_the_victim_stays_connected(
    secure_broker: MosquittoBroker, admin: BrokerAdmin, clients: Clients
) -> None:
    pw_a = make_gateway(admin, "gwA")
    pw_b = make_gateway(admin, "gwB")
    sub = ingest_listener(clients, secure_broker)
    victim = clients.connect("gwB", pw_b, "aed-agent-gwB")

    # gwA's own, valid credentials, but gwB's client id: Mosquitto would normally kick
    # the existing session with that id. The account is bound to its id: refused.
    thief = clients.connect("gwA", pw_a, "aed-agent-gwB", expect_ok=False)
    assert thief.connack.is_failure
    barrier(sub, victim, f"{ROOT}/gw/gwB/heartbeat")
    assert not victim.dropped.is_set()


def test_admin_commands_need_the_admin_account(
    secure_broker: MosquittoBroker, admin: BrokerAdmin, clients: Clients
) -> None:
    from app.gateways.broker_admin import BrokerAdminSettings

    ingest = secure_broker.ingest
    as_ingest = BrokerAdmin(BrokerAdminSettings(secure_broker.host, secure_broker.port,
                                                ingest.username, ingest.password, timeout_s=3))
    with pytest.raises(BrokerAdminError, match="control topic"):
        as_ingest.execute(dynsec.create_gateway_commands("gwX", "pw", "cid", ROOT))
    wrong = BrokerAdmin(BrokerAdminSettings(secure_broker.host, secure_broker.port,
                                            secure_broker.admin.username, "nope", timeout_s=3))
    with pytest.raises(BrokerAdminError, match="refused the admin login"):
        wrong.execute([{"command": "listClients"}])
