"""A platform consumes the public feed through the real API: everything page by page,
then three AEDs change through the paths people use (one retired, one checked back to
ready, one given new hours and a new position) and ``updated_since`` returns exactly
those three, the retired one as a tombstone. The same in CSV; an unchanged page answers
304 to its ETag; nothing personal and nothing the public policy hides ever shows."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.aeds.refresh import refresh_aeds
from app.extensions import get_aed_context
from app.feeds.formats import CSV_COLUMNS
from app.models import utcnow
from tests.feeds.conftest import PAGE_SIZE, PERSONAL, District
from tests.feeds.consumer import FEED, fetch_csv, fetch_geojson, next_link, since_query

SHANGHAI = ZoneInfo("Asia/Shanghai")
ALL_OK = {"ready_light_ok": True, "pads_ok": True, "battery_ok": True, "cabinet_ok": True,
          "alarm_ok": True, "supplies_ok": True}


def overdue_check(app: Flask, db: Session, district: District) -> None:
    """The second AED's monthly check is overdue: not ready."""
    aed = district.public[1]
    aed.last_inspection_at = utcnow() - timedelta(days=45)
    refresh_aeds(db, [aed.id], utcnow(), get_aed_context(app))
    db.commit()


def change_three(app: Flask, db: Session, client: FlaskClient, district: District,
                 coordinator: dict[str, str]) -> None:
    retired, checked, moved = district.public[:3]
    resp = client.post(f"/api/v1/assets/{retired.id}/retire", headers=coordinator,
                       json={"reason": "外壳损坏，已报废"})
    assert resp.status_code == 200, resp.get_json()
    resp = client.post("/api/v1/inspections", headers=coordinator,
                       json={"asset_id": checked.id, **ALL_OK})
    assert resp.status_code == 201, resp.get_json()
    resp = client.patch(f"/api/v1/assets/{moved.id}", headers=coordinator, json={
        "access_hours": "Mo-Su 07:00-22:00", "lat": 31.2601, "lon": 121.5202})
    assert resp.status_code == 200, resp.get_json()


def test_a_consumer_gets_everything_then_exactly_the_three_changes(
        app: Flask, client: FlaskClient, db: Session, district: District,
        coordinator: dict[str, str]) -> None:
    overdue_check(app, db, district)
    everything, pages = fetch_geojson(client, FEED + ".geojson")
    assert [f["id"] for f in everything] == [a.id for a in district.public]
    assert len(pages) == 2 and all(len(p.get_json()["features"]) == PAGE_SIZE for p in pages)
    before = {f["id"]: f for f in everything}
    assert before[district.public[1].id]["properties"]["status"] == "not_ready"
    first = pages[0].get_json()["features"][0]
    assert first["geometry"] == {"type": "Point",
                                 "coordinates": [district.public[0].lon, district.public[0].lat]}
    assert first["properties"]["operator"] == "长海路街道红十字会"
    assert first["properties"]["defibrillator:location:en"] == "East entrance cabinet"
    since = utcnow()

    change_three(app, db, client, district, coordinator)

    retired, checked, moved, untouched = district.public
    # A platform in Shanghai writes its local time; the offset's "+" is percent-encoded.
    changes, _pages = fetch_geojson(
        client, f"{FEED}.geojson?{since_query(since.astimezone(SHANGHAI).isoformat())}")
    assert sorted(f["id"] for f in changes) == sorted([retired.id, checked.id, moved.id])
    got = {f["id"]: f for f in changes}
    assert got[retired.id]["geometry"] is None
    assert set(got[retired.id]["properties"]) == {"retired", "updated_at"}
    assert got[retired.id]["properties"]["retired"] is True
    assert got[checked.id]["properties"]["status"] == "ready"
    assert got[checked.id]["properties"]["check_date"] == utcnow().astimezone(
        SHANGHAI).date().isoformat()
    assert got[moved.id]["properties"]["opening_hours"] == "Mo-Su 07:00-22:00"
    assert got[moved.id]["geometry"]["coordinates"] == [121.5202, 31.2601]
    for feature in changes:
        assert feature["properties"]["updated_at"] >= since.isoformat().replace("+00:00", "Z")

    # Tombstones are for deltas: a full fetch simply no longer has the retired AED.
    now_all, _pages = fetch_geojson(client, FEED)
    assert [f["id"] for f in now_all] == [checked.id, moved.id, untouched.id]
    assert {f["id"]: f for f in now_all}[untouched.id] == before[untouched.id]


def test_a_sites_new_hours_and_an_aeds_new_cabinet_text_reach_the_delta(
        client: FlaskClient, district: District, coordinator: dict[str, str]) -> None:
    since = utcnow()
    resp = client.patch(f"/api/v1/sites/{district.site.id}", headers=coordinator,
                        json={"opening_hours": "Mo-Fr 08:00-18:00; PH off"})
    assert resp.status_code == 200, resp.get_json()
    # The AEDs without hours of their own take the site's; the fixtures' AEDs have none.
    changes, _pages = fetch_geojson(client, f"{FEED}.geojson?{since_query(since.isoformat())}")
    assert sorted(f["id"] for f in changes) == [a.id for a in district.public]
    assert {f["properties"]["opening_hours"] for f in changes} == {"Mo-Fr 08:00-18:00; PH off"}

    since = utcnow()
    first = district.public[0]
    resp = client.patch(f"/api/v1/assets/{first.id}", headers=coordinator,
                        json={"cabinet": "西侧入口柜内"})
    assert resp.status_code == 200, resp.get_json()
    changes, _pages = fetch_geojson(client, f"{FEED}.geojson?{since_query(since.isoformat())}")
    assert [(f["id"], f["properties"]["defibrillator:location:zh"]) for f in changes] == [
        (first.id, "西侧入口柜内")]


