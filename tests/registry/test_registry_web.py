"""The registry editor's pages under /registry: coordinators only, errors beside each
field in the reader's language, hours checked, photos, retirement with a reason and a
confirmation, and the asset leaving the maps and the worklist."""

from __future__ import annotations

import re
from io import BytesIO

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Alert, Asset, AuditLog, Site
from tests.registry.conftest import Registry
from tests.support.web_login import csrf_token

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def post(client: FlaskClient, path: str, data: dict[str, object], **kwargs: object):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)}, **kwargs)


def field_error(html: str, name: str) -> str:
    match = re.search(rf'<p class="field-error" id="{name}-error" role="alert">'
                      r'<span aria-hidden="true">✕</span> ([^<]*)</p>', html)
    assert match, f"no error beside {name}"
    return match.group(1).strip()


def asset_form(registry: Registry, **changes: str) -> dict[str, object]:
    form: dict[str, object] = {
        "kind": "aed", "site_id": str(registry.site.id), "name": "东侧入口AED",
        "name_en": "East entrance AED", "lat": "31.251700", "lon": "121.510500",
        "indoor": "yes", "level": "1", "cabinet": "东侧入口柜内",
        "cabinet_en": "Cabinet at the east entrance", "access_hours": "Mo-Su 06:00-22:00",
        "pad_expiry": registry.days(700).isoformat(),
        "battery_expiry": registry.days(1400).isoformat(), "manufacturer": "Mindray",
        "model": "BeneHeart C2", "serial": "MR-1", "install_date": registry.today.isoformat(),
        "guardian_name": "李师傅", "guardian_phone": "13800001111", "public": "yes",
        "device": "", "external_id": "",
    }
    form.update(changes)
    return form


def test_volunteers_and_visitors_edit_nothing(app, client: FlaskClient,
                                              volunteer_web: FlaskClient,
                                              registry: Registry) -> None:
    pages = ["/registry", "/registry/sites/new", f"/registry/sites/{registry.site.id}/edit",
             f"/registry/sites/{registry.site.id}/retire", "/registry/assets/new",
             f"/registry/assets/{registry.aed.id}/edit",
             f"/registry/assets/{registry.aed.id}/retire"]
    token = csrf_token(volunteer_web, "/")
    for page in pages:
        assert volunteer_web.get(page).status_code == 403, page
        if page != "/registry":
            assert volunteer_web.post(page, data={"csrf_token": token, "name": "x",
                                                  "reason": "x", "confirm": "yes"}
                                      ).status_code == 403, page
        visitor = client.get(page)
        assert visitor.status_code == 302 and "/login" in visitor.headers["Location"], page
    html = volunteer_web.get(f"/assets/{registry.aed.id}").get_data(as_text=True)
    assert 'id="edit-asset"' not in html


def test_a_coordinator_adds_a_site(coordinator_web: FlaskClient, db: Session,
                                   registry: Registry) -> None:
    resp = post(coordinator_web, "/registry/sites/new", {
        "name": "杨浦滨江新驿站", "name_en": "New post", "kind": "party_service_station",
        "address": "杨树浦路 1500 号", "lat": "31.2561", "lon": "121.5322",
        "opening_hours": "Mo-Su 07:00-21:00", "team_id": str(registry.team.id),
        "contact_name": "王老师", "contact_phone": "021-65431234", "external_id": ""})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    site = db.scalar(select(Site).where(Site.name == "杨浦滨江新驿站"))
    assert site is not None and site.team_id == registry.team.id
    assert site.external_id.startswith("site-") and site.lat == 31.2561
    assert resp.headers["Location"] == f"/sites/{site.id}"
    created = db.scalar(select(AuditLog).where(AuditLog.entity_type == "site",
                                               AuditLog.entity_id == str(site.id)))
    assert created is not None and created.action == "create" and created.actor == "coord-reg"
    page = coordinator_web.get(f"/sites/{site.id}").get_data(as_text=True)
    assert 'id="edit-site"' in page


