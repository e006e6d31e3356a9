"""Importing OpenStreetMap (or another registry) never duplicates an AED we hold: a record
within the match radius with a compatible name or ref is proposed as ours, links are kept,
ours win where they are newer, conflicts are listed and left out. Through the CLI and the
web import form, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import random
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app.importexport.matching import PointGrid, names_compatible
from app.models import Asset, AssetSourceRef, Site, User
from maps.geo import distance_m
from tests.support.web_login import login, post_form

PASSWORD = "osm-import-pass-2026"

# Xuhui, far from the Yangpu demo data, so only this test's AEDs are within reach.
LAT, LON = 31.2000, 121.4500
M_LAT = 1 / 110_900  # degrees of latitude per metre here
M_LON = 1 / 95_300   # degrees of longitude per metre at 31.2°


def _at(north_m: float, east_m: float) -> tuple[float, float]:
    return LAT + north_m * M_LAT, LON + east_m * M_LON


def _registry(db: Session) -> tuple[Site, Site, Asset]:
    site_a = Site(external_id="osm-test-a", name="复旦小区", name_en="Fudan estate",
                  kind="party_service_station", lat=LAT, lon=LON)
    lat_b, lon_b = _at(0, 400)
    site_b = Site(external_id="osm-test-b", name="国权路口", name_en="Guoquan Rd",
                  kind="riverside_point", lat=lat_b, lon=lon_b)
    db.add_all([site_a, site_b])
    db.flush()
    ours = Asset(external_id="aed-ours-1", kind="aed", site_id=site_a.id,
                 name="复旦小区东门 AED", name_en="Fudan estate east gate AED",
                 lat=LAT, lon=LON, pad_expiry=date(2028, 3, 31), cabinet="东门保安室")
    db.add(ours)
    db.commit()
    return site_a, site_b, ours


def _feature(lat: float, lon: float, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"emergency": "defibrillator", **props}}


def osm_file(shift: tuple[float, float] = (0.0, 0.0), *, with_ids: bool = True,
             extra: list[dict[str, Any]] | None = None) -> str:
    """What an Overpass export of the area holds: our AED (mapped 20 m off, with a
    ref:* tag), one we do not have beside site B, shifted by `shift` metres."""
    dn, de = shift
    first = _feature(*_at(20 + dn, 0 + de), name="复旦小区东门AED", **{
        "ref:CN:SH120": "SH-0001", "opening_hours": "24/7"})
    second = _feature(*_at(10 + dn, 400 + de), name="AED", **{
        "defibrillator:location": "东侧入口柜内", "access": "yes", "indoor": "no"})
    if with_ids:
        first["id"], second["properties"]["@id"] = "node/101", "node/102"
    return json.dumps({"type": "FeatureCollection",
                       "features": [first, second, *(extra or [])]}, ensure_ascii=False)


def _count(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Asset).where(
        Asset.lat.between(LAT - 0.01, LAT + 0.01))) or 0


def _links(db: Session) -> dict[tuple[str, str], str]:
    rows = db.execute(select(AssetSourceRef.key, AssetSourceRef.value, Asset.external_id)
                      .join(Asset, Asset.id == AssetSourceRef.asset_id))
    return {(k, v): ext for k, v, ext in rows}


def test_names_compatible_as_a_table() -> None:
    table = [
        (("复旦小区东门AED",), ("复旦小区东门 AED",), True),
        (("AED",), ("复旦小区东门 AED",), True),       # a generic name contradicts nothing
        (("",), ("复旦小区东门",), True),
        (("Fudan East Gate",), ("fudan east gate aed",), True),
        (("东门",), ("复旦小区东门",), True),
        (("3号AED",), ("13号AED",), False),             # not inside a number
        (("导入AED 1",), ("导入AED 10",), False),
        (("控江医院",), ("复旦小区东门",), False),
    ]
    for theirs, ours, expected in table:
        assert names_compatible(theirs, ours) is expected, (theirs, ours)


def test_grid_finds_what_brute_force_finds() -> None:
    rng = random.Random(16)
    points = [(LAT + rng.uniform(-0.003, 0.003), LON + rng.uniform(-0.003, 0.003), i)
              for i in range(400)]
    grid = PointGrid(points, 50.0)
    for _ in range(60):
        lat, lon = LAT + rng.uniform(-0.003, 0.003), LON + rng.uniform(-0.003, 0.003)
        brute = sorted(i for plat, plon, i in points if distance_m(lat, lon, plat, plon) <= 50)
        assert sorted(i for _, i in grid.within(lat, lon, 50.0)) == brute


def test_cli_import_twice_and_moved_creates_no_duplicate(app: Flask, db: Session,
                                                          tmp_path: Path) -> None:
    _, site_b, ours = _registry(db)
    runner = app.test_cli_runner()
    path = tmp_path / "osm.geojson"
    path.write_text(osm_file(), encoding="utf-8")

    dry = runner.invoke(args=["import", "assets", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "osm.geojson:1: matched aed-ours-1: 20 m from aed-ours-1, compatible name" in dry.output
    assert "would import 2 assets (1 new, 0 updated, 1 unchanged)" in dry.output
    assert "1 matched to registered assets (not created)" in dry.output
    assert _count(db) == 1 and _links(db) == {}

    first = runner.invoke(args=["import", "assets", str(path)])
    assert first.exit_code == 0, first.output
    assert "(1 new, 0 updated, 1 unchanged)" in first.output
    assert _count(db) == 2
    created = db.scalar(select(Asset).where(Asset.external_id == "osm-node-102"))
    assert created is not None and created.site_id == site_b.id
    assert created.cabinet == "东侧入口柜内" and created.public
    kept = db.get(Asset, ours.id)
    assert kept is not None and (kept.lat, kept.lon) == (LAT, LON), "ours are newer: kept"
    assert kept.pad_expiry == date(2028, 3, 31) and kept.cabinet == "东门保安室"
    assert _links(db) == {("osm", "node/101"): "aed-ours-1",
                          ("ref:CN:SH120", "SH-0001"): "aed-ours-1",
                          ("osm", "node/102"): "osm-node-102"}

    again = runner.invoke(args=["import", "assets", str(path)])
    assert again.exit_code == 0, again.output
    assert "(0 new, 0 updated, 2 unchanged)" in again.output
    assert "linked by osm=node/101" in again.output
    assert _count(db) == 2

    # Another export of the same AEDs, mapped 10-30 m elsewhere and without element ids.
    for shift in ((-10.0, 12.0), (15.0, -20.0), (0.0, 30.0)):
        path.write_text(osm_file(shift, with_ids=False), encoding="utf-8")
        moved = runner.invoke(args=["import", "assets", str(path)])
        assert moved.exit_code == 0, moved.output
        assert "(0 new, 0 updated, 2 unchanged)" in moved.output, moved.output
        assert _count(db) == 2


def test_newer_source_changes_only_its_fields_and_conflicts_are_left_out(
        app: Flask, db: Session, tmp_path: Path) -> None:
    site_a, _, ours = _registry(db)
    twin_a = Asset(external_id="aed-twin-a", kind="aed", site_id=site_a.id, name="控江医院 AED",
                   lat=_at(-200, 0)[0], lon=LON)
    twin_b = Asset(external_id="aed-twin-b", kind="aed", site_id=site_a.id, name="控江医院门诊 AED",
                   lat=_at(-230, 0)[0], lon=LON)
    db.add_all([twin_a, twin_b])
    db.commit()
    newer = _feature(*_at(5, 5), name="复旦小区东门AED", check_date="2099-01-01",
                     **{"defibrillator:location": "东门保安室内左侧", "id": "node/201"})
    both = _feature(*_at(-215, 0), name="控江医院")
    path = tmp_path / "osm.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [newer, both]},
                               ensure_ascii=False), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", "assets", str(path)])
    assert result.exit_code == 1, "a conflicting record is not imported"
    assert "osm.geojson:1: changed aed-ours-1" in result.output
    assert "osm.geojson:2: conflict: 2 registered AEDs within 50 m fit it" in result.output
    assert "(0 new, 1 updated, 0 unchanged)" in result.output
    db.expire_all()
    changed = db.get(Asset, ours.id)
    assert changed is not None and changed.cabinet == "东门保安室内左侧"
    assert changed.pad_expiry == date(2028, 3, 31), "a field the source lacks stays ours"
    assert changed.name == "复旦小区东门AED"
    assert _count(db) == 3


def test_web_import_twice_and_moved_creates_no_duplicate(app: Flask, client: FlaskClient,
                                                          db: Session) -> None:
    _registry(db)
    db.add(User(username="coord", display_name="Coordinator", role="coordinator",
                password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")))
    db.commit()
    login(client, "coord", PASSWORD)

    def upload(text: str, dry_run: bool) -> str:
        form: dict[str, object] = {"kind": "assets",
                                   "file": (BytesIO(text.encode()), "export.geojson")}
        if dry_run:
            form["dry_run"] = "yes"
        resp = post_form(client, "/import", form)
        assert resp.status_code == 200
        return resp.get_data(as_text=True)

    html = upload(osm_file(), dry_run=True)
    assert "试运行" in html and 'id="import-proposals"' in html
    assert "已匹配</strong> aed-ours-1 (20 m)" in html
    assert "新建</strong> osm-node-102" in html
    assert "1 条匹配到已登记的记录" in html
    assert _count(db) == 1
    upload(osm_file(), dry_run=False)
    assert _count(db) == 2
    html = upload(osm_file(), dry_run=False)
    assert "已匹配</strong> osm-node-102" in html
    assert _count(db) == 2
    upload(osm_file((12.0, -25.0), with_ids=False), dry_run=False)
    upload(osm_file((-30.0, 0.0), with_ids=False), dry_run=False)
    assert _count(db) == 2
