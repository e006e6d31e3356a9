"""/map, /map/public, /api/v1/map-features and the map's static files, against the real
app on SQLite and PostgreSQL with the seeded Yangpu demo."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.demo import yangpu
from app.mapping.map_records import station_status
from app.models import Alert, Asset, Gateway, ParLevel, Site, StockLot, Team, utcnow
from maps.assets import STATIC_DIR
from maps.payload import FIELDS
from tests.mapsapp.conftest import add_random_aeds
from tests.support.web_login import login

F = {name: i for i, name in enumerate(FIELDS)}
PHONES = ("13812345678", "021-65430000", "13900001111")
LEADERS = [leader for *_, leader in yangpu.TEAMS]
_BLOB = re.compile(r'<script type="application/json" id="aedmap-(config|data)-[0-9a-f]+">(.*?)</script>',
                   re.S)


def fetch(client: FlaskClient, path: str) -> Any:
    """GET and read the whole body (file responses hold their file open until closed)."""
    resp = client.get(path)
    resp.get_data()
    resp.close()
    return resp


def page_blobs(html: str) -> dict[str, Any]:
    return {kind: json.loads(text) for kind, text in _BLOB.findall(html)}


def rows_by_kind(payload: dict[str, Any]) -> dict[str, list[list[Any]]]:
    kinds = ("aed", "station", "gateway")
    out: dict[str, list[list[Any]]] = {k: [] for k in kinds}
    for row in payload["rows"]:
        out[kinds[row[F["kind"]]]].append(row)
    return out


def add_private_details(db: Session) -> None:
    """Phones on every team and site (the demo has names only) and one hidden AED."""
    for i, team in enumerate(db.scalars(select(Team))):
        team.contact_phone = PHONES[i % 2]
    for site in db.scalars(select(Site)):
        site.contact_phone = PHONES[2]
    hidden = db.scalars(select(Asset).order_by(Asset.id)).first()
    assert hidden is not None
    hidden.public = False
    hidden.name = "内部专用AED-不公开"
    db.commit()


def test_map_needs_login_and_public_map_does_not(seeded: Flask, client: FlaskClient) -> None:
    resp = client.get("/map")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    public = client.get("/map/public")
    assert public.status_code == 200
    assert public.headers["Cache-Control"] == "public, max-age=60"
    login(client, "volunteer")
    page = client.get("/map")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "private, no-store"
    # The site navigation links to the map.
    assert 'href="/map"' in client.get("/").get_data(as_text=True)


def test_pages_load_assets_only_from_the_app(seeded: Flask, client: FlaskClient) -> None:
    login(client, "volunteer")
    for path in ("/map", "/map/public"):
        html = client.get(path).get_data(as_text=True)
        urls = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert urls, path
        for url in urls:
            assert url.startswith(("/static/maps/_v/", "data:")), url
            if url.startswith("/static/"):
                assert fetch(client, url).status_code == 200, url
        assert "http://" not in html and "https://" not in html  # tiles are off
        config = page_blobs(html)["config"]
        assert config["mode"] == "embed"
        assert config["nearest_url"].startswith("/api/v1/nearest")


def test_internal_map_shows_every_layer_with_links(seeded: Flask, client: FlaskClient,
                                                    db: Session) -> None:
    db.execute(update(Gateway).where(Gateway.id == "gw-yp-001").values(state="offline"))
    db.commit()
    login(client, "coordinator")
    data = page_blobs(client.get("/map").get_data(as_text=True))["data"]
    rows = rows_by_kind(data)
    aeds = {r[F["id"]]: r for r in rows["aed"]}
    assets = db.execute(select(Asset.id, Asset.status).where(Asset.kind == "aed")).all()
    assert {str(a.id): a.status for a in assets} == {k: r[F["status"]] for k, r in aeds.items()}
    assert {data["link_prefix"] + r[F["link"]] for r in rows["aed"]} == {
        f"/assets/{a.id}" for a in assets}
    # Stations: the demo stocks several first-aid points; gateway gw-yp-001 is offline.
    assert rows["station"] and all(r[F["status"]] in {"ok", "low", "expiring", "empty"}
                                   for r in rows["station"])
    shown = {r[F["id"]]: r[F["status"]] for r in rows["gateway"]}
    assert shown["gw-yp-001"] == "offline"
    states = dict(db.execute(select(Gateway.id, Gateway.state)).all())
    assert set(shown) == {g for g, s in states.items() if s != "online"}  # online ones hidden
    # Contacts show on the internal map (the team leader of the site).
    contacts = {r[F["contact"]] for r in rows["aed"] if len(r) > F["contact"]}
    assert any(leader in c for c in contacts for leader in LEADERS)


def test_public_map_and_features_carry_no_private_data(seeded: Flask, client: FlaskClient,
                                                       db: Session) -> None:
    add_private_details(db)
    db.add(Alert(kind="gateway_offline", severity="warning", status="open",
                 subject_type="gateway", subject_id="gw-yp-002", gateway_id="gw-yp-002",
                 dedupe_key="gateway:gw-yp-002:gateway_offline", message="x",
                 opened_at=utcnow()))
    db.commit()
    bbox = "121.40,31.20,121.70,31.35"
    anonymous = [
        client.get("/map/public").get_data(as_text=True),
        client.get(f"/api/v1/map-features?bbox={bbox}").get_data(as_text=True),
        client.get("/api/v1/nearest?lat=31.2525&lon=121.5095&n=50").get_data(as_text=True),
    ]
    login(client, "coordinator")
    signed_in_public = [
        client.get("/map/public").get_data(as_text=True),
        client.get(f"/api/v1/map-features?bbox={bbox}&view=public").get_data(as_text=True),
    ]
    internal = client.get("/map").get_data(as_text=True)
    internal_features = client.get(f"/api/v1/map-features?bbox={bbox}").get_json()
    for text in anonymous + signed_in_public:
        for secret in [*LEADERS, *PHONES, "内部专用AED-不公开", "gw-yp-"]:
            assert secret not in text, secret
    # The same data is there on the internal map, so the check above can fail.
    for secret in [LEADERS[0], PHONES[2], "内部专用AED-不公开"]:
        assert secret in internal
    internal_rows = rows_by_kind(internal_features)
    # gw-yp-002 reports online but the liveness job's open alert makes it offline.
    gateways = {r[F["id"]]: r[F["status"]] for r in internal_rows["gateway"]}
    assert gateways["gw-yp-002"] == "offline"
    public_data = page_blobs(signed_in_public[0])["data"]
    public_rows = rows_by_kind(public_data)
    assert public_rows["aed"] and not public_rows["gateway"]
    assert public_data["link_prefix"] + public_rows["aed"][0][F["link"]] == "/assets"


def test_station_status_follows_the_restock_rule(seeded: Flask, client: FlaskClient,
                                                 db: Session) -> None:
    fashion = db.scalars(select(Site).where(Site.kind == "first_aid_station")).first()
    assert fashion is not None
    # Empty every lot of one item at the station: nothing left of it.
    par = db.scalars(select(ParLevel).where(ParLevel.site_id == fashion.id)).first()
    assert par is not None
    db.execute(update(StockLot).where(StockLot.site_id == fashion.id,
                                      StockLot.item_id == par.item_id).values(quantity=0))
    db.commit()
    login(client, "coordinator")
    features = client.get("/api/v1/map-features?bbox=121.40,31.20,121.70,31.35&kind=station")
    rows = {r[F["id"]]: r for r in rows_by_kind(features.get_json())["station"]}
    assert rows[str(fashion.id)][F["status"]] == "empty"
    assert set(features.get_json()["rows"][0]) and all(
        r[F["kind"]] == 1 for r in features.get_json()["rows"])


@pytest.mark.parametrize(("shortages", "has_par", "status"), [
    ([], False, "unknown"),
    ([], True, "ok"),
    ([(4, 6, 8)], True, "expiring"),
    ([(4, 2, 8)], True, "low"),
    ([(4, 6, 8), (0, 0, 2)], True, "empty"),
    ([(0, 3, 2)], True, "expiring"),
])
def test_station_status_table(shortages: list[tuple[int, int, int]], has_par: bool,
                              status: str) -> None:
    assert station_status(shortages, has_par) == status


def test_features_bbox_kinds_and_errors(seeded: Flask, client: FlaskClient) -> None:
    login(client, "coordinator")
    tight = client.get("/api/v1/map-features?bbox=121.5090,31.2520,121.5100,31.2530&kind=aed")
    rows = tight.get_json()["rows"]
    assert [r[F["label"]] for r in rows] == ["秦皇岛路码头AED"]
    gcj = client.get("/api/v1/map-features?bbox=121.40,31.20,121.70,31.35&kind=aed"
                     "&coords=gcj02").get_json()
    wgs = client.get("/api/v1/map-features?bbox=121.40,31.20,121.70,31.35&kind=aed").get_json()
    assert gcj["coords"] == "gcj02" and len(gcj["rows"]) == len(wgs["rows"]) == 22
    assert gcj["rows"][0][F["lon"]] != wgs["rows"][0][F["lon"]]
    swapped = client.get("/api/v1/map-features?bbox=121.70,31.35,121.40,31.20&kind=aed")
    assert len(swapped.get_json()["rows"]) == 22  # corners in either order, as /assets
    for query in ("", "bbox=1,2,3", "bbox=a,b,c,d", "bbox=1,2,3,nan", "bbox=1,2,3,inf", "bbox=1,2,3,4&kind=boat", "bbox=1,2,3,4&coords=x",
                  "bbox=1,2,3,4&zoom=99"):
        resp = client.get(f"/api/v1/map-features?{query}")
        assert resp.status_code == 400, query
        assert resp.mimetype == "application/problem+json"


def test_features_are_capped_with_urgent_first(app: Flask, client: FlaskClient,
                                               db: Session) -> None:
    rows = add_random_aeds(db, 5200, seed=3, statuses=("ready",), spread_deg=0.01)
    urgent = [r["id"] for r in rows[:40]]
    db.execute(update(Asset).where(Asset.id.in_(urgent[:20])).values(status="not_ready"))
    db.execute(update(Asset).where(Asset.id.in_(urgent[20:])).values(status="in_use"))
    db.execute(update(Asset).values(public=True))
    db.commit()
    resp = client.get("/api/v1/map-features?bbox=121.5,31.2,121.6,31.3")
    assert resp.status_code == 200
    assert len(resp.data) <= 1_000_000
    body = resp.get_json()
    assert body["total"] == 5200 and body["truncated"] is True
    assert len(body["rows"]) == 5000
    statuses = [r[F["status"]] for r in body["rows"]]
    assert statuses[:20] == ["in_use"] * 20 and statuses[20:40] == ["not_ready"] * 20


def test_many_assets_switch_the_page_to_bbox_mode(app_config: dict[str, object],
                                                 app: Flask, client: FlaskClient,
                                                 db: Session) -> None:
    add_random_aeds(db, 30, seed=4, statuses=("ready",))
    db.execute(update(Asset).values(public=True))
    db.commit()
    app.config["MAP_EMBED_MAX"] = 10
    blobs = page_blobs(client.get("/map/public").get_data(as_text=True))
    assert blobs["config"]["mode"] == "bbox" and blobs["data"] is None
    assert blobs["config"]["features_url"] == "/api/v1/map-features?view=public"
    app.config["MAP_EMBED_MAX"] = 30
    blobs = page_blobs(client.get("/map/public").get_data(as_text=True))
    assert blobs["config"]["mode"] == "embed" and len(blobs["data"]["rows"]) == 30


def test_static_files_are_cached_long_and_confined(app: Flask, client: FlaskClient) -> None:
    from app.web.map_pages import static_prefix

    versioned = fetch(client, static_prefix() + "vendor/leaflet/leaflet.js")
    assert versioned.status_code == 200
    assert versioned.data == (STATIC_DIR / "vendor" / "leaflet" / "leaflet.js").read_bytes()
    assert versioned.cache_control.max_age == 365 * 24 * 3600
    assert versioned.cache_control.immutable and versioned.cache_control.public
    plain = fetch(client, "/static/maps/aedmap/aedmap.css")
    assert plain.status_code == 200 and plain.cache_control.max_age == 24 * 3600
    assert plain.mimetype == "text/css"
    image = fetch(client, "/static/maps/vendor/leaflet/images/marker-icon.png")
    assert image.status_code == 200 and image.mimetype == "image/png"
    for path in ("/static/maps/../../app/config.py", "/static/maps/%2e%2e/geo.py",
                 "/static/maps/nope.js", "/static/maps/_v/000000000000/nope.js"):
        assert fetch(client, path).status_code == 404, path
    # The app's own static files are still served beside the map's.
    assert fetch(client, "/static/app.css").status_code == 200


def test_map_tiles_setting_reaches_the_page(app_config: dict[str, object], backend: str) -> None:
    from app import create_app

    for tiles, expected in (("osm", "tile.openstreetmap.org"), ("amap", "autonavi.com")):
        application = create_app({**app_config, "MAP_TILES": tiles})
        html = application.test_client().get("/map/public").get_data(as_text=True)
        assert expected in html
        if tiles == "amap":
            assert page_blobs(html)["config"]["coords"] == "gcj02"
        application.extensions["aed.db"].dispose()
    from app.config import ConfigError

    with pytest.raises(ConfigError, match="MAP_TILES"):
        create_app({**app_config, "MAP_TILES": "google"})


def test_station_layer_reads_the_scheduler_policy(seeded: Flask) -> None:
    # The station layer uses the scheduler's own policy object (one restock rule).
    from app.api.map_common import restock_policy

    with seeded.test_request_context("/"):
        assert restock_policy().restock_lead_days >= 0
        assert restock_policy() is restock_policy()
