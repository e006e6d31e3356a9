"""One public policy: anonymous clients see only public assets, without private fields,
on every surface; personal data stays with coordinators and admins."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Asset, Site
from tests.security.seeded import seeded  # noqa: F401 - fixture
from tests.support.web_login import login

PRIVATE_ASSET_FIELDS = {"serial", "manufacturer", "model", "maintenance_until",
                        "in_use_since", "public", "status_changed_at", "status_reasons"}
SECRET_SERIAL = "SERIAL-PRIVATE-4711"
SECRET_CABINET = "CABINET-PRIVATE-0815"
SECRET_PHONE = "13900009999"


@pytest.fixture
def hidden(seeded: Flask, db: Session) -> Asset:  # noqa: F811
    """One AED marked non-public, with private text, at a site with a contact phone."""
    asset = db.scalars(select(Asset).where(Asset.kind == "aed").order_by(Asset.id)).first()
    assert asset is not None
    asset.public = False
    asset.serial = SECRET_SERIAL
    asset.cabinet = SECRET_CABINET
    asset.site.contact_phone = SECRET_PHONE
    db.commit()
    return asset


def _body(client: FlaskClient, path: str) -> str:
    resp = client.get(path)
    assert resp.status_code == 200, (path, resp.status_code)
    return resp.get_data(as_text=True)


def test_anonymous_asset_list_hides_non_public_assets(hidden: Asset, client: FlaskClient) -> None:
    data = json.loads(_body(client, "/api/v1/assets?limit=5000"))
    ids = {item["id"] for item in data["items"]}
    assert hidden.id not in ids and ids
    assert data["total"] == len(ids)
    for item in data["items"]:
        assert not PRIVATE_ASSET_FIELDS & set(item), item
    text = json.dumps(data, ensure_ascii=False)
    assert SECRET_SERIAL not in text and SECRET_CABINET not in text


def test_anonymous_asset_detail_of_non_public_is_not_found(hidden: Asset,
                                                           client: FlaskClient) -> None:
    resp = client.get(f"/api/v1/assets/{hidden.id}")
    assert resp.status_code == 404
    assert SECRET_SERIAL not in resp.get_data(as_text=True)


def test_anonymous_asset_detail_carries_public_fields_only(hidden: Asset, client: FlaskClient,
                                                           db: Session) -> None:
    other = db.scalars(select(Asset).where(Asset.public.is_(True), Asset.kind == "aed")).first()
    assert other is not None
    body = json.loads(_body(client, f"/api/v1/assets/{other.id}"))
    assert body["id"] == other.id and "status" in body and "lat" in body
    assert not PRIVATE_ASSET_FIELDS & set(body)
    assert not {"contact_name", "contact_phone"} & set(body["site"])


def test_the_list_cache_never_serves_the_signed_in_answer_to_the_public(
    hidden: Asset, seeded: Flask  # noqa: F811
) -> None:
    staff = seeded.test_client()
    login(staff, "coordinator")
    inside = json.loads(_body(staff, "/api/v1/assets?limit=5000"))
    assert hidden.id in {i["id"] for i in inside["items"]}
    outside = json.loads(_body(seeded.test_client(), "/api/v1/assets?limit=5000"))
    assert hidden.id not in {i["id"] for i in outside["items"]}
    # And the other way round, with the public answer cached first.
    again = json.loads(_body(staff, "/api/v1/assets?limit=5000"))
    assert hidden.id in {i["id"] for i in again["items"]}


@pytest.mark.parametrize("path", [
    "/map/public", "/assets", "/api/v1/map-features?bbox=121.4,31.2,121.7,31.35",
    "/api/v1/nearest?lat=31.26&lon=121.53&n=50",
])
def test_no_public_surface_shows_the_hidden_asset(hidden: Asset, client: FlaskClient,
                                                  path: str) -> None:
    text = _body(client, path)
    assert hidden.name not in text
    assert SECRET_SERIAL not in text and SECRET_CABINET not in text and SECRET_PHONE not in text


@pytest.mark.parametrize("role", ["volunteer", "viewer"])
def test_contacts_are_personal_data_for_coordinators_and_admins(
    hidden: Asset, seeded: Flask, role: str  # noqa: F811
) -> None:
    client = seeded.test_client()
    login(client, role)
    site_id = hidden.site_id
    for path in (f"/sites/{site_id}", f"/api/v1/sites/{site_id}", "/map",
                 "/api/v1/map-features?bbox=121.4,31.2,121.7,31.35"):
        assert SECRET_PHONE not in _body(client, path), path
    assert SECRET_PHONE not in _body(client, "/export/sites.csv?include_fictional=1")


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_coordinators_see_contacts(hidden: Asset, seeded: Flask, role: str,  # noqa: F811
                                   db: Session) -> None:
    client = seeded.test_client()
    login(client, role)
    site = db.get(Site, hidden.site_id)
    assert site is not None
    assert SECRET_PHONE in _body(client, f"/sites/{site.id}")
    assert json.loads(_body(client, f"/api/v1/sites/{site.id}"))["contact_phone"] == SECRET_PHONE
