"""The import runs the registry's one validator: the same problem gets the same reason as
through the API, hours that are not understood are imported and reported for their line,
the registry's newer columns come in when a file has them, and a retired site takes no
new assets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.extensions import get_aed_context
from app.importexport.fields import ASSET_COLUMNS
from app.importexport.formats import read_rows
from app.importexport.importer import import_rows
from app.models import Asset
from app.registry.operations import retire_site
from tests.registry.conftest import Registry

NOW = datetime(2026, 6, 1, 4, tzinfo=UTC)


def csv(header: list[str], *rows: dict[str, str]) -> bytes:
    lines = [",".join(header)] + [",".join(r.get(c, "") for c in header) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def row(n: int, **cells: str) -> dict[str, str]:
    base = {"external_id": f"imp-{n}", "site_external_id": "site-1", "kind": "aed",
            "name": f"导入AED{n}", "lat": "31.2517", "lon": "121.5210", "public": "yes",
            "access_hours": "24/7"}
    return {**base, **cells}


def run(app: Flask, db: Session, data: bytes, dry_run: bool = False) -> Any:
    rows = read_rows(data, "assets", "csv")
    report = import_rows(db, "assets", rows, NOW, get_aed_context(app), dry_run=dry_run)
    if not dry_run:
        db.commit()
    return report


def test_the_same_rules_and_reasons_as_the_api(
        app: Flask, db: Session, client: FlaskClient, registry: Registry,
        coordinator_token: dict[str, str]) -> None:
    header = list(ASSET_COLUMNS)
    report = run(app, db, csv(header, row(1), row(2, lat="131"), row(3, name="", lon="x"),
                              row(4, pad_expiry="2207-01-01")))
    assert report.created == 1
    assert report.errors == [
        (3, "lat must be between -90 and 90"),
        (4, "name is required; lon is not a number: 'x'"),
        (5, "pad_expiry must be a date between 1990 and 2100"),
    ]
    api = client.patch(f"/api/v1/assets/{registry.aed.id}", headers=coordinator_token,
                       json={"lat": 131, "pad_expiry": "2207-01-01"}).get_json()
    assert {p["name"]: p["reason"] for p in api["invalid-params"]} == {
        "lat": "must be between -90 and 90", "pad_expiry": "must be a date between 1990 and 2100"}


def test_hours_not_understood_are_imported_and_reported_for_their_line(
        app: Flask, db: Session, registry: Registry) -> None:
    header = list(ASSET_COLUMNS)
    data = csv(header, row(1), row(2, access_hours="白天开放"))
    dry = run(app, db, data, dry_run=True)
    assert (dry.created, dry.errors) == (2, [])
    assert [line for line, _ in dry.warnings] == [3]
    report = run(app, db, data)
    (line, message), = report.warnings
    assert line == 3 and message.startswith("access_hours is not understood as opening hours")
    assert report.as_dict()["warnings"] == [{"line": 3, "warning": message}]
    asset = db.scalar(select(Asset).where(Asset.external_id == "imp-2"))
    assert asset is not None and asset.access_hours == "白天开放"
    again = run(app, db, data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_the_newer_columns_come_in_when_the_file_has_them(
        app: Flask, db: Session, registry: Registry) -> None:
    extra = ["level", "cabinet_en", "install_date", "guardian_name", "guardian_phone",
             "paediatric_pads", "paediatric_pad_expiry"]
    data = csv([*ASSET_COLUMNS, *extra], row(1, level="-1", cabinet_en="Basement lobby",
                                             install_date="2026-05-01", guardian_name="李师傅",
                                             guardian_phone="13800001111",
                                             paediatric_pads="yes",
                                             paediatric_pad_expiry="2027-01-01"),
               row(2, install_date="2026-06-02", paediatric_pad_expiry="2027-01-01"))
    report = run(app, db, data)
    assert report.created == 1
    assert report.errors == [(3, "install_date must not be after today (2026-06-01); "
                                 "paediatric_pad_expiry needs paediatric_pads: the AED has "
                                 "child pads")]
    asset = db.scalar(select(Asset).where(Asset.external_id == "imp-1"))
    assert asset is not None
    assert (asset.level, asset.cabinet_en, asset.guardian_phone, asset.paediatric_pads) == (
        "-1", "Basement lobby", "13800001111", True)
    # A file without those columns (the export's) leaves them as they are.
    report = run(app, db, csv(list(ASSET_COLUMNS), row(1, name="改名AED")))
    assert report.updated == 1
    db.expire_all()
    asset = db.scalar(select(Asset).where(Asset.external_id == "imp-1"))
    assert asset is not None and asset.name == "改名AED" and asset.level == "-1"
    assert asset.guardian_phone == "13800001111"


def test_a_retired_site_takes_no_new_assets(app: Flask, db: Session,
                                            registry: Registry) -> None:
    retire_site(db, registry.site, "点位拆除", NOW, get_aed_context(app), None)
    db.commit()
    report = run(app, db, csv(list(ASSET_COLUMNS), row(1)))
    assert report.errors == [(2, "site_external_id 'site-1' names a retired site")]
