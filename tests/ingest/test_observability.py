"""What operators and admins see of ingest: /metrics, /healthz, dead letters, quarantine."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.aeds.refresh import AedContext
from app.alerts.policy import AlertPolicy
from app.auth.tokens import issue_token
from app.devices import FactsConfig, RawMessage, apply_batch
from app.extensions import get_settings
from app.ingest.service import IngestOptions, IngestService
from app.models import User, utcnow
from tests.ingest.factory import NOW, register, telemetry


def bearer(db: Session, role: str) -> dict[str, str]:
    user = User(username=f"u-{role}", display_name=role, password_hash="x", role=role)
    db.add(user)
    db.flush()
    token = issue_token(db, user)
    db.commit()
    return {"Authorization": f"Bearer {token}"}


def feed(app: Flask, db: Session) -> None:
    register(db)
    settings = get_settings(app)
    raws = [RawMessage(t, p, NOW) for t, p in (
        telemetry(seq=1, temp_c=20.0),
        ("aed/v1/gw/gw-t1/dev/dev-1/telemetry", b"{oops"),
        ("aed/v1/gw/gw-t1/dev/dev-1/telemetry", b"\xff binary"),
        telemetry(gw="gw-ghost", seq=1, temp_c=20.0),
    )]
    apply_batch(db, raws, NOW, FactsConfig(aeds=AedContext.of(settings, AlertPolicy())))
    db.commit()


def test_dead_letters_and_quarantine_are_listed_for_admins_only(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    feed(app, db)
    assert client.get("/api/v1/dead-letters").status_code == 401
    assert client.get("/api/v1/quarantine", headers=bearer(db, "viewer")).status_code == 403
    admin = bearer(db, "admin")
    body = client.get("/api/v1/dead-letters?limit=1", headers=admin).get_json()
    assert body["total"] == 2 and len(body["items"]) == 1
    assert body["counts_by_reason"] == {"bad_json": 1, "bad_encoding": 1}
    rows = client.get("/api/v1/dead-letters", headers=admin).get_json()["items"]
    payloads = {r["reason"]: r["payload"] for r in rows}
    assert payloads["bad_json"] == {"text": "{oops", "truncated": False}
    assert "base64" in payloads["bad_encoding"]
    only = client.get("/api/v1/dead-letters?reason=bad_json", headers=admin).get_json()
    assert [r["reason"] for r in only["items"]] == ["bad_json"]
    quarantine = client.get("/api/v1/quarantine", headers=admin).get_json()
    assert quarantine["total"] == 1
    item = quarantine["items"][0]
    assert (item["gateway_id"], item["reason"], item["count"]) == (
        "gw-ghost", "unregistered_gateway", 1)
    assert item["payload"]["temp_c"] == 20.0


def test_metrics_and_healthz_show_the_ingest_worker(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    assert client.get("/healthz").get_json()["ingest"]["status"] == "absent"
    feed(app, db)
    service = IngestService(get_settings(app), IngestOptions(client_id="ingest-metrics"),
                            mqtt_url="mqtt://127.0.0.1:1")
    service.stats.counts.update(received=7, stored=5, dead_lettered=2, acked=7, gateway_acks=3)
    service.stats.dead_reasons["bad_json"] = 2
    service.stats.batch_size.observe(7)
    service.stats.batch_seconds.observe(0.02)
    service.stats.connected = True
    assert service.save_heartbeat()
    health = client.get("/healthz").get_json()
    assert health["status"] == "ok" and health["ingest"]["status"] == "ok"
    [worker] = health["ingest"]["workers"]
    assert (worker["client_id"], worker["stored"], worker["connected"]) == (
        "ingest-metrics", 5, True)

    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    text = resp.get_data(as_text=True)
    for line in (
        'aed_ingest_received_total{worker="ingest-metrics"} 7.0',
        'aed_ingest_stored_total{worker="ingest-metrics"} 5.0',
        'aed_ingest_duplicates_total{worker="ingest-metrics"} 0.0',
        'aed_ingest_gateway_acks_total{worker="ingest-metrics"} 3.0',
        'aed_ingest_dead_lettered_by_reason_total{reason="bad_json",worker="ingest-metrics"} 2.0',
        'aed_ingest_batch_size_bucket{le="10.0",worker="ingest-metrics"} 1.0',
        'aed_ingest_batch_size_count{worker="ingest-metrics"} 1.0',
        'aed_ingest_queue_depth{worker="ingest-metrics"} 0.0',
        "aed_ingest_workers_up 1.0",
        "aed_dead_letters 2.0",
        "aed_quarantined_messages 1.0",
    ):
        assert line in text, line

    # A worker that stopped writing turns stale in /healthz.
    assert service.save_heartbeat(now=utcnow() - timedelta(minutes=5))
    assert client.get("/healthz").get_json()["ingest"]["status"] == "stale"
    service.db.dispose()