def test_errors_show_beside_each_field_in_the_readers_language(
        coordinator_web: FlaskClient, db: Session, registry: Registry) -> None:
    before = len(db.scalars(select(Asset.id)).all())
    bad = asset_form(registry, name="", lat="north", lon="200",
                     pad_expiry="2207-01-01", paediatric_pad_expiry=registry.days(9).isoformat(),
                     external_id=registry.aed.external_id)
    resp = post(coordinator_web, "/registry/assets/new", bad)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert field_error(html, "name") == "请填写此项。"
    assert field_error(html, "lat") == "请输入数字,例如 31.2517。"
    assert field_error(html, "lon") == "必须在 -180 到 180 之间。"
    assert field_error(html, "pad_expiry") == "日期须在 1990 年至 2100 年之间。"
    assert field_error(html, "paediatric_pad_expiry") == "请勾选“配有儿童电极片”,或清空此日期。"
    assert field_error(html, "external_id") == "此编号已被使用。"
    assert 'aria-invalid="true"' in html and 'value="north"' in html, "what was typed stays"
    assert len(db.scalars(select(Asset.id)).all()) == before

    coordinator_web.get("/lang/en")
    html = post(coordinator_web, "/registry/assets/new", bad).get_data(as_text=True)
    assert field_error(html, "name") == "Please fill this in."
    assert field_error(html, "lon") == "Must be between -180 and 180."


