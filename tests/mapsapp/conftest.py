"""Fixtures for the app's map pages and map APIs: the real app on both databases with
tiles off, the seeded Yangpu demo, and helpers to add many AEDs quickly."""

from __future__ import annotations

import random
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.auth.tokens import issue_token
from app.extensions import get_db
from app.models import Asset, Site, User
from tests.support.mosquitto import free_port


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    # No broker listens here: nothing leaks to a local broker. Tiles off: no outside URL.
    return {**app_config, "MQTT_URL": f"mqtt://127.0.0.1:{free_port()}", "MAP_TILES": "none"}


@pytest.fixture
def seeded(app: Flask, runner: FlaskCliRunner) -> Flask:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return app


def token_for(app: Flask, username: str) -> str:
    with get_db(app).session() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return issue_token(session, user)


@pytest.fixture
def coordinator_token(seeded: Flask) -> str:
    return token_for(seeded, "coordinator")


def add_random_aeds(
    session: Session, count: int, *, seed: int, center: tuple[float, float] = (31.26, 121.53),
    spread_deg: float = 0.03, statuses: tuple[str, ...] = ("ready", "attention", "not_ready",
                                                             "in_use", "unknown"),
    duplicates: int = 0,
) -> list[dict[str, Any]]:
    """Insert ``count`` AEDs at random positions (plus ``duplicates`` that share a position
    with an earlier one, to exercise ties) under one new site; returns their rows."""
    rnd = random.Random(seed)
    site = Site(external_id=f"bench-site-{seed}", name="随机站点", kind="other",
                lat=center[0], lon=center[1])
    session.add(site)
    session.flush()
    rows: list[dict[str, Any]] = []
    for i in range(count + duplicates):
        if i >= count:
            base = rows[rnd.randrange(count)]
            lat, lon = base["lat"], base["lon"]
        else:
            lat = center[0] + rnd.uniform(-spread_deg, spread_deg)
            lon = center[1] + rnd.uniform(-spread_deg, spread_deg)
        rows.append({
            "external_id": f"rand-{seed}-{i}", "kind": "aed", "site_id": site.id,
            "name": f"随机AED {i}", "lat": lat, "lon": lon, "status": rnd.choice(statuses),
            "public": rnd.random() < 0.8, "access_hours": rnd.choice(["24/7", "", "Mo-Fr 08:00-18:00"]),
        })
    session.execute(insert(Asset), rows)
    session.flush()
    ids = dict(session.execute(
        select(Asset.external_id, Asset.id).where(Asset.site_id == site.id)).all())
    for row in rows:
        row["id"] = ids[row["external_id"]]
    return rows
