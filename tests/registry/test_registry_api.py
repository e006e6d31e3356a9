"""Registry editing through /api/v1: 201 with the GET body, 422 naming the field, 403 for
a volunteer, the status recomputed at once on a date edit, retirement."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Alert, Asset, AuditLog, Site
from tests.registry.conftest import Registry

WRITES = [
    ("post", "/api/v1/sites", {"name": "新站点", "lat": 31.26, "lon": 121.52}),
    ("patch", "/api/v1/sites/{site}", {"name": "改名"}),
    ("post", "/api/v1/assets", {"site_id": "{site}", "name": "新AED"}),
    ("patch", "/api/v1/assets/{aed}", {"name": "改名"}),
    ("post", "/api/v1/assets/{aed}/retire", {"reason": "测试"}),
]


def _call(client: FlaskClient, method: str, path: str, body: dict[str, Any],
          registry: Registry, headers: dict[str, str] | None) -> Any:
    path = path.format(site=registry.site.id, aed=registry.aed.id)
    body = {k: (registry.site.id if v == "{site}" else v) for k, v in body.items()}
    return getattr(client, method)(path, json=body, headers=headers or {})


def invalid_params(resp: Any) -> dict[str, str]:
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    problem = resp.get_json()
    assert problem["status"] == 422 and problem["type"].endswith("/invalid-field")
    return {p["name"]: p["reason"] for p in problem["invalid-params"]}


def test_a_new_site_answers_201_with_its_get_body(client: FlaskClient, registry: Registry,
                                                  coordinator_token: dict[str, str]) -> None:
    resp = client.post("/api/v1/sites", headers=coordinator_token, json={
        "name": "杨浦滨江新驿站", "name_en": "New riverside post", "kind": "party_service_station",
        "address": "杨树浦路 1500 号", "lat": 31.2561, "lon": 121.5322,
        "opening_hours": "Mo-Su 07:00-21:00", "team_id": registry.team.id,
        "contact_name": "王老师", "contact_phone": "021-6543 1234"})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["external_id"].startswith("site-")
    assert resp.headers["Location"] == f"/api/v1/sites/{body['id']}"
    assert body == client.get(f"/api/v1/sites/{body['id']}", headers=coordinator_token).get_json()
    assert body["opening_hours_check"] == {"valid": True, "reason": None}
    assert body["contact_phone"] == "021-6543 1234" and body["retired_at"] is None


def test_a_new_aed_answers_201_evaluated_and_with_its_get_body(
        client: FlaskClient, db: Session, registry: Registry,
        coordinator_token: dict[str, str]) -> None:
    resp = client.post("/api/v1/assets", headers=coordinator_token, json={
        "site_id": registry.site.id, "external_id": "aed-new-1", "name": "东侧入口AED",
        "name_en": "East entrance AED", "lat": 31.2512, "lon": 121.5105, "indoor": True,
        "level": "1", "cabinet": "东侧入口柜内", "cabinet_en": "Cabinet at the east entrance",
        "access_hours": "Mo-Su 06:00-22:00", "guardian_name": "李师傅",
        "guardian_phone": "13800001111", "manufacturer": "Mindray", "model": "BeneHeart C2",
        "serial": "MR-2026-0001", "install_date": registry.today.isoformat(),
        "pad_expiry": registry.days(700).isoformat(),
        "battery_expiry": registry.days(1400).isoformat(), "paediatric_pads": True,
        "paediatric_pad_expiry": registry.days(600).isoformat()})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert resp.headers["Location"] == f"/api/v1/assets/{body['id']}"
    assert body == client.get(f"/api/v1/assets/{body['id']}",
                              headers=coordinator_token).get_json()
    # Evaluated in the same transaction: installed today, in date, so ready.
    assert body["status"] == "ready", body["status_reasons"]
    assert (body["cabinet"], body["cabinet_en"], body["level"]) == (
        "东侧入口柜内", "Cabinet at the east entrance", "1")
    assert body["guardian_phone"] == "13800001111" and body["public"] is True
    row = db.get(Asset, body["id"])
    assert row is not None and row.status == "ready" and row.reevaluate_at is not None


def test_a_new_aed_without_a_position_takes_its_sites(
        client: FlaskClient, registry: Registry, coordinator_token: dict[str, str]) -> None:
    resp = client.post("/api/v1/assets", headers=coordinator_token,
                       json={"site_id": registry.site.id, "name": "站内AED"})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert (body["lat"], body["lon"]) == (registry.site.lat, registry.site.lon)
    assert body["external_id"].startswith("aed-")
    # Never checked, no dates: it needs attention, and says why.
    assert body["status"] == "attention" and body["status_reasons"]


def test_an_invalid_field_answers_422_naming_it(
        client: FlaskClient, db: Session, registry: Registry,
        coordinator_token: dict[str, str]) -> None:
    before = db.scalars(select(Asset.id)).all()
    resp = client.post("/api/v1/assets", headers=coordinator_token, json={
        "site_id": registry.site.id, "name": "坏AED", "lat": 131.0, "lon": 121.5,
        "pad_expiry": "2207-01-01", "serial": "S" * 101, "external_id": registry.aed.external_id,
        "install_date": registry.days(3).isoformat()})
    reasons = invalid_params(resp)
    assert reasons == {
        "external_id": "is already used by another asset",
        "lat": "must be between -90 and 90",
        "serial": "is longer than 100 characters",
        "install_date": f"must not be after today ({registry.today.isoformat()})",
        "pad_expiry": "must be a date between 1990 and 2100",
    }
    assert resp.get_json()["detail"] == "Some fields are not valid; nothing was changed."
    assert db.scalars(select(Asset.id)).all() == before

    assert invalid_params(client.post("/api/v1/assets", headers=coordinator_token, json={
        "site_id": 999_999, "name": "x"})) == {"site_id": "names no site"}
    assert invalid_params(client.patch(f"/api/v1/assets/{registry.aed.id}",
                                       headers=coordinator_token, json={"name": "  "})) == {
        "name": "is required"}
    assert invalid_params(client.patch(f"/api/v1/assets/{registry.aed.id}",
                                       headers=coordinator_token,
                                       json={"device": "gw-none/cab-9"})) == {
        "device": "names no device"}
    assert invalid_params(client.patch(f"/api/v1/sites/{registry.site.id}",
                                       headers=coordinator_token,
                                       json={"lon": -181, "team_id": 424242})) == {
        "lon": "must be between -180 and 180", "team_id": "names no team"}
    assert invalid_params(client.post("/api/v1/sites", headers=coordinator_token, json={
        "name": "x\u0000y", "lat": 31.2, "lon": 121.5})) == {"name": "contains a NUL character"}


def test_a_body_of_the_wrong_shape_is_400(client: FlaskClient, registry: Registry,
                                         coordinator_token: dict[str, str]) -> None:
    resp = client.patch(f"/api/v1/assets/{registry.aed.id}", headers=coordinator_token,
                        json={"lat": "31.2", "status": "ready"})
    assert resp.status_code == 400
    names = {p["name"] for p in resp.get_json()["invalid-params"]}
    assert names == {"lat", "status"}


def test_a_volunteer_edits_nothing_through_the_api(
        client: FlaskClient, db: Session, registry: Registry,
        volunteer_token: dict[str, str]) -> None:
    for method, path, body in WRITES:
        resp = _call(client, method, path, body, registry, volunteer_token)
        assert resp.status_code == 403, (method, path, resp.get_data(as_text=True))
        assert resp.get_json()["detail"] == "Only coordinators and administrators may do this."
        anonymous = _call(client, method, path, body, registry, None)
        assert anonymous.status_code == 401, (method, path)
    db.expire_all()
    assert db.get(Asset, registry.aed.id).name == "滨江AED1"  # type: ignore[union-attr]
    assert db.get(Asset, registry.aed.id).retired_at is None  # type: ignore[union-attr]
    assert db.get(Site, registry.site.id).name == "测试站点1"  # type: ignore[union-attr]


def test_a_date_edit_recomputes_the_status_at_once(
        client: FlaskClient, db: Session, registry: Registry,
        coordinator_token: dict[str, str]) -> None:
    url = f"/api/v1/assets/{registry.aed.id}"
    assert client.get(url, headers=coordinator_token).get_json()["status"] == "ready"
    resp = client.patch(url, headers=coordinator_token,
                        json={"pad_expiry": registry.days(-1).isoformat()})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["status"] == "not_ready" and "pad_expired" in body["status_reasons"]
    alert = db.scalar(select(Alert).where(Alert.asset_id == registry.aed.id,
                                          Alert.kind == "pad_expired"))
    assert alert is not None and alert.status == "open"

    resp = client.patch(url, headers=coordinator_token,
                        json={"pad_expiry": registry.days(500).isoformat()})
    assert resp.get_json()["status"] == "ready"
    db.expire_all()
    assert db.get(Alert, alert.id).status == "resolved"  # type: ignore[union-attr]
    # Only what was sent changed, and the audit log says who did it.
    assert resp.get_json()["battery_expiry"] == registry.days(800).isoformat()
    entries = db.scalars(select(AuditLog).where(
        AuditLog.entity_type == "asset", AuditLog.entity_id == str(registry.aed.id),
        AuditLog.action == "update")).all()
    assert any(e.actor == "coord-reg" and "pad_expiry" in (e.after or {}) for e in entries)


def test_the_audit_log_keeps_guardians_and_contacts_masked(
        client: FlaskClient, db: Session, registry: Registry,
        coordinator_token: dict[str, str]) -> None:
    resp = client.patch(f"/api/v1/assets/{registry.aed.id}", headers=coordinator_token,
                        json={"guardian_name": "王秀英", "guardian_phone": "13911112222"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    resp = client.patch(f"/api/v1/sites/{registry.site.id}", headers=coordinator_token,
                        json={"contact_name": "李建国", "contact_phone": "13800001111"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    logged = repr([(e.before, e.after) for e in db.scalars(select(AuditLog))])
    for clear in ("王秀英", "13911112222", "李建国", "13800001111"):
        assert clear not in logged
    assert "*******2222" in logged and "王**" in logged


def test_hours_that_are_not_understood_are_kept_and_reported(
        client: FlaskClient, registry: Registry, coordinator_token: dict[str, str]) -> None:
    resp = client.patch(f"/api/v1/assets/{registry.aed.id}", headers=coordinator_token,
                        json={"access_hours": "白天开放"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["access_hours"] == "白天开放"
    assert body["access_hours_check"]["valid"] is False
    assert body["access_hours_check"]["reason"]


def test_retiring_keeps_the_record_and_resolves_its_alerts(
        client: FlaskClient, db: Session, registry: Registry,
        coordinator_token: dict[str, str]) -> None:
    url = f"/api/v1/assets/{registry.aed.id}"
    near_url = f"/api/v1/nearest?lat={registry.site.lat}&lon={registry.site.lon}"
    assert [n["id"] for n in client.get(near_url).get_json()] == [str(registry.aed.id)]
    client.patch(url, headers=coordinator_token, json={"pad_expiry": registry.days(-1).isoformat()})
    assert invalid_params(client.post(url + "/retire", headers=coordinator_token,
                                      json={"reason": " "})) == {"reason": "is required"}
    resp = client.post(url + "/retire", headers=coordinator_token,
                       json={"reason": "设备报废,已由新机替换"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["retired_reason"] == "设备报废,已由新机替换" and body["retired_at"]
    db.expire_all()
    alerts = db.scalars(select(Alert).where(Alert.asset_id == registry.aed.id)).all()
    assert alerts and {(a.status, a.resolution) for a in alerts} == {
        ("resolved", "retired: 设备报废,已由新机替换")}
    entry = db.scalar(select(AuditLog).where(AuditLog.action == "retire"))
    assert entry is not None and entry.actor == "coord-reg"
    assert entry.after is not None and entry.after["reason"] == "设备报废,已由新机替换"

    assert client.post(url + "/retire", headers=coordinator_token,
                       json={"reason": "again"}).status_code == 409
    assert client.patch(url, headers=coordinator_token, json={"name": "x"}).status_code == 409
    # It keeps its record for those signed in, and leaves the public and the lists.
    assert client.get(url, headers=coordinator_token).status_code == 200
    assert client.get(url).status_code == 404
    listed = client.get("/api/v1/assets", headers=coordinator_token).get_json()
    assert registry.aed.id not in [i["id"] for i in listed["items"]]
    everything = client.get("/api/v1/assets?include_retired=true",
                            headers=coordinator_token).get_json()
    assert registry.aed.id in [i["id"] for i in everything["items"]]
    assert client.get(near_url).get_json() == []


def test_guardian_is_for_coordinators_only(
        client: FlaskClient, db: Session, registry: Registry,
        coordinator_token: dict[str, str], volunteer_token: dict[str, str]) -> None:
    url = f"/api/v1/assets/{registry.aed.id}"
    client.patch(url, headers=coordinator_token,
                 json={"guardian_name": "李师傅", "guardian_phone": "13800001111"})
    assert client.get(url, headers=coordinator_token).get_json()["guardian_phone"] == (
        "13800001111")
    seen = client.get(url, headers=volunteer_token).get_json()
    assert "guardian_phone" not in seen and "guardian_name" not in seen
    assert "13800001111" not in client.get(url).get_data(as_text=True)