def test_a_coordinator_adds_an_aed_with_its_photo_and_hours(
        coordinator_web: FlaskClient, db: Session, registry: Registry) -> None:
    form = asset_form(registry, access_hours="白天开放")
    form["photo"] = (BytesIO(PNG), "aed.png")
    resp = post(coordinator_web, "/registry/assets/new", form,
                content_type="multipart/form-data", follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html[:2000]
    asset = db.scalar(select(Asset).where(Asset.name == "东侧入口AED"))
    assert asset is not None
    assert (asset.lat, asset.lon, asset.level, asset.cabinet_en, asset.indoor) == (
        31.2517, 121.5105, "1", "Cabinet at the east entrance", True)
    assert asset.guardian_phone == "13800001111"
    assert asset.photo_path is not None and asset.photo_path.endswith(".png")
    # Hours not understood: kept as typed, said so, and the map's hours are unknown.
    assert asset.access_hours == "白天开放"
    assert "无法识别的开放时间" in html
    assert asset.status == "ready", asset.status_reasons
    photo = coordinator_web.get(f"/photos/{asset.photo_path}")
    try:
        assert photo.status_code == 200 and photo.data == PNG
    finally:
        photo.close()


def test_a_photo_that_is_no_image_is_refused_beside_its_field(
        coordinator_web: FlaskClient, db: Session, registry: Registry) -> None:
    form = asset_form(registry)
    form["photo"] = (BytesIO(b"%PDF-1.4 not a picture"), "aed.png")
    resp = post(coordinator_web, "/registry/assets/new", form,
                content_type="multipart/form-data")
    assert resp.status_code == 400
    assert field_error(resp.get_data(as_text=True), "photo").startswith("照片须为")
    assert db.scalar(select(Asset).where(Asset.name == "东侧入口AED")) is None


def test_editing_a_date_recomputes_the_status_at_once(
        coordinator_web: FlaskClient, db: Session, registry: Registry) -> None:
    path = f"/registry/assets/{registry.aed.id}/edit"
    html = coordinator_web.get(path).get_data(as_text=True)
    assert 'value="滨江AED1"' in html and 'id="position-map"' in html
    assert registry.aed.pad_expiry is not None
    assert f'value="{registry.aed.pad_expiry.isoformat()}"' in html
    form = dict(re.findall(r'<input id="([a-z_]+)" name="\1" type="(?:text|date|tel)" '
                           r'value="([^"]*)"', html))
    form.update(kind="aed", site_id=str(registry.site.id), public="yes",
                pad_expiry=registry.days(-2).isoformat())
    resp = post(coordinator_web, path, form)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    db.expire_all()
    asset = db.get(Asset, registry.aed.id)
    assert asset is not None and asset.status == "not_ready"
    assert asset.name == "滨江AED1" and asset.battery_expiry == registry.days(800)
    page = coordinator_web.get(f"/assets/{asset.id}").get_data(as_text=True)
    assert 'data-status="not_ready"' in page and 'id="edit-asset"' in page


def test_retiring_needs_a_reason_and_a_confirmation(
        coordinator_web: FlaskClient, db: Session, registry: Registry) -> None:
    path = f"/registry/assets/{registry.aed.id}/retire"
    resp = post(coordinator_web, path, {"reason": ""})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert field_error(html, "reason") == "请填写此项。"
    assert field_error(html, "confirm") == "请勾选确认。"
    db.expire_all()
    assert db.get(Asset, registry.aed.id).retired_at is None  # type: ignore[union-attr]


def test_a_retired_aed_leaves_maps_and_worklist_and_keeps_its_history(
        coordinator_web: FlaskClient, db: Session, registry: Registry) -> None:
    aed_id = registry.aed.id
    edit = f"/registry/assets/{aed_id}/edit"
    html = coordinator_web.get(edit).get_data(as_text=True)
    form = dict(re.findall(r'<input id="([a-z_]+)" name="\1" type="(?:text|date|tel)" '
                           r'value="([^"]*)"', html))
    form.update(kind="aed", site_id=str(registry.site.id), public="yes",
                pad_expiry=registry.days(-2).isoformat())
    post(coordinator_web, edit, form)
    assert f"/assets/{aed_id}" in coordinator_web.get("/").get_data(as_text=True)
    assert _on_map(coordinator_web, "/api/v1/map-features", aed_id)
    assert _on_map(coordinator_web, "/api/v1/map-features?view=public", aed_id)

    resp = post(coordinator_web, f"/registry/assets/{aed_id}/retire",
                {"reason": "设备报废", "confirm": "yes"})
    assert resp.status_code == 302 and resp.headers["Location"] == f"/assets/{aed_id}"
    db.expire_all()
    alert = db.scalar(select(Alert).where(Alert.asset_id == aed_id, Alert.kind == "pad_expired"))
    assert alert is not None and (alert.status, alert.resolution) == (
        "resolved", "retired: 设备报废")
    # The alert's page says how it ended, in the reader's words, with the reason.
    shown = coordinator_web.get(f"/alerts/{alert.id}").get_data(as_text=True)
    assert re.search(r'id="alert-resolution">已停用:设备报废<', shown), shown
    assert f"/assets/{aed_id}\"" not in coordinator_web.get("/").get_data(as_text=True)
    assert not _on_map(coordinator_web, "/api/v1/map-features", aed_id)
    assert not _on_map(coordinator_web, "/api/v1/map-features?view=public", aed_id)
    page = coordinator_web.get(f"/assets/{aed_id}").get_data(as_text=True)
    assert 'id="retired-notice"' in page and "设备报废" in page
    assert f"/alerts/{alert.id}" in page, "its history stays on its page"
    assert 'id="edit-asset"' not in page
    assert coordinator_web.get(edit).status_code == 409
    listed = coordinator_web.get("/registry").get_data(as_text=True)
    assert f'data-asset="{aed_id}"' not in listed
    assert f'data-asset="{aed_id}"' in coordinator_web.get("/registry?retired=yes").get_data(
        as_text=True)


def _on_map(client: FlaskClient, url: str, asset_id: int) -> bool:
    """Whether the map's data (its bbox mode) has this AED."""
    sep = "&" if "?" in url else "?"
    body = client.get(f"{url}{sep}bbox=121.4,31.2,121.6,31.3&kind=aed").get_json()
    at = body["fields"].index("id")
    return str(asset_id) in {str(row[at]) for row in body["rows"]}


def test_the_list_searches_sites_and_assets(coordinator_web: FlaskClient,
                                            registry: Registry) -> None:
    html = coordinator_web.get("/registry?q=AED1").get_data(as_text=True)
    assert f'data-asset="{registry.aed.id}"' in html
    assert f'data-site="{registry.site.id}"' not in html
    html = coordinator_web.get("/registry?q=秦皇岛").get_data(as_text=True)
    assert f'data-site="{registry.site.id}"' in html


def test_retiring_a_site_retires_its_assets(coordinator_web: FlaskClient, db: Session,
                                            registry: Registry) -> None:
    resp = post(coordinator_web, f"/registry/sites/{registry.site.id}/retire",
                {"reason": "点位拆除", "confirm": "yes"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    db.expire_all()
    site = db.get(Site, registry.site.id)
    aed = db.get(Asset, registry.aed.id)
    assert site is not None and site.retired_reason == "点位拆除"
    assert aed is not None and aed.retired_reason == "点位拆除"
    page = coordinator_web.get(f"/sites/{site.id}").get_data(as_text=True)
    assert 'id="retired-notice"' in page


def test_the_hours_check_answers_as_typed(coordinator_web: FlaskClient,
                                         registry: Registry) -> None:
    ok = coordinator_web.get("/api/v1/hours/check?value=24/7").get_json()
    assert ok["valid"] is True and ok["open"] is True and ok["text"] == "现在开放"
    week = coordinator_web.get("/api/v1/hours/check?value=Mo-Fr%2008:00-18:00").get_json()
    assert week["valid"] is True and isinstance(week["open"], bool)
    assert (week["opens_at"] or week["closes_at"]).endswith("+08:00"), week
    bad = coordinator_web.get("/api/v1/hours/check?value=白天").get_json()
    assert bad["valid"] is False and bad["reason"] and bad["open"] is None
    assert bad["text"].startswith("开放时间未知")
    empty = coordinator_web.get("/api/v1/hours/check?value=").get_json()
    assert empty["valid"] is True and empty["open"] is None
