"""Every page and API answer that shows user text, with a probe in every field: each
answers 200 and holds each probe's text unevaluated, HTML-escaped in markup and exact
inside JSON (``{{ 7*7 }}`` stands where it was typed, never ``49``; ``{% raw %}`` does not
turn the page into an error). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from tests.security.probe_fixtures import (  # noqa: F401 - fixture
    SHOWN,
    ProbeWorld,
    Report,
    app_config,
    build_world,
    check_response,
)

#: The box around the probe grid, as minLon,minLat,maxLon,maxLat.
BBOX = "121.40,31.15,121.60,31.35"
MAP_FIELDS = {"an", "ad", "ah", "sn", "sa", "sh"}


@pytest.fixture
def probe_world(app: Flask, client: FlaskClient, runner: FlaskCliRunner,
                db: Session) -> ProbeWorld:
    """Every probe in every field; ``client`` is signed in as the admin."""
    return build_world(app, client, runner, db)


def _pages(world: ProbeWorld) -> list[tuple[str, set[str]]]:
    """(url, fields it must show) for a signed-in admin."""
    pages: list[tuple[str, set[str]]] = [
        ("/map", MAP_FIELDS | {"gn"}),
        ("/map/public", MAP_FIELDS),
        ("/", {"an", "sn", "ud"}),
        ("/?scope=all", {"an", "sn"}),
        ("/alerts", {"an"}),
        ("/alerts?show=all", {"an"}),
        ("/assets", {"an", "ae", "sn"}),
        ("/gateways", {"gn"}),
        (f"/api/v1/map-features?bbox={BBOX}&zoom=14", {"an", "ad", "ah", "sn", "sa", "sh"}),
        (f"/api/v1/map-features?bbox={BBOX}&zoom=14&view=public", MAP_FIELDS),
        ("/api/v1/nearest?lat=31.25&lon=121.50&n=50", {"an"}),
    ]
    for asset_id in world.asset_ids:
        pages += [
            (f"/assets/{asset_id}", {"an", "ae", "ac", "am", "ao", "sn", "in"}),
            (f"/assets/{asset_id}/inspect", {"an"}),
            (f"/assets/{asset_id}/replace", {"an"}),
            (f"/assets/{asset_id}/incident", {"an"}),
        ]
    for site_id in world.site_ids:
        pages += [
            (f"/sites/{site_id}", {"sn", "se", "sa", "sh", "tn", "an"}),
            (f"/sites/{site_id}/restock", {"sn"}),
        ]
    for alert_id in world.alert_ids:
        must = {"an", "sn", "cm"} | ({"rs"} if alert_id in world.resolved_alert_ids else set())
        pages.append((f"/alerts/{alert_id}", must))
    return pages


def _verdict(reports: list[Report], must: dict[str, set[str]]) -> list[str]:
    problems = [p for r in reports for p in r.problems]
    for r in reports:
        missing = must[r.where] - r.fields
        if missing and not r.problems:
            problems.append(f"{r.where}: does not show fields {sorted(missing)}")
    return problems


def test_signed_in_pages_show_every_probe_literally(probe_world: ProbeWorld,
                                                    client: FlaskClient) -> None:
    reports: list[Report] = []
    must: dict[str, set[str]] = {}
    for url, fields in _pages(probe_world):
        report = check_response(probe_world, client, url, "admin")
        reports.append(report)
        must[report.where] = fields
    problems = _verdict(reports, must)
    assert problems == [], "\n".join(problems)
    shown = set().union(*(r.fields for r in reports))
    # Every field a page shows was checked somewhere (none went missing unnoticed).
    assert shown >= SHOWN, sorted(SHOWN - shown)


def test_public_pages_show_every_probe_literally(probe_world: ProbeWorld,
                                                 app: Flask) -> None:
    anonymous = app.test_client()
    pages = [
        ("/map/public", MAP_FIELDS),
        ("/assets", {"an", "ae", "sn"}),
        (f"/api/v1/map-features?bbox={BBOX}&zoom=14", MAP_FIELDS),
        ("/api/v1/nearest?lat=31.25&lon=121.50&n=50", {"an"}),
    ]
    reports = [check_response(probe_world, anonymous, url, "anonymous") for url, _ in pages]
    must = {r.where: fields for r, (_, fields) in zip(reports, pages, strict=True)}
    problems = _verdict(reports, must)
    assert problems == [], "\n".join(problems)
