"""REST API: resources, filters, pagination, token auth, per-team writes, problem details."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.tokens import issue_token
from app.models import Asset, Site, Team, User
from tests.support.web_login import login

PROBLEM = "application/problem+json"


def token_for(db: Session, username: str) -> dict[str, str]:
    user = db.scalar(select(User).where(User.username == username))
    assert user is not None
    token = issue_token(db, user)
    db.commit()
    return {"Authorization": f"Bearer {token}"}


def test_assets_filters_bbox_and_pagination(seeded: Flask, client: FlaskClient) -> None:
    everything = client.get("/api/v1/assets").get_json()
    assert everything["total"] == len(everything["items"]) >= 22
    page = client.get("/api/v1/assets?limit=5&offset=5").get_json()
    assert page["total"] == everything["total"] and len(page["items"]) == 5
    assert [i["id"] for i in page["items"]] == [i["id"] for i in everything["items"][5:10]]
    lats = sorted(i["lat"] for i in everything["items"])
    lons = sorted(i["lon"] for i in everything["items"])
    mid_lat = lats[len(lats) // 2]
    box = f"{lons[0]},{lats[0]},{lons[-1]},{mid_lat}"
    inside = client.get(f"/api/v1/assets?bbox={box}").get_json()
    assert 0 < inside["total"] < everything["total"]
    assert all(i["lat"] <= mid_lat for i in inside["items"])
    aeds = client.get("/api/v1/assets?kind=aed&status=ready,attention").get_json()
    assert {i["status"] for i in aeds["items"]} <= {"ready", "attention"}


@pytest.mark.parametrize("path", ["/api/v1/sites", "/api/v1/gateways", "/api/v1/alerts",
                                  "/api/v1/inspections", "/api/v1/stock"])
def test_resources_need_a_token_and_list_with_total(seeded: Flask, client: FlaskClient,
                                                    db: Session, path: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 401 and resp.mimetype == PROBLEM
    assert resp.get_json()["status"] == 401
    body = client.get(path, headers=token_for(db, "viewer")).get_json()
    assert set(body) >= {"items", "total", "limit", "offset"}


def test_stock_filter_by_site_and_item(seeded: Flask, client: FlaskClient, db: Session) -> None:
    site = db.scalar(select(Site).where(Site.external_id == "fac-fashion"))
    assert site is not None
    headers = token_for(db, "viewer")
    body = client.get(f"/api/v1/stock?site_id={site.id}&item=gloves", headers=headers).get_json()
    assert body["total"] >= 1
    assert {i["item"]["code"] for i in body["items"]} == {"gloves"}


def test_problem_details_for_errors(seeded: Flask, client: FlaskClient, db: Session) -> None:
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.mimetype == PROBLEM
    assert missing.get_json()["title"] == "Not Found"
    wrong = client.delete("/api/v1/assets")
    assert wrong.status_code == 405 and wrong.mimetype == PROBLEM and "GET" in wrong.headers["Allow"]
    bad = client.get("/api/v1/assets?limit=abc")
    assert bad.status_code == 400 and bad.mimetype == PROBLEM
    assert bad.get_json()["type"].endswith("invalid-parameter")
    assert client.get("/api/v1/assets/999999").status_code == 404


def test_server_error_is_a_problem_too(seeded: Flask, client: FlaskClient) -> None:
    @seeded.get("/api/v1/_boom")
    def boom() -> str:
        raise RuntimeError("kaboom")

    seeded.config["PROPAGATE_EXCEPTIONS"] = False
    resp = client.get("/api/v1/_boom")
    assert resp.status_code == 500 and resp.mimetype == PROBLEM
    assert "kaboom" not in resp.get_data(as_text=True)


def test_writes_need_a_token_and_respect_teams(seeded: Flask, client: FlaskClient,
                                               db: Session) -> None:
    team = db.scalar(select(Team).where(Team.code == "shanxin"))
    assert team is not None
    own = db.scalars(select(Asset).join(Site).where(Site.team_id == team.id)).first()
    other = db.scalars(select(Asset).join(Site).where(Site.team_id != team.id)).first()
    assert own is not None and other is not None
    volunteer = token_for(db, "volunteer")
    ok = client.post("/api/v1/inspections", json={"asset_id": own.id, "pads_ok": True},
                     headers=volunteer)
    assert ok.status_code == 201 and ok.get_json()["result"] == "pass"
    denied = client.post("/api/v1/inspections", json={"asset_id": other.id}, headers=volunteer)
    assert denied.status_code == 403 and denied.mimetype == PROBLEM
    viewer = client.post("/api/v1/inspections", json={"asset_id": own.id},
                         headers=token_for(db, "viewer"))
    assert viewer.status_code == 403
    # A browser session may read but not write (the API is exempt from CSRF).
    login(client, "volunteer")
    cookie_write = client.post("/api/v1/inspections", json={"asset_id": own.id})
    assert cookie_write.status_code == 401
    assert client.get("/api/v1/sites").status_code == 200


def test_openapi_document_and_docs_page(seeded: Flask, client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    for path in ("/assets", "/sites", "/gateways", "/alerts", "/inspections", "/stock"):
        assert path in doc["paths"]
    has_nearest = any(r.rule == "/api/v1/nearest" for r in seeded.url_map.iter_rules())
    assert ("/nearest" in doc["paths"]) == has_nearest
    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert "GET /api/v1/assets" in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")


def test_asset_list_can_be_gzipped_and_sees_changes(seeded: Flask, client: FlaskClient,
                                                    db: Session) -> None:
    import gzip
    import json

    from tests.support.wait import wait_for

    plain = client.get("/api/v1/assets?kind=aed").get_json()
    zipped = client.get("/api/v1/assets?kind=aed", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.data)) == plain
    asset = db.get(Asset, plain["items"][0]["id"])
    assert asset is not None
    asset.status = "in_use" if asset.status != "in_use" else "ready"
    db.commit()

    def fresh_status() -> bool:
        body = client.get("/api/v1/assets?kind=aed").get_json()
        return bool(body["items"][0]["status"] == asset.status)

    wait_for(fresh_status, timeout=5, message="cached list to show the new status")
