"""Accounts through the web forms, as a coordinator or an administrator uses them on a
phone: create, edit, reset a password, deactivate and reactivate, and one's own
password; who may do which; the audit trail."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from app.auth.tokens import hash_token
from app.models import User
from tests.people.conftest import (
    FIRST_PASSWORD,
    OWN_PASSWORD,
    account,
    assert_no_secret,
    audit_rows,
    bearer,
    signed_in,
    team,
)
from tests.support.web_login import DEMO_PASSWORD, csrf_token, login, post_form

FORM_PAGES = ("/people/new", "/people/{id}/edit", "/people/{id}/password",
              "/people/{id}/active", "/teams/new", "/teams/{team}/edit")
PEOPLE_PAGES = ("/people", "/teams", "/organisations", *FORM_PAGES)


def new_account(client: FlaskClient, db: Session, username: str = "zhang.min",
                role: str = "volunteer", **extra: object) -> TestResponse:
    data = {"username": username, "display_name": "张敏", "role": role,
            "team_id": team(db, "shanxin").id, "phone": "13800001234", "locale": "zh_CN",
            "password": FIRST_PASSWORD, "password_confirm": FIRST_PASSWORD, **extra}
    return post_form(client, "/people/new", data, "/people/new")


def field_error(html: str, name: str) -> str:
    """The error shown beside the field ``name`` (its input says it is described by it)."""
    match = re.search(rf'<p class="flash flash-error field-error" id="{name}-error">(.*?)</p>',
                      html, re.S)
    assert match, f"no error beside {name}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def test_a_coordinator_creates_an_account_that_logs_in_and_must_choose_its_password(
        seeded: Flask, db: Session) -> None:
    coordinator = signed_in(seeded, "coordinator")
    form = coordinator.get("/people/new").get_data(as_text=True)
    # A coordinator is offered only the roles they may give.
    assert 'value="volunteer"' in form and 'value="viewer"' in form
    assert 'value="admin"' not in form and 'value="coordinator"' not in form
    done = new_account(coordinator, db)
    assert done.status_code == 302 and done.location == "/people"
    listed = coordinator.get("/people").get_data(as_text=True)
    assert "zhang.min" in listed and "13800001234" in listed
    created = account(db, "zhang.min")
    assert created.role == "volunteer" and created.team_id == team(db, "shanxin").id
    assert created.must_change_password and created.password_hash.startswith("scrypt:")

    person = seeded.test_client()
    token = csrf_token(person)
    first = person.post("/login", data={"username": "zhang.min", "password": FIRST_PASSWORD,
                                        "csrf_token": token})
    assert first.status_code == 302 and first.location.startswith("/account/password")
    # Nothing else until they have chosen their own password.
    for path in ("/", "/alerts", "/map", "/people"):
        held = person.get(path)
        assert held.status_code == 302 and held.location.startswith("/account/password"), path
    api = person.get("/api/v1/sites")
    assert api.status_code == 403 and "password" in api.get_json()["detail"]
    page = person.get("/account/password").get_data(as_text=True)
    assert 'id="must-change"' in page
    changed = post_form(person, "/account/password", {
        "current_password": FIRST_PASSWORD, "new_password": OWN_PASSWORD,
        "new_password_confirm": OWN_PASSWORD, "next": "/alerts"}, "/account/password")
    assert changed.status_code == 302 and changed.location == "/alerts"
    assert person.get("/").status_code == 200
    assert not account(db, "zhang.min").must_change_password
    login(seeded.test_client(), "zhang.min", OWN_PASSWORD)

    rows = audit_rows(db, created.id)
    assert {"create", "login", "password_changed"} <= {r.action for r in rows}
    assert rows[0].actor == "coordinator" and rows[0].after["phone"] == "13800001234"
    assert_no_secret(rows, FIRST_PASSWORD, OWN_PASSWORD, account(db, "zhang.min").password_hash)


def test_errors_are_shown_beside_their_fields_and_nothing_is_saved(seeded: Flask,
                                                                   db: Session) -> None:
    coordinator = signed_in(seeded, "coordinator")
    bad = new_account(coordinator, db, username="x", team_id="", phone="call me",
                      password="short", password_confirm="short")
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "用户名" in html  # zh-CN first
    assert field_error(html, "username")
    assert field_error(html, "team_id")  # a volunteer needs a team
    assert field_error(html, "phone")
    assert "10" in field_error(html, "password")
    assert 'value="call me"' in html and FIRST_PASSWORD not in html
    taken = new_account(coordinator, db, username="Volunteer")
    assert taken.status_code == 400 and field_error(taken.get_data(as_text=True), "username")
    differ = new_account(coordinator, db, password_confirm="something-else-1")
    assert differ.status_code == 400
    assert field_error(differ.get_data(as_text=True), "password_confirm")
    assert db.scalar(select(User).where(User.username == "zhang.min")) is None


def test_coordinators_cannot_create_or_touch_admins_and_coordinators(seeded: Flask,
                                                                      db: Session) -> None:
    coordinator = signed_in(seeded, "coordinator")
    for role in ("admin", "coordinator"):
        refused = new_account(coordinator, db, username=f"new-{role}", role=role)
        assert refused.status_code == 400
        assert field_error(refused.get_data(as_text=True), "role")
    admin_id = account(db, "admin").id
    for path in (f"/people/{admin_id}/edit", f"/people/{admin_id}/password",
                 f"/people/{admin_id}/active"):
        assert coordinator.get(path).status_code == 403, path
    promote = post_form(coordinator, f"/people/{account(db, 'volunteer').id}/edit", {
        "display_name": "李志愿", "role": "admin", "team_id": team(db, "shanxin").id,
        "locale": "zh_CN"}, "/people")
    assert promote.status_code == 400 and account(db, "volunteer").role == "volunteer"
    # Nobody manages their own account here, not even an administrator.
    admin = signed_in(seeded, "admin")
    assert admin.get(f"/people/{admin_id}/active").status_code == 403
    assert admin.get(f"/people/{account(db, 'coordinator').id}/edit").status_code == 200
    made = new_account(admin, db, username="wang.coord", role="coordinator", team_id="")
    assert made.status_code == 302 and account(db, "wang.coord").role == "coordinator"


@pytest.mark.parametrize("role", ["volunteer", "viewer"])
def test_volunteers_and_viewers_get_403_on_every_people_page(seeded: Flask, db: Session,
                                                             role: str) -> None:
    client = signed_in(seeded, role)
    ids = {"id": account(db, "viewer" if role == "volunteer" else "volunteer").id,
           "team": team(db, "shanxin").id}
    for path in PEOPLE_PAGES:
        url = path.format(**ids)
        assert client.get(url).status_code == 403, url
        if path in FORM_PAGES:
            sent = post_form(client, url, {"display_name": "x", "name": "x", "active": "0"})
            assert sent.status_code == 403, url
    nav = client.get("/").get_data(as_text=True)
    assert 'href="/people"' not in nav and 'href="/account/password"' in nav
    # Their own password page is theirs.
    assert client.get("/account/password").status_code == 200


def test_edit_changes_role_and_team_on_the_next_request(seeded: Flask, db: Session) -> None:
    volunteer = signed_in(seeded, "volunteer")
    admin = signed_in(seeded, "admin")
    target = account(db, "volunteer")
    page = admin.get(f"/people/{target.id}/edit").get_data(as_text=True)
    assert 'value="李志愿"' in page
    saved = post_form(admin, f"/people/{target.id}/edit", {
        "display_name": "李志愿", "role": "coordinator", "team_id": team(db, "aikang").id,
        "phone": "", "email": "li@example.cn", "locale": "en"}, "/people")
    assert saved.status_code == 302
    changed = account(db, "volunteer")
    assert (changed.role, changed.team_id, changed.email) == (
        "coordinator", team(db, "aikang").id, "li@example.cn")
    # Their open session carries the new role at once.
    assert volunteer.get("/people").status_code == 200
    entry = [r for r in audit_rows(db, target.id) if r.action == "update"][-1]
    assert entry.actor == "admin" and entry.after["role"] == "coordinator"
    assert entry.before["role"] == "volunteer"


def test_a_reset_ends_sessions_and_asks_for_a_new_password(seeded: Flask,
                                                           db: Session) -> None:
    volunteer = signed_in(seeded, "volunteer")
    coordinator = signed_in(seeded, "coordinator")
    target = account(db, "volunteer")
    short = post_form(coordinator, f"/people/{target.id}/password",
                      {"password": "short", "password_confirm": "short"}, "/people")
    assert short.status_code == 400
    assert field_error(short.get_data(as_text=True), "password")
    differ = post_form(coordinator, f"/people/{target.id}/password",
                       {"password": FIRST_PASSWORD, "password_confirm": "something-else-1"},
                       "/people")
    assert differ.status_code == 400
    assert field_error(differ.get_data(as_text=True), "password_confirm")
    assert volunteer.get("/").status_code == 200  # not reset: their session goes on
    assert coordinator.get("/people/999999/password").status_code == 404
    reset = post_form(coordinator, f"/people/{target.id}/password",
                      {"password": FIRST_PASSWORD, "password_confirm": FIRST_PASSWORD},
                      "/people")
    assert reset.status_code == 302
    held = volunteer.get("/")
    assert held.status_code == 302 and "/login" in held.location  # the old session ended
    person = seeded.test_client()
    resp = person.post("/login", data={"username": "volunteer", "password": DEMO_PASSWORD,
                                       "csrf_token": csrf_token(person)})
    assert resp.status_code == 401  # the old password is gone
    login(person, "volunteer", FIRST_PASSWORD)
    assert person.get("/").location.startswith("/account/password")
    rows = audit_rows(db, target.id)
    assert next(r for r in rows if r.action == "password_reset").actor == "coordinator"
    assert_no_secret(rows, FIRST_PASSWORD, DEMO_PASSWORD)


def test_own_password_needs_the_current_one(seeded: Flask, db: Session) -> None:
    viewer = signed_in(seeded, "viewer")
    other_device = signed_in(seeded, "viewer")
    wrong = post_form(viewer, "/account/password", {
        "current_password": "not-the-password", "new_password": OWN_PASSWORD,
        "new_password_confirm": OWN_PASSWORD}, "/account/password")
    assert wrong.status_code == 400
    assert field_error(wrong.get_data(as_text=True), "current_password")
    same = post_form(viewer, "/account/password", {
        "current_password": DEMO_PASSWORD, "new_password": DEMO_PASSWORD,
        "new_password_confirm": DEMO_PASSWORD}, "/account/password")
    assert same.status_code == 400 and field_error(same.get_data(as_text=True), "new_password")
    differ = post_form(viewer, "/account/password", {
        "current_password": DEMO_PASSWORD, "new_password": OWN_PASSWORD,
        "new_password_confirm": OWN_PASSWORD + "x"}, "/account/password")
    assert differ.status_code == 400
    assert field_error(differ.get_data(as_text=True), "new_password_confirm")
    evil = post_form(viewer, "/account/password", {
        "current_password": DEMO_PASSWORD, "new_password": OWN_PASSWORD,
        "new_password_confirm": OWN_PASSWORD, "next": "//evil.example/"}, "/account/password")
    assert evil.status_code == 302 and evil.location == "/"
    assert viewer.get("/").status_code == 200  # this browser stays signed in
    assert other_device.get("/").status_code == 302  # the other one is logged out
    login(seeded.test_client(), "viewer", OWN_PASSWORD)
    assert_no_secret(audit_rows(db, account(db, "viewer").id), DEMO_PASSWORD, OWN_PASSWORD)


def test_deactivation_ends_the_session_and_the_token_at_once(seeded: Flask,
                                                             db: Session) -> None:
    volunteer = signed_in(seeded, "volunteer")
    token = bearer(db, "volunteer")
    assert volunteer.get("/").status_code == 200
    assert volunteer.get("/api/v1/sites", headers=token).status_code == 200
    coordinator = signed_in(seeded, "coordinator")
    target = account(db, "volunteer")
    confirm = coordinator.get(f"/people/{target.id}/active").get_data(as_text=True)
    assert 'name="active" value="0"' in confirm  # a page says what will happen first
    done = post_form(coordinator, f"/people/{target.id}/active", {"active": "0"}, "/people")
    assert done.status_code == 302
    ended = volunteer.get("/")
    assert ended.status_code == 302 and "/login" in ended.location
    assert seeded.test_client().get("/api/v1/sites", headers=token).status_code == 401
    person = seeded.test_client()
    refused = person.post("/login", data={"username": "volunteer", "password": DEMO_PASSWORD,
                                          "csrf_token": csrf_token(person)})
    assert refused.status_code == 401
    assert "停用" in coordinator.get("/people").get_data(as_text=True)

    again = post_form(coordinator, f"/people/{target.id}/active", {"active": "1"}, "/people")
    assert again.status_code == 302
    login(seeded.test_client(), "volunteer")
    # The token stays ended: a new one must be issued.
    assert seeded.test_client().get("/api/v1/sites", headers=token).status_code == 401
    rows = audit_rows(db, target.id)
    actions = [r.action for r in rows]
    assert "account_deactivated" in actions and "account_reactivated" in actions
    deactivated = next(r for r in rows if r.action == "account_deactivated")
    assert deactivated.actor == "coordinator" and deactivated.after["token_revoked"] is True
    raw = token["Authorization"].split()[1]
    assert_no_secret(rows, DEMO_PASSWORD, raw, hash_token(raw))
