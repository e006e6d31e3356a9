"""Recording responders, on the web form and through the API, with one validator:
errors beside their field (400 on the page, 422 naming the field in the API), nothing
saved from a bad form, coordinators only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Alert, Responder, ResponderSite
from app.training.certificates import years_after
from tests.support.web_login import post_form
from tests.training.conftest import World
from tests.training.factories import days, make_responder, today
from tests.training.test_reminders import at_ten, run_hour


def field_errors(html: str) -> dict[str, str]:
    return {name: text.strip() for name, text in re.findall(
        r'<p class="flash flash-error field-error" id="([\w-]+)-error"><span aria-hidden="true">✕'
        r'</span>([^<]*)</p>', html)}


def form(world: World, **values: object) -> dict[str, object]:
    base: dict[str, object] = {
        "name": "李救护", "phone": "139 0000 0001", "organisation_id": world.org.id,
        "team_id": world.team.id, "certificate_number": "sh-2026-001",
        "certificate_issued_on": days(-30).isoformat(), "certificate_expires_on": "",
        "site_rows": 2, "site-0": world.station.id, "role-0": "station_staff",
        "site-1": "", "role-1": ""}
    return {**base, **values}


def test_a_coordinator_records_a_responder_with_the_usual_validity(
        db: Session, world: World, coordinator_client: FlaskClient) -> None:
    resp = post_form(coordinator_client, "/responders/new", form(world), "/responders/new")
    assert resp.status_code == 302, field_errors(resp.get_data(as_text=True))
    person = db.scalar(select(Responder))
    assert person is not None
    assert (person.phone, person.certificate_number) == ("13900000001", "SH-2026-001")
    assert person.certificate_expires_on == years_after(days(-30), 3)
    assert db.scalar(select(ResponderSite.role)) == "station_staff"
    page = coordinator_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "13900000001" in page and "SH-2026-001" in page and "测试站点1" in page
    # The form shows the usual validity as the default (empty), not as a typed date.
    edit = coordinator_client.get(f"/responders/{person.id}/edit").get_data(as_text=True)
    assert 'name="certificate_expires_on" type="date" value=""' in edit


@pytest.fixture
def app_config(app_config: dict[str, object], request: pytest.FixtureRequest
               ) -> dict[str, object]:
    years = getattr(request, "param", None)
    return {**app_config, "CERTIFICATE_VALID_YEARS": years} if years else app_config


@pytest.mark.parametrize("app_config", [2], indirect=True)
def test_the_validity_is_the_districts_setting(
        db: Session, world: World, coordinator_client: FlaskClient) -> None:
    resp = post_form(coordinator_client, "/responders/new", form(world), "/responders/new")
    assert resp.status_code == 302
    person = db.scalar(select(Responder))
    assert person is not None and person.certificate_expires_on == years_after(days(-30), 2)
    # ...and a certificate may carry its own.
    own = post_form(coordinator_client, f"/responders/{person.id}/edit", form(
        world, certificate_expires_on=days(500).isoformat()), "/responders/new")
    assert own.status_code == 302
    db.expire_all()
    assert db.get(Responder, person.id).certificate_expires_on == days(500)  # type: ignore[union-attr]


def test_every_problem_is_shown_beside_its_field_and_nothing_is_saved(
        db: Session, world: World, coordinator_client: FlaskClient) -> None:
    other = make_responder(db, 5, days(100))
    db.commit()
    coordinator_client.get("/lang/en")
    resp = post_form(coordinator_client, "/responders/new", form(
        world, name="  ", phone=other.phone, certificate_number="证书#1",
        certificate_issued_on="2026-02-30", **{"site-1": 999999, "role-1": "boss"}),
        "/responders/new")
    assert resp.status_code == 400
    errors = field_errors(resp.get_data(as_text=True))
    assert errors == {
        "name": "This is required.",
        "certificate_number": "Letters, digits and - / _ . only, as printed on the certificate.",
        "certificate_issued_on": "Enter a date as YYYY-MM-DD.",
        "role-1": "Choose one of: guardian, station_staff, team_member.",
    }
    # The form keeps what was typed.
    assert 'value="证书#1"' in resp.get_data(as_text=True)
    # References and uniqueness are checked once the fields are right.
    resp = post_form(coordinator_client, "/responders/new", form(
        world, phone=other.phone, certificate_expires_on=days(-40).isoformat(),
        **{"site-1": 999999, "role-1": "guardian"}), "/responders/new")
    errors = field_errors(resp.get_data(as_text=True))
    assert errors == {"certificate_expires_on": "Must be after the day it was issued."}
    resp = post_form(coordinator_client, "/responders/new", form(
        world, phone=other.phone, **{"site-1": 999999, "role-1": "guardian"}),
        "/responders/new")
    assert field_errors(resp.get_data(as_text=True)) == {
        "site-1": "There is no such station.",
        "phone": f"This belongs to another responder (no. {other.id}).",
    }
    assert db.scalar(select(func.count()).select_from(Responder)) == 1


def test_moving_a_responder_to_another_team_hands_their_alerts_over(
        app: Flask, db: Session, world: World, coordinator_client: FlaskClient) -> None:
    person = make_responder(db, 1, days(20), team=world.team)
    db.commit()
    run_hour(app, at_ten(0))
    [alert] = db.scalars(select(Alert).where(Alert.subject_type == "responder")).all()
    assert alert.assigned_team_id == world.team.id
    resp = post_form(coordinator_client, f"/responders/{person.id}/edit", form(
        world, name=person.name, phone=person.phone, certificate_number=person.certificate_number,
        certificate_issued_on=person.certificate_issued_on,
        certificate_expires_on=person.certificate_expires_on, team_id=world.other_team.id,
        **{"site-0": ""}), "/responders/new")
    assert resp.status_code == 302
    db.expire_all()
    alert = db.get(Alert, alert.id)
    assert alert is not None and alert.assigned_team_id == world.other_team.id
    # A renewal (a later expiry) ends the reminder at once.
    resp = post_form(coordinator_client, f"/responders/{person.id}/edit", form(
        world, name=person.name, phone=person.phone, certificate_number=person.certificate_number,
        certificate_issued_on=today().isoformat(), certificate_expires_on="",
        team_id=world.other_team.id, **{"site-0": ""}), "/responders/new")
    db.expire_all()
    assert db.get(Alert, alert.id).status == "resolved"  # type: ignore[union-attr]


def test_volunteers_read_but_do_not_record(
        db: Session, world: World, volunteer_client: FlaskClient) -> None:
    person = make_responder(db, 1, days(100))
    db.commit()
    assert volunteer_client.get("/responders/new").status_code == 403
    assert volunteer_client.get(f"/responders/{person.id}/edit").status_code == 403
    assert post_form(volunteer_client, "/responders/new", form(world), "/").status_code == 403
    listed = volunteer_client.get("/responders").get_data(as_text=True)
    assert person.name in listed and (person.phone or "-") not in listed
    assert db.scalar(select(func.count()).select_from(Responder)) == 1


def test_the_list_finds_expiring_certificates(
        db: Session, world: World, coordinator_client: FlaskClient) -> None:
    soon = make_responder(db, 1, days(30))
    later = make_responder(db, 2, days(200))
    gone = make_responder(db, 3, days(-1))
    db.commit()
    html = coordinator_client.get("/responders?expiring=90").get_data(as_text=True)
    assert soon.name in html and later.name not in html and gone.name not in html
    html = coordinator_client.get(f"/responders?q={later.phone}").get_data(as_text=True)
    assert later.name in html and soon.name not in html


# --- the API -------------------------------------------------------------------------

def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_api_records_and_changes_responders(
        app: Flask, db: Session, world: World, coordinator_token: str) -> None:
    client = app.test_client()
    body = {"name": "赵救护", "phone": "+86 139-0000-0002", "team_id": world.team.id,
            "certificate_number": "SH-API-1", "certificate_issued_on": days(-1).isoformat(),
            "sites": [{"site_id": world.station.id, "role": "guardian"}]}
    resp = client.post("/api/v1/responders", json=body, headers=auth(coordinator_token))
    assert resp.status_code == 201, resp.get_json()
    made = resp.get_json()
    assert made["phone"] == "13900000002" and made["certificate_valid"] is True
    assert made["certificate_expires_on"] == years_after(days(-1), 3).isoformat()
    assert made["sites"] == [{"site_id": world.station.id, "role": "guardian"}]

    again = client.post("/api/v1/responders", json={**body, "phone": "13900000003"},
                        headers=auth(coordinator_token))
    assert again.status_code == 422
    assert again.get_json()["invalid-params"] == [{
        "name": "certificate_number",
        "reason": f"This belongs to another responder (no. {made['id']})."}]
    wrong = client.post("/api/v1/responders", json={**body, "sites": [
        {"site_id": 424242, "role": "guardian"}], "certificate_number": None,
        "phone": "139x"}, headers=auth(coordinator_token))
    assert wrong.status_code == 422
    assert {p["name"] for p in wrong.get_json()["invalid-params"]} == {"phone"}
    unknown = client.post("/api/v1/responders", json={**body, "sites": [
        {"site_id": 424242, "role": "guardian"}], "certificate_number": None,
        "phone": None}, headers=auth(coordinator_token))
    assert unknown.get_json()["invalid-params"] == [
        {"name": "sites.0.site_id", "reason": "There is no such station."}]
    shape = client.post("/api/v1/responders", json={"name": 5}, headers=auth(coordinator_token))
    assert shape.status_code == 400

    # A new issue day alone gives the usual years from it.
    moved = client.patch(f"/api/v1/responders/{made['id']}", json={
        "certificate_issued_on": today().isoformat()}, headers=auth(coordinator_token))
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["certificate_expires_on"] == years_after(today(), 3).isoformat()
    assert moved.get_json()["sites"] == made["sites"]  # untouched members stay
    cleared = client.patch(f"/api/v1/responders/{made['id']}", json={"sites": []},
                           headers=auth(coordinator_token))
    assert cleared.get_json()["sites"] == []


def test_only_coordinators_write_through_the_api(
        app: Flask, db: Session, world: World, volunteer_token: str,
        coordinator_client: FlaskClient) -> None:
    client = app.test_client()
    body = {"name": "钱救护", "phone": "13900000009"}
    assert client.post("/api/v1/responders", json=body,
                       headers=auth(volunteer_token)).status_code == 403
    # A browser session may read the API but not write it (no CSRF check there).
    assert coordinator_client.post("/api/v1/responders", json=body).status_code == 401
    assert client.post("/api/v1/responders", json=body).status_code == 401
    assert db.scalar(select(func.count()).select_from(Responder)) == 0


def test_the_api_lists_by_site_course_and_expiry(
        app: Flask, db: Session, world: World, coordinator_token: str) -> None:
    at_station = make_responder(db, 1, days(10), sites=[world.station])
    make_responder(db, 2, days(300))
    db.commit()
    client = app.test_client()
    listed = client.get(f"/api/v1/responders?site_id={world.station.id}",
                        headers=auth(coordinator_token)).get_json()
    assert [i["id"] for i in listed["items"]] == [at_station.id]
    expiring = client.get("/api/v1/responders?expiring_within_days=30",
                          headers=auth(coordinator_token)).get_json()
    assert [i["id"] for i in expiring["items"]] == [at_station.id]
    one = client.get(f"/api/v1/responders/{at_station.id}",
                     headers=auth(coordinator_token)).get_json()
    assert one["certificate_expires_on"] == (today() + timedelta(days=10)).isoformat()
    assert client.get("/api/v1/responders/99999",
                      headers=auth(coordinator_token)).status_code == 404
