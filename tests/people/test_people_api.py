"""Accounts, teams and organisations through /api/v1, with tokens as a script or an app
holds them: the same operations and checks as the web forms, 422 naming the field,
403 for whom a caller may not manage, and never a secret in an answer."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from app.auth.tokens import hash_token
from app.models import AuditLog
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
from tests.support.web_login import DEMO_PASSWORD, login, post_form

PROBLEM = "application/problem+json"


def invalid_fields(resp: TestResponse) -> set[str]:
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert resp.mimetype == PROBLEM
    return {p["name"] for p in resp.get_json()["invalid-params"]}


def endpoints(db: Session) -> list[tuple[str, str, dict[str, object] | None]]:
    user_id, team_id = account(db, "volunteer").id, team(db, "shanxin").id
    return [
        ("get", "/api/v1/users", None),
        ("get", f"/api/v1/users/{user_id}", None),
        ("post", "/api/v1/users", {"username": "x1", "display_name": "x", "role": "viewer",
                                   "password": FIRST_PASSWORD}),
        ("patch", f"/api/v1/users/{user_id}", {"display_name": "x"}),
        ("post", f"/api/v1/users/{user_id}/password", {"password": FIRST_PASSWORD}),
        ("post", f"/api/v1/users/{user_id}/deactivate", None),
        ("post", f"/api/v1/users/{user_id}/reactivate", None),
        ("get", "/api/v1/teams", None),
        ("get", f"/api/v1/teams/{team_id}", None),
        ("post", "/api/v1/teams", {"code": "t-x", "name": "x", "organisation_id": 1}),
        ("patch", f"/api/v1/teams/{team_id}", {"name": "x"}),
        ("get", "/api/v1/organisations", None),
    ]


def call(client: FlaskClient, method: str, path: str, body: dict[str, object] | None,
         headers: dict[str, str] | None = None) -> TestResponse:
    return getattr(client, method)(path, json=body, headers=headers or {})


def test_lists_carry_no_secret_and_phones_for_coordinators(seeded: Flask, client: FlaskClient,
                                                           db: Session) -> None:
    volunteer = account(db, "volunteer")
    volunteer.phone = "13911112222"
    db.commit()
    bearer(db, "volunteer")  # the volunteer has a token: only its existence is told
    headers = bearer(db, "coordinator")
    listed = client.get("/api/v1/users?role=volunteer,viewer", headers=headers)
    assert listed.status_code == 200
    items = {u["username"]: u for u in listed.get_json()["items"]}
    assert set(items) == {"volunteer", "viewer"}
    assert items["volunteer"]["phone"] == "13911112222"
    assert items["volunteer"]["has_api_token"] is True
    text = listed.get_data(as_text=True)
    for secret in ("scrypt:", account(db, "volunteer").api_token_hash or "-", "password_hash",
                   "api_token"):
        assert secret not in text.replace("has_api_token", "")
    # Read access by a browser session too, for coordinators and admins.
    login(client, "admin")
    assert client.get("/api/v1/users?q=李").get_json()["total"] == 1
    teams = client.get("/api/v1/teams").get_json()
    assert {t["code"] for t in teams["items"]} >= {"shanxin", "gehaiying", "stemcell-yp"}
    orgs = client.get("/api/v1/organisations?limit=100").get_json()["items"]
    assert sum(o["level"] == "subdistrict" for o in orgs) == 12


@pytest.mark.parametrize("role", ["volunteer", "viewer"])
def test_volunteers_and_viewers_get_403_on_every_people_endpoint(
        seeded: Flask, db: Session, role: str) -> None:
    headers = bearer(db, role)
    session = signed_in(seeded, role)
    for method, path, body in endpoints(db):
        by_token = call(seeded.test_client(), method, path, body, headers)
        assert by_token.status_code == 403, (method, path, by_token.get_data(as_text=True))
        assert by_token.mimetype == PROBLEM
        if method == "get":
            assert call(session, method, path, body).status_code == 403, path
    assert call(seeded.test_client(), "get", "/api/v1/users", None).status_code == 401


def test_create_reset_deactivate_by_token(seeded: Flask, client: FlaskClient,
                                          db: Session) -> None:
    headers = bearer(db, "coordinator")
    shanxin = team(db, "shanxin").id
    made = client.post("/api/v1/users", headers=headers, json={
        "username": "zhou.li", "display_name": "周丽", "role": "volunteer", "team_id": shanxin,
        "phone": "13700007777", "password": FIRST_PASSWORD})
    assert made.status_code == 201, made.get_data(as_text=True)
    body = made.get_json()
    assert body["must_change_password"] is True and body["team_id"] == shanxin
    assert FIRST_PASSWORD not in made.get_data(as_text=True)
    user_id = body["id"]

    person = seeded.test_client()
    login(person, "zhou.li", FIRST_PASSWORD)
    assert person.get("/").location.startswith("/account/password")
    post_form(person, "/account/password", {"current_password": FIRST_PASSWORD,
                                            "new_password": OWN_PASSWORD,
                                            "new_password_confirm": OWN_PASSWORD},
              "/account/password")
    assert person.get("/").status_code == 200

    edited = client.patch(f"/api/v1/users/{user_id}", headers=headers,
                          json={"role": "viewer", "team_id": None, "email": "zl@example.cn"})
    assert edited.status_code == 200
    assert (edited.get_json()["role"], edited.get_json()["team_id"]) == ("viewer", None)
    assert edited.get_json()["phone"] == "13700007777"  # what was not given stays

    reset = client.post(f"/api/v1/users/{user_id}/password", headers=headers,
                        json={"password": FIRST_PASSWORD})
    assert reset.status_code == 200 and reset.get_json()["must_change_password"] is True
    held = person.get("/")
    assert held.status_code == 302 and "/login" in held.location
    login(person, "zhou.li", FIRST_PASSWORD)
    assert person.get("/").location.startswith("/account/password")

    their_token = bearer(db, "zhou.li")
    assert client.get("/api/v1/sites", headers=their_token).status_code == 200
    off = client.post(f"/api/v1/users/{user_id}/deactivate", headers=headers)
    assert off.status_code == 200 and off.get_json()["active"] is False
    assert off.get_json()["has_api_token"] is False
    assert client.get("/api/v1/sites", headers=their_token).status_code == 401
    assert person.get("/").status_code == 302
    on = client.post(f"/api/v1/users/{user_id}/reactivate", headers=headers)
    assert on.status_code == 200 and on.get_json()["active"] is True

    rows = audit_rows(db, user_id)
    assert {"create", "update", "password_reset", "account_deactivated",
            "account_reactivated"} <= {r.action for r in rows}
    assert all(r.actor in ("coordinator", "zhou.li") for r in rows)
    raw = their_token["Authorization"].split()[1]
    assert_no_secret(rows, FIRST_PASSWORD, OWN_PASSWORD, raw, hash_token(raw))


def test_invalid_fields_answer_422_by_name(seeded: Flask, client: FlaskClient,
                                           db: Session) -> None:
    headers = bearer(db, "coordinator")
    bad = client.post("/api/v1/users", headers=headers, json={
        "username": "a b", "display_name": " ", "role": "volunteer", "phone": "call me",
        "email": "nobody", "locale": "fr", "password": "short"})
    assert invalid_fields(bad) == {"username", "display_name", "team_id", "phone", "email",
                                   "locale", "password"}
    taken = client.post("/api/v1/users", headers=headers, json={
        "username": "VOLUNTEER", "display_name": "x", "role": "viewer",
        "password": FIRST_PASSWORD})
    assert invalid_fields(taken) == {"username"}
    # A coordinator may give only volunteer and viewer.
    for role in ("admin", "coordinator"):
        refused = client.post("/api/v1/users", headers=headers, json={
            "username": f"new-{role}", "display_name": "x", "role": role,
            "password": FIRST_PASSWORD})
        assert invalid_fields(refused) == {"role"}
    volunteer = account(db, "volunteer").id
    promote = client.patch(f"/api/v1/users/{volunteer}", headers=headers,
                           json={"role": "admin"})
    assert invalid_fields(promote) == {"role"}
    assert account(db, "volunteer").role == "volunteer"
    # Not of its type at all: 400, as everywhere in the API.
    typed = client.post("/api/v1/users", headers=headers, json={"username": 5})
    assert typed.status_code == 400


def test_coordinators_cannot_manage_admins_coordinators_or_themselves(
        seeded: Flask, client: FlaskClient, db: Session) -> None:
    headers = bearer(db, "coordinator")
    for username in ("admin", "coordinator"):
        user_id = account(db, username).id
        for method, path, body in (
                ("patch", f"/api/v1/users/{user_id}", {"display_name": "x"}),
                ("post", f"/api/v1/users/{user_id}/password", {"password": FIRST_PASSWORD}),
                ("post", f"/api/v1/users/{user_id}/deactivate", None)):
            refused = call(client, method, path, body, headers)
            assert refused.status_code == 403, (username, path)
    assert account(db, "admin").active and account(db, "coordinator").active
    admin = bearer(db, "admin")
    made = client.post("/api/v1/users", headers=admin, json={
        "username": "second.admin", "display_name": "x", "role": "admin",
        "password": FIRST_PASSWORD})
    assert made.status_code == 201
    own = client.post(f"/api/v1/users/{account(db, 'admin').id}/deactivate", headers=admin)
    assert own.status_code == 403
    # Writes need a token: a browser session may only read.
    login(client, "admin")
    assert client.post("/api/v1/users/1/deactivate").status_code == 401


def test_teams_by_token(seeded: Flask, client: FlaskClient, db: Session) -> None:
    headers = bearer(db, "coordinator")
    branch = seeded.test_client().get("/api/v1/organisations?limit=100", headers=headers)
    yinhang = next(o for o in branch.get_json()["items"] if o["code"] == "yinhang")
    made = client.post("/api/v1/teams", headers=headers, json={
        "code": "yinhang-aed", "name": "殷行街道AED巡检队", "organisation_id": yinhang["id"],
        "contact_phone": "021-65550000"})
    assert made.status_code == 201, made.get_data(as_text=True)
    team_id = made.get_json()["id"]
    assert made.get_json()["members"] == 0
    moved = client.patch(f"/api/v1/teams/{team_id}", headers=headers,
                         json={"name_en": "Yinhang AED Check Team", "organisation_id": 99999})
    assert invalid_fields(moved) == {"organisation_id"}
    renamed = client.patch(f"/api/v1/teams/{team_id}", headers=headers,
                           json={"name_en": "Yinhang AED Check Team"})
    assert renamed.status_code == 200 and renamed.get_json()["organisation_id"] == yinhang["id"]
    twice = client.post("/api/v1/teams", headers=headers, json={
        "code": "yinhang-aed", "name": "x", "organisation_id": yinhang["id"]})
    assert invalid_fields(twice) == {"code"}
    listed = client.get(f"/api/v1/teams?organisation_id={yinhang['id']}", headers=headers)
    assert [t["code"] for t in listed.get_json()["items"]] == ["yinhang-aed"]
    db.expire_all()
    rows = list(db.scalars(select(AuditLog).where(AuditLog.entity_type == "team",
                                                  AuditLog.entity_id == str(team_id))
                           .order_by(AuditLog.id)))
    assert [(r.action, r.actor) for r in rows] == [("create", "coordinator"),
                                                   ("update", "coordinator")]
    assert rows[-1].after == {"name_en": "Yinhang AED Check Team"}


def test_the_document_names_the_people_operations(seeded: Flask, client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/users/{user_id}"]) == {"get", "patch"}
    assert "403" in paths["/users"]["get"]["responses"]
    assert "422" in paths["/users"]["post"]["responses"]
    user = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["User"]
    secretish = {k for k in user["properties"] if "password" in k or "token" in k or "hash" in k}
    assert secretish == {"must_change_password", "has_api_token"}
    assert DEMO_PASSWORD not in json.dumps(paths)
