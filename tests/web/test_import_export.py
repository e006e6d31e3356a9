"""CSV and GeoJSON import/export: per-line errors, dry run, idempotent re-import."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.importexport.fields import ASSET_COLUMNS
from app.models import Asset, Site
from tests.support.web_login import login, post_form

BAD_LINES = {
    1001: ("lat", "north"),
    2502: ("name", ""),
    5003: ("site_external_id", "no-such-site"),
    7504: ("pad_expiry", "2027-13-45"),
    9999: ("kind", "defibrillator-ish"),
}


def big_csv(rows: int) -> str:
    lines = [",".join(ASSET_COLUMNS)]
    for n in range(rows):
        line_no = n + 2  # the header is line 1
        row = {
            "external_id": f"imp-{n:05d}", "site_external_id": "rs-qinhuangdao", "kind": "aed",
            "name": f"导入AED {n}", "name_en": f"Imported AED {n}",
            "lat": f"{31.25 + n * 1e-6:.6f}", "lon": f"{121.5 + n * 1e-6:.6f}",
            "manufacturer": "Philips", "model": "HS1", "serial": f"S{n}",
            "pad_expiry": "2028-01-31", "battery_expiry": "2029-06-30", "cabinet": "壁挂箱",
            "access_hours": "24/7", "indoor": "no", "public": "yes",
        }
        if line_no in BAD_LINES:
            key, value = BAD_LINES[line_no]
            row[key] = value
        lines.append(",".join(row[c] for c in ASSET_COLUMNS))
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_ten_thousand_rows_with_five_bad_ones(seeded: Flask, db: Session,
                                              tmp_path: Path) -> None:
    path = tmp_path / "assets.csv"
    path.write_text(big_csv(10_000), encoding="utf-8")
    before = db.scalar(select(func.count()).select_from(Asset)) or 0
    runner = seeded.test_cli_runner()
    dry = runner.invoke(args=["import", "assets", str(path), "--dry-run"])
    assert "would import 9995 assets" in dry.output
    assert db.scalar(select(func.count()).select_from(Asset)) == before
    result = runner.invoke(args=["import", "assets", str(path)])
    assert result.exit_code == 1  # some lines failed
    assert "imported 9995 assets (9995 new, 0 updated, 0 unchanged); 5 lines" in result.output
    reported = sorted(int(line.split(":")[1]) for line in result.output.splitlines()
                      if line.startswith("assets.csv:"))
    assert reported == sorted(BAD_LINES)
    assert db.scalar(select(func.count()).select_from(Asset)) == before + 9995
    again = runner.invoke(args=["import", "assets", str(path)])
    assert "(0 new, 0 updated, 9995 unchanged)" in again.output
    assert db.scalar(select(func.count()).select_from(Asset)) == before + 9995


def test_reimport_updates_by_external_id(seeded: Flask, db: Session, tmp_path: Path) -> None:
    runner = seeded.test_cli_runner()
    exported = runner.invoke(args=["export", "sites", "--include-fictional"]).output
    assert exported.splitlines()[0].startswith("external_id,name")
    changed = exported.replace("秦皇岛路码头滨江点", "秦皇岛路码头滨江点(新)")
    path = tmp_path / "sites.csv"
    path.write_text(changed, encoding="utf-8")
    result = runner.invoke(args=["import", "sites", str(path)])
    assert result.exit_code == 0, result.output
    assert "0 new, 1 updated" in result.output
    site = db.scalar(select(Site).where(Site.external_id == "rs-qinhuangdao"))
    assert site is not None and site.name == "秦皇岛路码头滨江点(新)"


def test_geojson_uses_osm_tags_and_round_trips(seeded: Flask, db: Session,
                                               tmp_path: Path) -> None:
    runner = seeded.test_cli_runner()
    text = runner.invoke(args=["export", "assets", "--format", "geojson",
                               "--include-fictional"]).output
    data = json.loads(text)
    props = data["features"][0]["properties"]
    assert props["emergency"] == "defibrillator" and props["ref"].startswith("aed-yp-")
    lon, lat = data["features"][0]["geometry"]["coordinates"]
    assert 121 < lon < 122 and 31 < lat < 32
    assert runner.invoke(args=["export", "assets", "--format", "geojson"]).output.count(
        "defibrillator") == 0, "fictional demo sites stay out of exports by default"
    path = tmp_path / "assets.geojson"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["import", "assets", str(path)])
    assert result.exit_code == 0, result.output
    assert "0 new, 0 updated" in result.output


def test_web_upload_with_dry_run(seeded: Flask, client: FlaskClient, db: Session) -> None:
    login(client, "coordinator")
    csv_text = big_csv(3).replace("imp-", "web-")
    resp = post_form(client, "/import", {"kind": "assets", "dry_run": "yes",
                                         "file": (BytesIO(csv_text.encode()), "a.csv")})
    html = resp.get_data(as_text=True)
    assert "试运行" in html
    assert db.scalar(select(func.count()).select_from(Asset).where(
        Asset.external_id.like("web-%"))) == 0
    resp = post_form(client, "/import", {"kind": "assets",
                                         "file": (BytesIO(csv_text.encode()), "a.csv")})
    assert db.scalar(select(func.count()).select_from(Asset).where(
        Asset.external_id.like("web-%"))) == 3
    login_volunteer = seeded.test_client()
    login(login_volunteer, "volunteer")
    assert login_volunteer.get("/import").status_code == 403
