"""Dead letters and quarantined payloads are for administrators only, on the web as in
the API."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from app.models import DeadLetter, QuarantinedMessage, utcnow
from tests.security.seeded import seeded  # noqa: F401 - fixture
from tests.support.web_login import login

DEAD_DETAIL = "dead-letter-detail-7f3a"
QUARANTINED_GW = "gw-unknown-q9"


@pytest.fixture
def rejected(seeded: Flask, db: Session) -> Flask:  # noqa: F811
    now = utcnow()
    db.add(DeadLetter(topic="aed/v1/gw/gw-x/telemetry", payload=b"{", reason="bad_json",
                      detail=DEAD_DETAIL, received_at=now, size=1))
    db.add(QuarantinedMessage(gateway_id=QUARANTINED_GW, device_id=None,
                              topic=f"aed/v1/gw/{QUARANTINED_GW}/heartbeat", payload={},
                              reason="unknown_gateway", received_at=now, count=1))
    db.commit()
    return seeded


@pytest.mark.parametrize("role", ["viewer", "volunteer", "coordinator"])
def test_gateways_page_hides_rejected_messages_from_non_admins(rejected: Flask,
                                                                role: str) -> None:
    client = rejected.test_client()
    login(client, role)
    page = client.get("/gateways")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert DEAD_DETAIL not in text and QUARANTINED_GW not in text
    assert client.get("/api/v1/dead-letters").status_code == 403
    assert client.get("/api/v1/quarantine").status_code == 403


def test_admin_sees_rejected_messages(rejected: Flask) -> None:
    client = rejected.test_client()
    login(client, "admin")
    text = client.get("/gateways").get_data(as_text=True)
    assert DEAD_DETAIL in text and QUARANTINED_GW in text
