"""GET /api/v1/nearest against the real app on SQLite and PostgreSQL: equal to brute-force
geodesic ranking (geopy) over every matching row, filters, open_now, problem details."""

from __future__ import annotations

import random
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from geopy.distance import geodesic
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.mapping.nearest import NearestQuery, lower_bound_m, nearest_ids
from app.models import Asset, User
from tests.mapsapp.conftest import add_random_aeds, token_for


def brute_force(rows: list[dict[str, Any]], lat: float, lon: float, n: int,
                statuses: list[str] | None, public_only: bool) -> list[tuple[float, int]]:
    matching = [r for r in rows
                if (statuses is None or r["status"] in statuses)
                and (not public_only or r["public"])]
    scored = sorted((geodesic((lat, lon), (r["lat"], r["lon"])).m, r["id"]) for r in matching)
    return scored[:n]


def test_service_equals_brute_force_geodesic(app: Flask, db: Session) -> None:
    # Clustered AEDs, a sparse outer ring and exact duplicates (ties broken by id).
    rows = add_random_aeds(db, 250, seed=7, spread_deg=0.02, duplicates=20)
    rows += add_random_aeds(db, 40, seed=8, spread_deg=0.6)
    db.commit()
    rnd = random.Random(11)
    status_sets = [None, ["ready"], ["ready", "attention"], ["in_use"]]
    for i in range(60):
        spread = 0.03 if i % 3 else 1.0
        lat = 31.26 + rnd.uniform(-spread, spread)
        lon = 121.53 + rnd.uniform(-spread, spread)
        if i % 10 == 0:  # standing exactly on an AED
            pick = rnd.choice(rows)
            lat, lon = pick["lat"], pick["lon"]
        n = rnd.choice([1, 3, 5, 12])
        statuses = status_sets[i % len(status_sets)]
        public_only = i % 2 == 1
        got = nearest_ids(db, NearestQuery(lat, lon, n, statuses, public_only))
        want = brute_force(rows, lat, lon, n, statuses, public_only)
        assert [aid for _, aid in got] == [aid for _, aid in want], (lat, lon, n, statuses)
        assert [d for d, _ in got] == [d for d, _ in want]


def test_lower_bound_never_exceeds_the_geodesic() -> None:
    rnd = random.Random(3)
    for _ in range(3000):
        lat0, lon0 = rnd.uniform(-89, 89), rnd.uniform(-180, 180)
        scale = rnd.choice([1e-6, 1e-3, 0.1, 5.0, 60.0])
        lat = max(-90.0, min(90.0, lat0 + rnd.uniform(-scale, scale)))
        lon = lon0 + rnd.uniform(-scale, scale)
        assert lower_bound_m(lat0, lon0, lat, lon) <= geodesic((lat0, lon0), (lat, lon)).m


def test_api_matches_brute_force_with_and_without_login(app: Flask, client: FlaskClient,
                                                         db: Session) -> None:
    rows = add_random_aeds(db, 120, seed=21, spread_deg=0.02, duplicates=5)
    db.add(User(username="coord", display_name="C", role="coordinator", password_hash="x"))
    db.commit()
    token = token_for(app, "coord")
    rnd = random.Random(5)
    for i in range(20):
        lat, lon = 31.26 + rnd.uniform(-0.03, 0.03), 121.53 + rnd.uniform(-0.03, 0.03)
        status = ["ready", "ready,attention", None][i % 3]
        query = f"/api/v1/nearest?lat={lat!r}&lon={lon!r}&n=4" + (f"&status={status}" if status else "")
        signed_in = i % 2 == 0
        headers = {"Authorization": f"Bearer {token}"} if signed_in else {}
        resp = client.get(query, headers=headers)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        items = resp.get_json()
        want = brute_force(rows, lat, lon, 4, status.split(",") if status else None,
                           public_only=not signed_in)
        assert [int(it["id"]) for it in items] == [aid for _, aid in want]
        assert [it["distance_m"] for it in items] == [round(d, 1) for d, _ in want]
        for it in items:
            assert set(it) >= {"id", "label", "lat", "lon", "distance_m", "open_now", "link",
                               "status"}
            if status:
                assert it["status"] in status.split(",")
            # Internal pages are linked only for signed-in callers.
            assert it["link"] == (f"/assets/{it['id']}" if signed_in else "")