def test_an_unchanged_page_answers_304_to_its_etag_and_a_changed_one_does_not(
        client: FlaskClient, district: District, coordinator: dict[str, str]) -> None:
    first = client.get(FEED)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = client.get(FEED, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag and next_link(again) == next_link(first)
    assert client.get(FEED + ".csv", headers={"If-None-Match": etag}).status_code == 200
    resp = client.patch(f"/api/v1/assets/{district.public[0].id}", headers=coordinator,
                        json={"cabinet": "西侧入口柜内"})
    assert resp.status_code == 200
    changed = client.get(FEED, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_csv_has_the_geojson_fields_a_line_each_and_tombstones_in_deltas(
        app: Flask, client: FlaskClient, db: Session, district: District,
        coordinator: dict[str, str]) -> None:
    overdue_check(app, db, district)
    header, rows = fetch_csv(client, FEED + ".csv")
    assert tuple(header) == CSV_COLUMNS
    assert [int(r["id"]) for r in rows] == [a.id for a in district.public]
    geojson, _pages = fetch_geojson(client, FEED)
    for row, feature in zip(rows, geojson, strict=True):
        assert (float(row["lon"]), float(row["lat"])) == tuple(
            feature["geometry"]["coordinates"])
        for name, value in feature["properties"].items():
            shown = ("" if value is None else "true" if value is True
                     else "false" if value is False else str(value))
            assert row[name] == shown, name
        assert row["retired"] == "false"
    since = utcnow()
    change_three(app, db, client, district, coordinator)
    _header, delta = fetch_csv(client, f"{FEED}.csv?{since_query(since.isoformat())}")
    gone = [r for r in delta if r["retired"] == "true"]
    assert [int(r["id"]) for r in gone] == [district.public[0].id]
    assert {k for k, v in gone[0].items() if v} == {"id", "updated_at", "retired"}
    assert len(delta) == 3
    # Accept: text/csv on the plain path answers the same CSV.
    plain = client.get(FEED, headers={"Accept": "text/csv"})
    assert plain.mimetype == "text/csv"
    assert plain.get_data() == client.get(FEED + ".csv").get_data()


def test_no_personal_data_and_nothing_the_public_policy_hides(
        client: FlaskClient, district: District, coordinator: dict[str, str]) -> None:
    hidden = district.hidden[0]  # not public
    resp = client.patch(f"/api/v1/assets/{hidden.id}", headers=coordinator,
                        json={"access_hours": "Mo-Fr 09:00-17:00"})
    assert resp.status_code == 200
    bodies = []
    for url in (FEED, FEED + ".csv", f"{FEED}?{since_query('2000-01-01T00:00:00Z')}",
                f"{FEED}.csv?{since_query('2000-01-01T00:00:00Z')}"):
        anonymous = client.get(url)
        signed_in = client.get(url, headers=coordinator)
        # The feed is public: a signed-in caller gets nothing more.
        assert anonymous.get_data() == signed_in.get_data()
        bodies.append(anonymous.get_data(as_text=True))
        following = next_link(anonymous)
        while following:
            page = client.get(following)
            bodies.append(page.get_data(as_text=True))
            following = next_link(page)
    text = "\n".join(bodies)
    for personal in (*PERSONAL, "guardian", "contact"):
        assert personal not in text
    for asset in district.hidden:
        assert f"aed-{asset.external_id.split('-')[1]}," not in text
        assert f'"ref":"{asset.external_id}"' not in text


def test_bad_parameters_answer_422_naming_them(client: FlaskClient, district: District
                                               ) -> None:
    full_cursor = fetch_geojson(client, FEED)[1][0].get_json()["next"].split("cursor=")[1]
    cases = {
        "updated_since=yesterday": "updated_since",
        "updated_since=2026-11-29T10:00:00": "updated_since",  # no offset: no moment
        "updated_since=0001-01-01T00:00:00%2B14:00": "updated_since",
        "cursor=not-ours": "cursor",
        f"cursor={full_cursor}&{since_query('2026-11-29T10:00:00Z')}": "cursor",
    }
    for query, name in cases.items():
        resp = client.get(f"{FEED}?{query}")
        assert resp.status_code == 422, (query, resp.get_data(as_text=True))
        assert [p["name"] for p in resp.get_json()["invalid-params"]] == [name], query
    # A "+" a client forgot to encode arrives as a space: still the moment meant.
    assert client.get(f"{FEED}?updated_since=2026-11-29T10:00:00 08:00").status_code == 200
