"""GET /api/v1/assets?bbox=...: the viewports a map asks for, answered from each worker's
in-memory index (app/api/asset_index.py), must say what the database says, for the
public and for signed-in callers, and follow changes to the assets."""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.tokens import issue_token
from app.models import Asset, User, utcnow
from tests.support.wait import wait_for

Headers = dict[str, str]


@pytest.fixture
def signed_in(seeded: Flask, db: Session) -> Headers:
    user = db.scalars(select(User).where(User.username == "coordinator")).one()
    token = issue_token(db, user)
    db.commit()
    return {"Authorization": f"Bearer {token}"}


def _box_of(items: list[dict[str, Any]], rng: random.Random) -> tuple[float, ...]:
    lats = sorted(i["lat"] for i in items if i["lat"] is not None)
    lons = sorted(i["lon"] for i in items if i["lon"] is not None)
    south, north = sorted(rng.sample(lats, 2))
    west, east = sorted(rng.sample(lons, 2))
    return west, south, east, north


def _inside(item: dict[str, Any], box: tuple[float, ...]) -> bool:
    west, south, east, north = box
    return (item["lat"] is not None and south <= item["lat"] <= north
            and west <= item["lon"] <= east)


def _everything(client: FlaskClient, headers: Headers) -> list[dict[str, Any]]:
    body = client.get("/api/v1/assets?limit=5000", headers=headers).get_json()
    items: list[dict[str, Any]] = body["items"]
    assert body["total"] == len(items)
    return items


@pytest.mark.parametrize("audience", ["public", "signed in"])
def test_viewports_answer_what_the_full_list_holds(
        seeded: Flask, client: FlaskClient, signed_in: Headers, audience: str) -> None:
    headers = signed_in if audience == "signed in" else {}
    everything = _everything(client, headers)
    rng = random.Random(5)
    for _ in range(25):
        box = _box_of(everything, rng)
        kinds = rng.choice([None, "aed", "aed,first_aid_kit", "first_aid_kit"])
        statuses = rng.choice([None, "ready", "ready,attention,not_ready"])
        limit, offset = rng.choice([(500, 0), (3, 0), (3, 2), (2, 50)])
        query = "bbox=" + ",".join(f"{x:.6f}" for x in box) + f"&limit={limit}&offset={offset}"
        if kinds:
            query += f"&kind={kinds}"
        if statuses:
            query += f"&status={statuses}"
        # Rounding the box to 6 decimals may leave a point on its edge out: compare
        # with the rounded box.
        rounded = tuple(round(x, 6) for x in box)
        wanted = [i for i in everything if _inside(i, rounded)
                  and (kinds is None or i["kind"] in kinds.split(","))
                  and (statuses is None or i["status"] in statuses.split(","))]
        got = client.get(f"/api/v1/assets?{query}", headers=headers).get_json()
        assert got == {"items": wanted[offset:offset + limit], "total": len(wanted),
                       "limit": limit, "offset": offset}, query
        zipped = client.get(f"/api/v1/assets?{query}",
                            headers={**headers, "Accept-Encoding": "gzip"})
        assert json.loads(gzip.decompress(zipped.data)) == got


def _answer(client: FlaskClient, headers: Headers, box: str) -> Callable[[], dict[str, Any]]:
    def ask() -> dict[str, Any]:
        body: dict[str, Any] = client.get(f"/api/v1/assets?bbox={box}",
                                          headers=headers).get_json()
        return body
    return ask


