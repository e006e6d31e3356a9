from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import (
    Asset,
    Gateway,
    Organisation,
    ParLevel,
    Site,
    StockLot,
    Team,
    User,
)

STATUSES = {"ready", "attention", "not_ready", "in_use", "unknown"}


def _counts(db: Session) -> dict[str, int]:
    return {
        m.__name__: db.scalar(select(func.count()).select_from(m)) or 0
        for m in (Organisation, Team, Site, Asset, Gateway, StockLot, ParLevel, User)
    }


def test_seed_demo_builds_yangpu_and_is_idempotent(runner: FlaskCliRunner, db: Session) -> None:
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "demo loaded" in first.output
    before = _counts(db)
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert "nothing changed" in second.output
    assert _counts(db) == before

    subdistricts = db.scalars(select(Organisation).where(Organisation.level == "subdistrict")).all()
    assert len(subdistricts) == 12
    assert {o.parent.code for o in subdistricts if o.parent} == {"yp-redcross"}
    assert before["Team"] >= 3

    aeds = db.scalars(select(Asset).where(Asset.kind == "aed")).all()
    assert len(aeds) >= 20
    assert {a.status for a in aeds} == STATUSES
    for a in aeds:
        assert 31.245 <= a.lat <= 31.285 and 121.50 <= a.lon <= 121.57, a.name
    assert all(s.is_fictional for s in db.scalars(select(Site)))

    station = db.scalar(select(Site).where(Site.kind == "first_aid_station"))
    assert station is not None and "时尚中心" in station.name
    pars = db.scalars(select(ParLevel).where(ParLevel.site_id == station.id)).all()
    lots = db.scalars(select(StockLot).where(StockLot.site_id == station.id)).all()
    assert len(pars) >= 10 and len(lots) >= len(pars)
    assert {u.role for u in db.scalars(select(User))} == {"admin", "coordinator", "volunteer",
                                                           "viewer"}


def test_assets_api_lists_positions_and_status(runner: FlaskCliRunner, client: FlaskClient) -> None:
    runner.invoke(args=["seed-demo"])
    body = client.get("/api/v1/assets?kind=aed").get_json()
    assert body["total"] >= 20
    assert {item["status"] for item in body["items"]} == STATUSES
    first = body["items"][0]
    assert {"lat", "lon", "status", "name", "site"} <= set(first)
    only = client.get("/api/v1/assets?status=in_use").get_json()
    assert only["total"] >= 1
    assert {i["status"] for i in only["items"]} == {"in_use"}


def test_healthz_reports_database_and_version(client: FlaskClient, app: Flask) -> None:
    resp = client.get("/healthz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["database"]["status"] == "ok"
    assert body["version"] == app.config["AED_VERSION"]


def test_asset_page_lists_assets_and_escapes_names(
    runner: FlaskCliRunner, client: FlaskClient, db: Session
) -> None:
    runner.invoke(args=["seed-demo"])
    asset = db.scalars(select(Asset)).first()
    assert asset is not None
    asset.name = "<script>alert(1)</script>"
    db.commit()
    html = client.get("/assets").get_data(as_text=True)
    assert "永安栈房AED" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_public_asset_list_hides_non_public_assets(
    runner: FlaskCliRunner, client: FlaskClient, db: Session
) -> None:
    runner.invoke(args=["seed-demo"])
    hidden = db.scalars(select(Asset).where(Asset.external_id == "aed-yp-021")).one()
    hidden.public = False
    db.commit()
    html = client.get("/assets").get_data(as_text=True)
    assert "永安栈房AED" in html
    assert hidden.name not in html
