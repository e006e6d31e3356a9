"""The map pages of the real app (SQLite): page size and build time, bbox responses, and
Chromium rendering, with the records read from the database.

    python -m tests.benchmarks.map_app [--quick]

- 10,000 AEDs: ``GET /map`` (embed mode; DB query + map records + page build) timed
  through the app against naive folium (one folium.Marker per asset in a MarkerCluster,
  the same records); value = ratio, target <= 0.05 (smaller is better). The page is
  then opened in Chromium (served by werkzeug on 127.0.0.1): time from navigation until
  every marker is in its cluster group and clusters are drawn, target <= 2 s.
- 100,000 AEDs: ``GET /map`` switches to bbox mode, initial HTML <= 1.5 MB; every
  ``GET /api/v1/map-features`` (a phone viewport at zoom 15 and a zoomed-out city view)
  <= 1 MB.
--quick: 100,000 becomes 30,000 and there is one browser run (3 in a full run).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select

from app import create_app, migrate
from app.auth.tokens import issue_token
from app.extensions import get_db
from app.mapping.map_records import MapQuery, aed_records
from app.models import Asset, Site, User
from maps.geo import bbox_around
from tests.benchmarks.map_browser import OURS_DONE
from tests.benchmarks.map_build import naive_folium_html
from tests.support.browsers import chromium, chromium_path, keep_local, live_flask

CENTER = (31.27, 121.53)


def fill(app: Any, count: int, spread: float, seed: int) -> None:
    rnd = random.Random(seed)
    with get_db(app).session() as session:
        session.execute(delete(Asset))
        site = session.scalars(select(Site)).first()
        if site is None:
            site = Site(external_id="bench", name="站点", kind="other", lat=CENTER[0],
                        lon=CENTER[1], contact_name="联系人")
            session.add(site)
            session.flush()
        rows = [{
            "external_id": f"b{i}", "kind": "aed", "site_id": site.id,
            "name": f"{rnd.choice(['定海路', '平凉路', '江浦路', '控江路'])}{i}号 AED",
            "lat": CENTER[0] + rnd.uniform(-spread, spread),
            "lon": CENTER[1] + rnd.uniform(-spread, spread),
            "status": rnd.choice(["ready"] * 6 + ["attention", "not_ready", "unknown"]),
            "access_hours": rnd.choice(["24/7", "Mo-Fr 08:00-18:00", ""]),
            "description": "大厅东侧服务台旁" if rnd.random() < 0.3 else None,
            "public": True,
        } for i in range(count)]
        for start in range(0, count, 10_000):
            session.execute(insert(Asset), rows[start:start + 10_000])


def timed(fn: Any, repeats: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def browser_ms(app: Any, runs: int) -> tuple[list[float], list[str], list[str]]:
    path = chromium_path()
    if path is None:
        sys.exit("chromium is not installed")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    results: list[float] = []
    outside: list[str] = []
    errors: list[str] = []
    with live_flask(app) as base, chromium(path) as browser:
        for _ in range(runs):
            ctx = browser.new_context(viewport={"width": 1280, "height": 800})
            keep_local(ctx, base, outside)
            page = ctx.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(base + "/map/public", wait_until="commit")
            page.wait_for_function(OURS_DONE, timeout=120_000)
            results.append(float(page.evaluate("window.__doneAt")))
            ctx.close()
    return results, outside, errors


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    big = 30_000 if args.quick else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
                          "DATA_DIR": tmp, "SECRET_KEY": "benchmark-secret-key-0123",
                          "MAP_TILES": "none", "LOG_LEVEL": "WARNING"})
        db = get_db(app)
        migrate.upgrade(db.engine)
        with db.session() as session:
            user = User(username="bench", display_name="B", role="coordinator",
                        password_hash="x")
            session.add(user)
            session.flush()
            token = issue_token(session, user)
        headers = {"Authorization": f"Bearer {token}"}
        client = app.test_client()

        fill(app, 10_000, 0.05, seed=1)
        page_s, resp = timed(lambda: client.get("/map", headers=headers), 1 if args.quick else 5)
        assert resp.status_code == 200, resp.status_code
        html10k = len(resp.data)
        assert b'"mode":"embed"' in resp.data
        with app.test_request_context("/"), db.session() as session:
            records = aed_records(session, MapQuery())
        naive_s, naive_html = timed(lambda: naive_folium_html(records), 1 if args.quick else 3)
        ratio = page_s / naive_s
        shown, outside, errors = browser_ms(app, 1 if args.quick else 3)
        shown_ms = statistics.median(shown)

        fill(app, big, 0.10, seed=2)
        t0 = time.perf_counter()
        resp = client.get("/map", headers=headers)
        big_page_s = time.perf_counter() - t0
        assert b'"mode":"bbox"' in resp.data
        big_html = len(resp.data)
        responses = {}
        for name, radius in (("phone_z15", 1_300.0), ("district_z13", 5_000.0),
                             ("zoomed_out_z11", 20_000.0)):
            min_lat, min_lon, max_lat, max_lon = bbox_around(CENTER[0], CENTER[1], radius)
            url = (f"/api/v1/map-features?bbox={min_lon},{min_lat},{max_lon},{max_lat}"
                   "&kind=aed,station,gateway&zoom=15")
            took, r = timed(lambda u=url: client.get(u, headers=headers), 3)
            body = r.get_json()
            responses[name] = {"bytes": len(r.data), "rows": len(body["rows"]),
                               "total": body["total"], "truncated": body["truncated"],
                               "ms": round(took * 1000, 1)}
        db.dispose()

    max_features = max(r["bytes"] for r in responses.values())
    print(f"10k: GET /map {page_s:.3f} s ({html10k / 1e6:.2f} MB, embed); naive folium "
          f"{naive_s:.2f} s ({len(naive_html.encode()) / 1e6:.1f} MB); ratio {ratio:.4f}")
    print(f"10k in Chromium: {[round(x) for x in shown]} ms to all markers clustered; outside "
          f"requests {len(outside)}; page errors {len(errors)}")
    print(f"{big}: GET /map {big_page_s * 1000:.0f} ms, {big_html / 1e3:.1f} KB (bbox mode)")
    for name, r in responses.items():
        print(f"  map-features {name}: {r}")
    ok = (ratio <= 0.05 and shown_ms <= 2000 and big_html <= 1_500_000
          and max_features <= 1_000_000 and html10k <= 1_500_000 and not outside and not errors)
    print(json.dumps({
        "name": "map_app",
        "value": round(page_s, 4),
        "unit": "s to serve /map with 10k AEDs from the DB "
                "(ratio = value/baseline naive folium, smaller is better)",
        "baseline": round(naive_s, 3),
        "ratio": round(ratio, 4),
        "target": 0.05,
        "ok": ok,
    }))


if __name__ == "__main__":
    main()
