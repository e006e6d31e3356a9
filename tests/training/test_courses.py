"""Recording courses on the web form and through the API, with one validator."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Course
from tests.support.web_login import post_form
from tests.training.conftest import World
from tests.training.factories import days
from tests.training.test_responders import auth, field_errors


def test_a_coordinator_records_a_course_and_corrects_it(
        db: Session, world: World, coordinator_client: FlaskClient) -> None:
    coordinator_client.get("/lang/en")
    resp = post_form(coordinator_client, "/trainings/new", {
        "held_on": days(-2).isoformat(), "course_type": "awareness", "training_base": "",
        "place": "", "outreach_setting": "school", "trainer": "", "organisation_id": "",
        "headcount": "", "notes": ""}, "/trainings/new")
    assert resp.status_code == 400
    assert field_errors(resp.get_data(as_text=True)) == {
        "place": "Choose the training base or enter the place.",
        "headcount": "An awareness session is counted by its headcount: enter how many came.",
    }
    assert db.scalar(select(func.count()).select_from(Course)) == 0
    resp = post_form(coordinator_client, "/trainings/new", {
        "held_on": days(-2).isoformat(), "course_type": "awareness", "training_base": "",
        "place": "控江路街道社区中心", "outreach_setting": "school", "trainer": "陈老师",
        "organisation_id": world.org.id, "headcount": "120", "notes": "第一行\n第二行"},
        "/trainings/new")
    assert resp.status_code == 302
    course = db.scalar(select(Course))
    assert course is not None
    assert (course.course_type, course.headcount, course.outreach_setting, course.place) == (
        "awareness", 120, "school", "控江路街道社区中心")
    page = coordinator_client.get(f"/trainings/{course.id}").get_data(as_text=True)
    assert "Awareness session" in page and "控江路街道社区中心" in page
    listed = coordinator_client.get(f"/trainings?year={course.held_on.year}").get_data(
        as_text=True)
    assert re.search(rf'data-course="{course.id}"', listed) and ">120<" in listed
    resp = post_form(coordinator_client, f"/trainings/{course.id}/edit", {
        "held_on": days(-2).isoformat(), "course_type": "certificate",
        "training_base": "kongjiang_hospital", "place": "", "outreach_setting": "",
        "trainer": "陈老师", "organisation_id": world.org.id, "headcount": "", "notes": ""},
        f"/trainings/{course.id}/edit")
    assert resp.status_code == 302
    db.expire_all()
    course = db.get(Course, course.id)
    assert course is not None and course.training_base == "kongjiang_hospital"


def test_volunteers_may_read_courses_only(
        db: Session, world: World, volunteer_client: FlaskClient) -> None:
    assert volunteer_client.get("/trainings").status_code == 200
    assert volunteer_client.get("/trainings/new").status_code == 403
    assert post_form(volunteer_client, "/trainings/new", {"course_type": "awareness"},
                     "/").status_code == 403


def test_the_api_records_and_lists_courses(
        app: Flask, db: Session, world: World, coordinator_token: str,
        volunteer_token: str) -> None:
    client = app.test_client()
    body = {"held_on": days(-3).isoformat(), "course_type": "certificate",
            "training_base": "central_hospital", "organisation_id": world.org.id}
    made = client.post("/api/v1/courses", json=body, headers=auth(coordinator_token))
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["attendees"] == 0
    bad = client.post("/api/v1/courses", json={**body, "course_type": "awareness",
                                               "organisation_id": 4242},
                      headers=auth(coordinator_token))
    assert bad.status_code == 422
    assert {p["name"] for p in bad.get_json()["invalid-params"]} == {"headcount"}
    missing = client.post("/api/v1/courses", json={**body, "organisation_id": 4242},
                          headers=auth(coordinator_token))
    assert missing.get_json()["invalid-params"] == [
        {"name": "organisation_id", "reason": "There is no such organisation."}]
    assert client.post("/api/v1/courses", json=body,
                       headers=auth(volunteer_token)).status_code == 403
    listed = client.get(f"/api/v1/courses?year={days(-3).year}&course_type=certificate",
                        headers=auth(volunteer_token)).get_json()
    assert [c["id"] for c in listed["items"]] == [made.get_json()["id"]]
