"""The broker's dynamic security and the ack topic: a gateway reads its own ack and nothing
else new, writes none; roles made by an older version are upgraded.

Denials are checked from the receiving side behind a barrier message that did get
through (MQTT 3.1.1 tells a publisher nothing when the ACL drops its message).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.gateways import dynsec
from app.gateways.broker_admin import BrokerAdmin
from app.gateways.provisioning import upgrade_broker_roles
from tests.ingest.factory import register
from tests.security.conftest import Clients, admin_of, make_gateway
from tests.support.mosquitto import MosquittoBroker
from tests.support.wait import wait_for

pytestmark = pytest.mark.mqtt
ROOT = "aed/v1"


@pytest.fixture
def secure(tmp_path: Path) -> Iterator[MosquittoBroker]:
    with MosquittoBroker(tmp_path / "secure-broker", secure=True) as broker:
        yield broker


@pytest.fixture
def clients(secure: MosquittoBroker) -> Iterator[Clients]:
    opened = Clients(secure)
    yield opened
    for probe in opened.opened:
        probe.close()


def ack_acls_of(acls: list[dict[str, object]]) -> list[dict[str, object]]:
    return [a for a in acls if str(a["topic"]).endswith("/ack")]


def test_a_gateway_reads_only_its_own_ack_and_cannot_write_it(
    secure: MosquittoBroker, clients: Clients
) -> None:
    admin = admin_of(secure)
    pw_a = make_gateway(admin, "gwA")
    make_gateway(admin, "gwB")
    server = clients.connect(secure.ingest.username, secure.ingest.password)
    gw_a = clients.connect("gwA", pw_a, "aed-agent-gwA")

    assert gw_a.subscribe(f"{ROOT}/gw/gwB/ack")[0].is_failure
    assert gw_a.subscribe(f"{ROOT}/gw/+/ack")[0].is_failure
    assert not gw_a.subscribe(f"{ROOT}/gw/gwA/ack")[0].is_failure
    server.publish(f"{ROOT}/gw/gwB/ack", b"for gwB")
    server.publish(f"{ROOT}/gw/gwA/ack", b"for gwA")
    gw_a.publish(f"{ROOT}/gw/gwA/ack", b"forged by gwA")
    server.publish(f"{ROOT}/gw/gwA/ack", b"barrier")
    wait_for(lambda: (f"{ROOT}/gw/gwA/ack", b"barrier") in gw_a.messages, 10,
             message=lambda: f"got {gw_a.messages}")
    assert gw_a.messages == [(f"{ROOT}/gw/gwA/ack", b"for gwA"),
                             (f"{ROOT}/gw/gwA/ack", b"barrier")]


def test_a_dynamic_security_file_from_an_older_version_gets_the_ack_topic() -> None:
    admin = dynsec.Account.generate("aed-admin")
    ingest = dynsec.Account.generate("aed-ingest")
    current = dynsec.bootstrap_config(admin, ingest, ROOT)
    current["roles"].append({"rolename": dynsec.gateway_role("gwA"),
                             "acls": dynsec.gateway_acls("gwA", ROOT)})
    current["roles"].append({"rolename": "someone-elses", "acls": []})
    old = copy.deepcopy(current)
    for role in old["roles"]:
        role["acls"] = [a for a in role["acls"] if a not in ack_acls_of(role["acls"])]
    assert dynsec.upgrade_document(old, ROOT) == sum(
        len(ack_acls_of(r["acls"])) for r in current["roles"]) > 0
    def acls(document: dict[str, Any]) -> dict[str, set[tuple[object, ...]]]:
        return {r["rolename"]: {tuple(sorted(a.items())) for a in r["acls"]}
                for r in document["roles"]}

    assert acls(old) == acls(current)
    assert dynsec.upgrade_document(old, ROOT) == 0  # repeating adds nothing


def _remove_ack_acls(admin: BrokerAdmin, rolename: str, acls: list[dict[str, object]]
                     ) -> None:
    admin.execute([{"command": "removeRoleACL", "rolename": rolename,
                    "acltype": a["acltype"], "topic": a["topic"]} for a in ack_acls_of(acls)])


def test_broker_upgrade_gives_live_roles_of_an_older_version_the_ack_topic(
    db: Session, secure: MosquittoBroker, clients: Clients
) -> None:
    register(db, "gwA")
    admin = admin_of(secure)
    pw_a = make_gateway(admin, "gwA")
    # As an older version made them: no ack topic for the gateway or the server.
    _remove_ack_acls(admin, dynsec.gateway_role("gwA"), dynsec.gateway_acls("gwA", ROOT))
    _remove_ack_acls(admin, dynsec.INGEST_ROLE, dynsec.ingest_acls(ROOT))
    gw_a = clients.connect("gwA", pw_a, "aed-agent-gwA")
    assert gw_a.subscribe(f"{ROOT}/gw/gwA/ack")[0].is_failure

    added = upgrade_broker_roles(db, admin, ROOT)
    assert added == len(ack_acls_of(dynsec.gateway_acls("gwA", ROOT))) + len(
        ack_acls_of(dynsec.ingest_acls(ROOT)))
    assert upgrade_broker_roles(db, admin, ROOT) == 0
    assert not gw_a.subscribe(f"{ROOT}/gw/gwA/ack")[0].is_failure
    server = clients.connect(secure.ingest.username, secure.ingest.password)
    server.publish(f"{ROOT}/gw/gwA/ack", b"after the upgrade")
    wait_for(lambda: gw_a.messages == [(f"{ROOT}/gw/gwA/ack", b"after the upgrade")], 10,
             message=lambda: f"got {gw_a.messages}")
