"""GET /api/v1/coverage...: coordinators only, compact cells, the week, planning."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from app.coverage.context import coverage_context
from app.extensions import get_settings
from tests.coverage.demo import covered_cells, token_for

PATHS = ("/api/v1/coverage", "/api/v1/coverage/week", "/api/v1/coverage/suggestions",
         "/api/v1/coverage/cabinets")


def test_coverage_is_for_coordinators_and_admins(seeded: Flask, client: FlaskClient,
                                                 db: Session) -> None:
    for path in PATHS:
        assert client.get(path).status_code == 401
        for user in ("volunteer", "viewer"):
            assert client.get(path, headers=token_for(db, user)).status_code == 403, path
    admin = token_for(db, "admin")
    assert client.get("/api/v1/coverage", headers=admin).status_code == 200


def test_coverage_at_a_moment_is_compact_and_depends_on_the_hour(
        seeded: Flask, client: FlaskClient, db: Session) -> None:
    headers = token_for(db, "coordinator")
    # Wednesday 10:30 and 03:30 local (naive = TIMEZONE): the indoor AEDs close at night.
    day = client.get("/api/v1/coverage?at=2026-03-11T10:30:00", headers=headers).get_json()
    night = client.get("/api/v1/coverage?at=2026-03-11T03:30:00", headers=headers).get_json()
    grid = coverage_context(get_settings(seeded).tz).grid
    assert day["cells"] == night["cells"] == grid.size
    assert sum(day["runs"][1::2]) == grid.size
    assert day["covered"] == len(covered_cells(day))
    assert 0 < night["share"] < day["share"] < 1
    assert covered_cells(night) < covered_cells(day)
    assert day["share"] == round(day["covered"] / day["cells"], 6)
    assert day["at"].startswith("2026-03-11T10:30:00+08:00") or day["at"].startswith(
        "2026-03-11T02:30:00")
    assert len(day["covered_bits"]) <= (grid.size + 7) // 8 * 4 // 3 + 4
    gcj = client.get("/api/v1/coverage?coords=gcj02", headers=headers).get_json()
    assert gcj["grid"]["coords"] == "gcj02" and gcj["grid"]["lat0"] != day["grid"]["lat0"]


def test_bad_parameters_name_the_field(seeded: Flask, client: FlaskClient,
                                       db: Session) -> None:
    headers = token_for(db, "coordinator")
    # Unreadable is a 400; a real date-time outside the calendar's years a 422, as the
    # document says (it cannot bound a date-time).
    for query, field, status in (("at=yesterday", "at", 400),
                                 ("at=1899-01-01T00:00:00Z", "at", 422),
                                 ("at=0404-03-12T16:25:38%2B19:53", "at", 422),
                                 ("coords=bd09", "coords", 400)):
        resp = client.get(f"/api/v1/coverage?{query}", headers=headers)
        assert resp.status_code == status, query
        assert field in {p["name"] for p in resp.get_json()["invalid-params"]}
    for k in ("0", "51", "x"):
        resp = client.get(f"/api/v1/coverage/suggestions?k={k}", headers=headers)
        assert resp.status_code in (400, 422)
        assert "k" in {p["name"] for p in resp.get_json()["invalid-params"]}


def test_the_week_needs_the_scheduler_job_and_names_the_worst_hours(
        seeded: Flask, client: FlaskClient, runner: FlaskCliRunner, db: Session) -> None:
    headers = token_for(db, "coordinator")
    off = client.get("/api/v1/coverage/week", headers=headers)
    assert off.status_code == 503 and "coverage" in off.get_json()["detail"]
    assert runner.invoke(args=["jobs", "run-once", "coverage"]).exit_code == 0
    week = client.get("/api/v1/coverage/week", headers=headers).get_json()
    assert len(week["hours"]) == 168
    assert datetime.fromisoformat(week["week_starts_at"]).utcoffset() is not None
    local_start = datetime.fromisoformat(week["week_starts_at"]).astimezone(
        get_settings(seeded).tz)
    assert (local_start.weekday(), local_start.hour, local_start.minute) == (0, 0, 0)
    assert week["mean"] == sum(week["hours"]) / 168 or abs(
        week["mean"] - sum(week["hours"]) / 168) < 1e-9
    assert all(week["hours"][w["start"]] == min(week["hours"]) for w in week["worst"])


def test_suggestions_add_coverage_greedily(seeded: Flask, client: FlaskClient,
                                           db: Session) -> None:
    headers = token_for(db, "coordinator")
    body = client.get("/api/v1/coverage/suggestions?k=3", headers=headers).get_json()
    assert body["candidates"] == "cells"
    gains = [s["gain"] for s in body["suggestions"]]
    assert len(gains) == 3 and gains == sorted(gains, reverse=True) and gains[-1] > 0
    assert body["week_mean_after"] > body["week_mean_before"]


def test_cabinets_name_aeds_that_close_at_night(seeded: Flask, client: FlaskClient,
                                                db: Session) -> None:
    headers = token_for(db, "coordinator")
    body = client.get("/api/v1/coverage/cabinets?k=5", headers=headers).get_json()
    assert body["night_hours"][0] == 20 and len(body["night_hours"]) == 12
    assert body["cabinets"], "some demo AEDs are indoors with office hours"
    assert all(c["hours"] != "24/7" and c["gain"] > 0 for c in body["cabinets"])
    gains = [c["gain"] for c in body["cabinets"]]
    assert gains == sorted(gains, reverse=True)


def test_the_openapi_document_carries_the_coverage_operations(
        seeded: Flask, client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in PATHS:
        assert "get" in paths[path.removeprefix("/api/v1")], path
    week = paths["/coverage/week"]["get"]
    assert "503" in week["responses"]