def test_seeded_demo_nearest_ready_aed_with_open_now(seeded: Flask, client: FlaskClient,
                                                     db: Session) -> None:
    here = (31.2556, 121.5200)  # on the Yangpu riverside walk
    resp = client.get(f"/api/v1/nearest?lat={here[0]}&lon={here[1]}&n=3&status=ready")
    assert resp.status_code == 200
    items = resp.get_json()
    assert len(items) == 3
    ready = db.execute(select(Asset.id, Asset.lat, Asset.lon).where(
        Asset.kind == "aed", Asset.status == "ready", Asset.public.is_(True))).all()
    nearest = min(ready, key=lambda r: (geodesic(here, (r.lat, r.lon)).m, r.id))
    assert items[0]["id"] == str(nearest.id)
    assert all(it["status"] == "ready" for it in items)
    assert all(isinstance(it["open_now"], bool) for it in items)  # demo hours all parse
    assert items == sorted(items, key=lambda it: it["distance_m"])
    # Every status but ready is reachable through the filter too.
    other = client.get(f"/api/v1/nearest?lat={here[0]}&lon={here[1]}&n=50&status=not_ready,in_use")
    statuses = {it["status"] for it in other.get_json()}
    assert statuses and statuses <= {"not_ready", "in_use"}
    gcj = client.get(f"/api/v1/nearest?lat={here[0]}&lon={here[1]}&coords=gcj02").get_json()
    assert {"map_lat", "map_lon"} <= set(gcj[0])
    assert abs(gcj[0]["map_lon"] - gcj[0]["lon"]) > 0.003  # shifted for a GCJ-02 map


def test_bad_parameters_are_problem_details(app: Flask, client: FlaskClient) -> None:
    bad = [
        "", "lat=31.2", "lon=121.5", "lat=abc&lon=121.5", "lat=nan&lon=121.5",
        "lat=31.2&lon=inf", "lat=91&lon=121.5", "lat=31.2&lon=-181", "lat=31.2&lon=121.5&n=0",
        "lat=31.2&lon=121.5&n=51", "lat=31.2&lon=121.5&n=x", "lat=31.2&lon=121.5&status=bogus",
        "lat=31.2&lon=121.5&coords=bd09", "lat=31.2&lon=121.5&view=secret",
    ]
    for query in bad:
        resp = client.get(f"/api/v1/nearest?{query}")
        assert resp.status_code == 400, query
        assert resp.mimetype == "application/problem+json"
        body = resp.get_json()
        assert body["status"] == 400 and body["detail"], query


def test_empty_database_gives_an_empty_list(app: Flask, client: FlaskClient) -> None:
    resp = client.get("/api/v1/nearest?lat=31.25&lon=121.52")
    assert resp.status_code == 200
    assert resp.get_json() == []


def test_openapi_documents_map_endpoints(app: Flask, client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    nearest = doc["paths"]["/nearest"]["get"]
    names = {p["name"]: p for p in nearest["parameters"]}
    assert names["lat"]["required"] and names["lon"]["required"]
    assert {"n", "status", "coords"} <= set(names)
    schemas = doc["components"]["schemas"]

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        return schemas[schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema

    answer = resolve(nearest["responses"]["200"]["content"]["application/json"]["schema"])
    item = resolve(answer["items"])
    assert "open_now" in item["required"]
    features = doc["paths"]["/map-features"]["get"]
    assert {p["name"] for p in features["parameters"]} >= {"bbox", "kind", "zoom", "coords"}
