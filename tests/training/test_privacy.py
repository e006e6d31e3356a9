"""A responder's phone and certificate number are personal data: coordinators and admins
see them, nobody else does, on any page, API answer, export or metric; the audit log
keeps no value of them in clear; an erased responder leaves nothing of themselves and
every count of the report stays.

The crawl asks every GET route of the app (the pages' URL map and every operation of
the generated OpenAPI document) anonymously, and again as a volunteer, with responders
whose names, phones and certificate numbers are distinctive strings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Alert, AuditLog, Course, NotificationLog, Responder
from tests.factories import make_aed
from tests.notify.channels import email_channel
from tests.notify.receivers import MailBox, smtp_server
from tests.support.wait import wait_for
from tests.support.web_login import login, post_form
from tests.training.conftest import World
from tests.training.factories import PASSWORD, attend, days, make_course, make_responder, make_user
from tests.training.test_reminders import at_ten, run_hour

NAMES = ("隐私测试甲乙丙", "Privacy Probe Zed")
PHONES = ("13912345678", "13987654321")
NUMBERS = ("PRIV-CERT-4711", "PRIV-CERT-0815")
BBOX = "121.40,31.15,121.60,31.35"
#: Values for the required query parameters of the API's operations, by name.
QUERY = {"bbox": BBOX, "lat": "31.25", "lon": "121.51", "zoom": "14", "n": "5",
         "hours": "Mo-Su 08:00-20:00", "value": "Mo-Su 08:00-20:00"}


@dataclass
class Crawled:
    world: World
    responders: list[Responder]
    course: Course
    alert_ids: list[int]
    mail: MailBox


@pytest.fixture
def mail() -> Iterator[tuple[int, MailBox]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def crawled(app: Flask, db: Session, world: World, mail: tuple[int, MailBox]) -> Crawled:
    email_channel(db, mail[0], world.team)
    aed = make_aed(db, world.station)
    aed.public = True
    people = [make_responder(db, 700 + i, days(20), team=world.team, sites=[world.station],
                             name=NAMES[i], phone=PHONES[i], certificate_number=NUMBERS[i])
              for i in range(2)]
    course = make_course(db, days(-5), organisation=world.org, trainer="培训老师")
    attend(db, course, *people)
    db.commit()
    run_hour(app, at_ten(0))  # their certificate reminders open and are told
    alert_ids = list(db.scalars(select(Alert.id)))
    return Crawled(world, people, course, alert_ids, mail[1])


def _ids(crawled: Crawled) -> dict[str, list[str]]:
    world = crawled.world
    return {
        "responder_id": [str(r.id) for r in crawled.responders],
        "course_id": [str(crawled.course.id)],
        "site_id": [str(world.station.id), str(world.point.id)],
        "alert_id": [str(i) for i in crawled.alert_ids],
        "team_id": [str(world.team.id)], "user_id": [str(world.coordinator.id)],
        "asset_id": ["1"], "gateway_id": ["gw-1"], "code": ["en", "zh_CN"],
        "kind": ["sites", "assets"], "fmt": ["csv", "geojson"], "name": ["x.jpg"],
    }


def _expand(path: str, ids: dict[str, list[str]], left: str, right: str) -> Iterator[str]:
    """Every way to fill the path's variables with the fixtures' values."""
    start = path.find(left)
    if start < 0:
        yield path
        return
    end = path.index(right, start)
    variable = path[start + 1:end].split(":")[-1]
    for value in ids.get(variable, ["1"]):
        yield from _expand(path[:start] + value + path[end + 1:], ids, left, right)


def page_urls(app: Flask, crawled: Crawled) -> list[str]:
    ids = _ids(crawled)
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint.endswith("static"):
            continue
        urls += list(_expand(rule.rule, ids, "<", ">"))
    return urls


def api_urls(client: FlaskClient, crawled: Crawled) -> list[str]:
    document = client.get("/api/v1/openapi.json").get_json()
    ids = _ids(crawled)
    urls = []
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        query = "&".join(f"{p['name']}={QUERY.get(p['name'], '1')}"
                         for p in get.get("parameters", ())
                         if p["in"] == "query" and p.get("required"))
        for url in _expand("/api/v1" + path, ids, "{", "}"):
            urls.append(f"{url}?{query}" if query else url)
            urls.append(f"{url}?q={PHONES[0]}&limit=500")
    return urls


def leaks(client: FlaskClient, urls: list[str], secrets: tuple[str, ...]
          ) -> tuple[list[str], list[str]]:
    """(url: secret found, url: server error) over every url."""
    found, broken = [], []
    for url in urls:
        resp = client.get(url, headers={"Accept": "*/*"})
        if resp.status_code >= 500:
            broken.append(f"{url}: {resp.status_code}")
        text = resp.get_data(as_text=True) + json.dumps(dict(resp.headers), ensure_ascii=False)
        found += [f"{url}: {s}" for s in secrets if s in text]
    return found, broken


def test_anonymous_responders_api_is_401(crawled: Crawled, client: FlaskClient) -> None:
    for url in ("/api/v1/responders", f"/api/v1/responders/{crawled.responders[0].id}",
                "/api/v1/courses", f"/api/v1/courses/{crawled.course.id}"):
        resp = client.get(url)
        assert resp.status_code == 401, url
        assert resp.headers["Content-Type"] == "application/problem+json"


def test_no_anonymous_response_holds_a_responders_name_phone_or_certificate(
        app: Flask, crawled: Crawled, client: FlaskClient) -> None:
    urls = page_urls(app, crawled) + api_urls(client, crawled)
    assert len(urls) > 60 and "/api/v1/responders" in urls and "/metrics" in urls
    found, broken = leaks(client, urls, NAMES + PHONES + NUMBERS)
    assert found == [] and broken == []


def test_a_volunteer_sees_names_but_no_phone_or_certificate_anywhere(
        app: Flask, crawled: Crawled, volunteer_client: FlaskClient) -> None:
    urls = page_urls(app, crawled) + api_urls(volunteer_client, crawled)
    found, broken = leaks(volunteer_client, urls, PHONES + NUMBERS)
    assert found == [] and broken == []
    # ...though the responder pages are theirs to read.
    html = volunteer_client.get(f"/responders/{crawled.responders[0].id}").get_data(as_text=True)
    assert NAMES[0] in html
    api = volunteer_client.get("/api/v1/responders").get_json()
    assert {i["name"] for i in api["items"]} == set(NAMES)
    assert all("phone" not in i and "certificate_number" not in i for i in api["items"])
    searched = volunteer_client.get(f"/api/v1/responders?q={PHONES[0]}").get_json()
    assert searched["total"] == 0  # nobody is found by a phone they may not see


def test_coordinators_see_them(crawled: Crawled, coordinator_client: FlaskClient) -> None:
    html = coordinator_client.get(f"/responders/{crawled.responders[0].id}").get_data(
        as_text=True)
    assert PHONES[0] in html and NUMBERS[0] in html
    found = coordinator_client.get(f"/api/v1/responders?q={PHONES[0]}").get_json()
    assert [i["phone"] for i in found["items"]] == [PHONES[0]]


def _audit_text(db: Session) -> str:
    db.expire_all()
    return json.dumps([(a.before, a.after) for a in db.scalars(select(AuditLog))],
                      ensure_ascii=False)


def test_the_audit_log_records_changes_without_the_values_in_clear(
        db: Session, world: World, coordinator_client: FlaskClient) -> None:
    resp = post_form(coordinator_client, "/responders/new", {
        "name": NAMES[0], "phone": PHONES[0], "certificate_number": NUMBERS[0],
        "certificate_issued_on": days(-10).isoformat(), "team_id": world.team.id,
        "site_rows": 0}, "/responders/new")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    responder = db.scalar(select(Responder).where(Responder.phone == PHONES[0]))
    assert responder is not None
    resp = post_form(coordinator_client, f"/responders/{responder.id}/edit", {
        "name": NAMES[0], "phone": PHONES[1], "certificate_number": NUMBERS[1],
        "certificate_issued_on": days(-10).isoformat(), "team_id": world.team.id,
        "site_rows": 0}, "/responders/new")
    assert resp.status_code == 302
    text = _audit_text(db)
    for secret in (*PHONES, *NUMBERS, NAMES[0]):
        assert secret not in text
    changes = db.scalars(select(AuditLog).where(
        AuditLog.entity_type == "responder", AuditLog.action == "update")).all()
    [change] = changes
    assert change.user_id == world.coordinator.id
    assert change.before == {"phone": "*******5678", "certificate_number": "**********4711"}
    assert change.after == {"phone": "*******4321", "certificate_number": "**********0815"}


def test_erasing_keeps_the_counts_and_leaves_nothing_of_the_person(
        app: Flask, db: Session, crawled: Crawled, coordinator_client: FlaskClient) -> None:
    person = crawled.responders[0]
    # The reminder was told; its message names the person.
    wait_for(lambda: any("救护员证" in str(m["Subject"]) for m in crawled.mail.messages),
             message="the reminder")
    before = coordinator_client.get(f"/reports/programme.csv?year={crawled.course.held_on.year}"
                                    ).get_data(as_text=True)
    refused = post_form(coordinator_client, f"/responders/{person.id}/erase", {},
                        f"/responders/{person.id}")
    assert refused.status_code == 302
    db.expire_all()
    assert db.get(Responder, person.id).erased_at is None  # type: ignore[union-attr]
    done = post_form(coordinator_client, f"/responders/{person.id}/erase", {"confirm": "yes"},
                     f"/responders/{person.id}")
    assert done.status_code == 302
    db.expire_all()
    erased = db.get(Responder, person.id)
    assert erased is not None and erased.erased_at is not None
    assert (erased.name, erased.phone, erased.certificate_number, erased.team_id,
            erased.certificate_expires_on) == ("", None, None, None, None)
    after = coordinator_client.get(f"/reports/programme.csv?year={crawled.course.held_on.year}"
                                   ).get_data(as_text=True)
    # The counts stay (only the expiring certificates as of today lose the erased one).
    assert [r for r in before.splitlines() if "certificates_expiring" not in r] == \
        [r for r in after.splitlines() if "certificates_expiring" not in r]
    # Their alerts are resolved, their messages scrubbed, their audit entries masked.
    alerts = db.scalars(select(Alert).where(Alert.subject_type == "responder",
                                            Alert.subject_id == str(person.id))).all()
    assert alerts and all(a.status == "resolved" for a in alerts)
    logs = db.scalars(select(NotificationLog)).all()
    assert logs and not any(NAMES[0] in (row.body + row.subject) for row in logs)
    text = _audit_text(db)
    assert NAMES[0] not in text and PHONES[0] not in text
    page = coordinator_client.get(f"/responders/{person.id}").get_data(as_text=True)
    assert "已删除的救护员" in page and NAMES[0] not in page
    api = coordinator_client.get(f"/api/v1/responders/{person.id}").get_json()
    assert (api["name"], api["phone"], api["erased"]) == (None, None, True)
    # The end of the reminder is told too, without the name.
    run_hour(app, at_ten(0) + timedelta(hours=1))
    wait_for(lambda: any("已恢复" in str(m["Subject"]) for m in crawled.mail.messages),
             message="the resolution")
    db.expire_all()
    assert not any(NAMES[0] in (row.body + row.subject)
                   for row in db.scalars(select(NotificationLog)))


def test_an_erased_responder_in_the_api(app: Flask, db: Session, crawled: Crawled,
                                        coordinator_token: str) -> None:
    client = app.test_client()
    auth = {"Authorization": f"Bearer {coordinator_token}"}
    person = crawled.responders[1]
    resp = client.post(f"/api/v1/responders/{person.id}/erase", headers=auth)
    assert resp.status_code == 200
    body: dict[str, Any] = resp.get_json()
    assert body["erased"] is True and body["name"] is None and body["phone"] is None
    assert body["courses"] == [crawled.course.id] and body["sites"] == []
    again = client.post(f"/api/v1/responders/{person.id}/erase", headers=auth)
    assert again.status_code == 200
    changed = client.patch(f"/api/v1/responders/{person.id}", json={"name": "x"}, headers=auth)
    assert changed.status_code == 409


def test_a_viewer_may_not_erase(app: Flask, db: Session, crawled: Crawled) -> None:
    make_user(db, "viewer-train", "viewer")
    db.commit()
    client = app.test_client()
    login(client, "viewer-train", PASSWORD)
    person = crawled.responders[0]
    resp = post_form(client, f"/responders/{person.id}/erase", {"confirm": "yes"},
                     f"/responders/{person.id}")
    assert resp.status_code == 403
