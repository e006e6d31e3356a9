"""Migration 0008 (the registry's columns) goes down and up again on a database that
holds data: a retired AED with its alerts and a retired site. On SQLite batch mode
rebuilds the asset and site tables, which other rows point at; nothing may be lost and
no foreign key may be left dangling."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from app import migrate
from app.db import Database
from app.models import Alert, Asset, Site, utcnow
from tests.factories import make_aed, make_site, make_team

REGISTRY_COLUMNS = {"asset": {"level", "cabinet_en", "guardian_name", "guardian_phone",
                              "photo_path", "retired_at", "retired_reason"},
                    "site": {"retired_at", "retired_reason"}}


def _columns(db: Database, table: str) -> set[str]:
    return {c["name"] for c in inspect(db.engine).get_columns(table)}


def test_0008_goes_down_and_up_with_rows_that_point_at_its_tables(
        app: Flask, db: Session, database_url: str) -> None:
    site = make_site(db, team=make_team(db), retired_reason="站点撤销")
    site.retired_at = utcnow()
    aed = make_aed(db, site, level="1", guardian_phone="13800001111",
                   retired_reason="设备报废")
    aed.retired_at = utcnow()
    db.add(Alert(kind="pad_expired", severity="critical", status="resolved",
                 subject_type="asset", subject_id=str(aed.id), asset_id=aed.id,
                 site_id=site.id,
                 dedupe_key=f"asset:{aed.id}:pad_expired", opened_at=utcnow(),
                 resolved_at=utcnow(), resolution="retired: 设备报废"))
    db.commit()
    aed_id, site_id = aed.id, site.id
    db.close()

    other = Database(database_url)
    try:
        migrate.downgrade(other.engine, "0007")
        try:
            for table, added in REGISTRY_COLUMNS.items():
                assert not added & _columns(other, table), table
            with other.engine.connect() as conn:
                assert conn.scalar(text("SELECT count(*) FROM asset WHERE id = :i"),
                                   {"i": aed_id}) == 1
                assert conn.scalar(text("SELECT count(*) FROM alert WHERE asset_id = :i"),
                                   {"i": aed_id}) == 1
        finally:
            migrate.upgrade(other.engine)
        assert migrate.drift(other.engine) == []
        if other.engine.dialect.name == "sqlite":
            with other.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        other.dispose()

    # The rows came through; the new columns are empty again (their values went down).
    again = app.extensions["aed.db"].session_factory()
    try:
        asset = again.get(Asset, aed_id)
        assert asset is not None and asset.site_id == site_id
        assert (asset.retired_at, asset.level) == (None, None)
        assert again.get(Site, site_id) is not None
        assert again.scalar(select(Alert.resolution).where(Alert.asset_id == aed_id)) == (
            "retired: 设备报废")
    finally:
        again.close()