def test_viewports_follow_changes_to_the_assets(seeded: Flask, client: FlaskClient,
                                                signed_in: Headers, db: Session) -> None:
    asset = db.scalars(select(Asset).where(Asset.kind == "aed", Asset.public.is_(True),
                                           Asset.retired_at.is_(None))
                       .order_by(Asset.id)).first()
    assert asset is not None and asset.lat is not None and asset.lon is not None
    box = f"{asset.lon - 0.0005},{asset.lat - 0.0005},{asset.lon + 0.0005},{asset.lat + 0.0005}"
    public, internal = _answer(client, {}, box), _answer(client, signed_in, box)

    def listed(ask: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
        return next((i for i in ask()["items"] if i["id"] == asset.id), None)

    assert listed(public) is not None and listed(internal) is not None

    # A status change shows, in both audiences.
    asset.status = "not_ready" if asset.status != "not_ready" else "ready"
    asset.status_changed_at = utcnow()
    db.commit()
    def shows_status(ask: Callable[[], dict[str, Any]]) -> Callable[[], bool]:
        return lambda: (listed(ask) or {}).get("status") == asset.status

    for ask in (public, internal):
        wait_for(shows_status(ask), timeout=3, message="the new status in the viewport")

    # Moved out of the box: gone from it; moved back: there again.
    home = asset.lat
    asset.lat = home + 0.01
    db.commit()
    wait_for(lambda: listed(public) is None and listed(internal) is None, timeout=3,
             message="the moved AED to leave the viewport")
    asset.lat = home
    db.commit()
    wait_for(lambda: listed(public) is not None, timeout=3, message="the AED back")

    # Made private: the public no longer sees it, signed-in callers still do.
    asset.public = False
    db.commit()
    wait_for(lambda: listed(public) is None, timeout=3, message="a private AED to leave "
             "the public viewport")
    assert listed(internal) is not None

    # Retired: gone for everyone.
    asset.retired_at = utcnow()
    db.commit()
    wait_for(lambda: listed(internal) is None, timeout=3, message="a retired AED to leave")

    # A new AED in the box appears.
    fresh = Asset(external_id="viewport-new", kind="aed", site_id=asset.site_id,
                  name="新AED", lat=asset.lat, lon=asset.lon, status="ready", public=True)
    db.add(fresh)
    db.commit()
    wait_for(lambda: any(i["id"] == fresh.id for i in public()["items"]), timeout=3,
             message="the new AED in the viewport")


def test_a_renamed_site_shows_in_its_assets_viewports(seeded: Flask, client: FlaskClient,
                                                      signed_in: Headers, db: Session) -> None:
    asset = db.scalars(select(Asset).where(Asset.public.is_(True), Asset.retired_at.is_(None))
                       .order_by(Asset.id)).first()
    assert asset is not None and asset.lat is not None and asset.lon is not None
    box = f"{asset.lon - 0.0005},{asset.lat - 0.0005},{asset.lon + 0.0005},{asset.lat + 0.0005}"
    ask = _answer(client, {}, box)
    assert any(i["id"] == asset.id for i in ask()["items"])  # the index is built

    renamed = client.patch(f"/api/v1/sites/{asset.site_id}", headers=signed_in,
                           json={"name": "新名字服务站"})
    assert renamed.status_code == 200, renamed.get_json()

    def site_name() -> str | None:
        item = next((i for i in ask()["items"] if i["id"] == asset.id), None)
        return None if item is None else str(item["site"]["name"])

    wait_for(lambda: site_name() == "新名字服务站", timeout=3,
             message="the site's new name in its AED's viewport")


def test_a_private_assets_change_leaves_the_public_index_unbuilt(
        seeded: Flask, client: FlaskClient, db: Session) -> None:
    # A unit check of app/api/asset_index.py through the endpoint: the public index is
    # patched, not rebuilt, when only an asset the public never sees changes.
    private = db.scalars(select(Asset).where(Asset.retired_at.is_(None))
                         .order_by(Asset.id)).first()
    assert private is not None
    private.public = False
    db.commit()
    ask = _answer(client, {}, "121.0,31.0,122.0,32.0")
    ask()
    state = seeded.extensions["aed.asset_list"]
    index = state.indexes[True]
    assert index._snapshot is not None
    built, seen = index._snapshot.built_at, index._snapshot.version

    private.status = "not_ready" if private.status != "not_ready" else "ready"
    private.status_changed_at = utcnow()
    db.commit()
    state.version.forget()  # the next request reads the data version again
    ask()
    assert index._snapshot.version != seen  # the change was seen ...
    assert index._snapshot.built_at == built  # ... and needed no rebuild
