"""The public AED feed (GET /api/v1/public/aeds, app/feeds) for 100,000 AEDs.

    python -m tests.benchmarks.public_feed [--quick] [--backend sqlite|postgresql|both]

Per backend it loads 100,000 public AEDs (10,000 with --quick) at 10,000 sites of a few
Red Cross branches, then, through the real API (Flask's test client, anonymous):

- full: every page of the GeoJSON feed, following ``next`` (10,000 features a page),
  best of 3 runs; target <= 3 s;
- delta: 100 AEDs change and the feed records them (app/feeds/changes.record_changes,
  what every writer's refresh_aeds calls), then ``updated_since`` returns exactly those
  100; median of 9 runs; target <= 50 ms.

Baseline, same data, same run: every AED loaded as an ORM object (its site and branch
through relationships) and serialised one by one into the same GeoJSON, json.dumps at
the end. ratio = full / baseline, smaller is better. Per-backend figures go to stderr
as JSON; the last line of stdout is the summary JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import orjson
from flask import Flask
from sqlalchemy import insert, select, text
from sqlalchemy.orm import selectinload

from app import create_app, migrate
from app.extensions import get_aed_context, get_db
from app.feeds.changes import record_changes
from app.models import Asset, Organisation, Site, Team
from tests.benchmarks.scan_expiry_restock import backend_url

FEED = "/api/v1/public/aeds"
NOW = datetime.now(UTC).replace(microsecond=0)
FULL_TARGET_S = 3.0
DELTA_TARGET_S = 0.050
CHANGES = 100
HOURS = (None, "24/7", "Mo-Fr 08:00-18:00", "Mo-Su 07:00-22:00",
         "Mo-Fr 09:00-17:00; Sa 09:00-12:00", "Mo-Sa 08:00-20:00; PH off")


def load(app: Flask, assets: int) -> None:
    rnd = random.Random(16)
    today = NOW.date()
    sites = max(10, assets // 10)
    chunk = 20_000
    with get_db(app).engine.begin() as conn:
        conn.execute(insert(Team), [{"code": "bench", "name": "基准队"}])
        conn.execute(insert(Organisation), [
            {"code": f"b{i}", "name": f"街道红十字会{i}", "name_en": f"Branch {i}",
             "level": "subdistrict"} for i in range(12)])
        conn.execute(insert(Site), [
            {"external_id": f"s{i}", "name": f"站点{i}", "kind": "other", "lat": 31.27,
             "lon": 121.53, "team_id": 1, "organisation_id": 1 + i % 12,
             "opening_hours": HOURS[1 + i % (len(HOURS) - 1)], "is_fictional": False}
            for i in range(sites)])
        for start in range(0, assets, chunk):
            conn.execute(insert(Asset), [
                {"external_id": f"aed-{i}", "kind": "aed", "site_id": 1 + i % sites,
                 "name": f"基准AED {i}", "name_en": f"Bench AED {i}",
                 "lat": 31.20 + rnd.random() * 0.15, "lon": 121.45 + rnd.random() * 0.15,
                 "access_hours": rnd.choice(HOURS), "indoor": rnd.random() < 0.7,
                 "level": rnd.choice((None, "0", "1", "-1")),
                 "cabinet": "东侧入口柜内", "cabinet_en": "East entrance cabinet",
                 "pad_expiry": today + timedelta(days=rnd.randint(-30, 1460)),
                 "battery_expiry": today + timedelta(days=rnd.randint(-30, 1460)),
                 "last_inspection_at": NOW - timedelta(days=rnd.uniform(0, 34)),
                 "paediatric_pads": False, "public": True,
                 "status": rnd.choice(("ready", "ready", "attention", "not_ready")),
                 "guardian_name": "王阿姨", "guardian_phone": "13911112222",
                 "public_updated_at": NOW - timedelta(days=1),
                 "created_at": NOW, "updated_at": NOW}
                for i in range(start, min(assets, start + chunk))])
    db = get_db(app)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE" if db.is_sqlite else "VACUUM ANALYZE"))


def fetch(app: Flask, url: str) -> tuple[float, int, int]:
    """Seconds the app took for every page from ``url`` (reading the answers is the
    client's time, not counted), features, bytes."""
    client = app.test_client()
    features = size = 0
    taken = 0.0
    following: str | None = url
    while following:
        started = time.perf_counter()
        resp = client.get(following)
        body = resp.get_data()
        taken += time.perf_counter() - started
        assert resp.status_code == 200, body[:500]
        size += len(body)
        page = orjson.loads(body)
        features += len(page["features"])
        following = page["next"]
    return taken, features, size


def change_some(app: Flask, assets: int) -> datetime:
    """CHANGES AEDs move a little and the feed records it, as every writer's
    refresh_aeds does (called alone: the rest of refresh_aeds is not this benchmark's);
    the moment they did."""
    when = datetime.now(UTC)
    ids = random.Random(5).sample(range(1, assets + 1), CHANGES)
    with app.app_context():
        db = get_db(app)
        with db.session() as session:
            for aed in session.scalars(select(Asset).where(Asset.id.in_(ids))):
                aed.lat += 0.0001
            record_changes(session, ids, when, get_aed_context(app).tz)
    return when


def orm_one_by_one(app: Flask) -> tuple[float, int]:
    """The baseline: ORM objects, each serialised on its own."""
    started = time.perf_counter()
    with app.app_context(), get_db(app).session() as session:
        features = []
        for aed in session.scalars(select(Asset).where(Asset.public.is_(True))
                                   .options(selectinload(Asset.site)).order_by(Asset.id)):
            site = aed.site
            branch = session.get(Organisation, site.organisation_id)
            features.append({"type": "Feature", "id": aed.id, "geometry": {
                "type": "Point", "coordinates": [aed.lon, aed.lat]}, "properties": {
                "ref": aed.external_id, "emergency": "defibrillator", "name": aed.name,
                "name:en": aed.name_en, "opening_hours": aed.access_hours or site.opening_hours,
                "indoor": "yes" if aed.indoor else "no", "level": aed.level, "access": "yes",
                "defibrillator:location": aed.cabinet, "defibrillator:location:zh": aed.cabinet,
                "defibrillator:location:en": aed.cabinet_en, "phone": None,
                "operator": branch.name if branch else None,
                "check_date": aed.last_inspection_at.date().isoformat()
                if aed.last_inspection_at else None,
                "aed:pad_expiry": aed.pad_expiry.isoformat() if aed.pad_expiry else None,
                "aed:battery_expiry": aed.battery_expiry.isoformat()
                if aed.battery_expiry else None,
                "status": aed.status, "updated_at": aed.updated_at.isoformat()}})
        body = json.dumps({"type": "FeatureCollection", "features": features},
                          ensure_ascii=False).encode("utf-8")
    return time.perf_counter() - started, len(body)


def run_backend(name: str, assets: int) -> dict[str, Any]:
    with backend_url(name) as url, tempfile.TemporaryDirectory(prefix="bench-feed-") as tmp:
        app = create_app({"DATABASE_URL": url, "DATA_DIR": tmp, "LOG_LEVEL": "WARNING",
                          "SECRET_KEY": "benchmark-secret-key-0123", "MAP_TILES": "none"})
        migrate.upgrade(get_db(app).engine)
        t0 = time.perf_counter()
        load(app, assets)
        load_s = time.perf_counter() - t0
        runs = [fetch(app, FEED) for _ in range(3)]
        full_s = min(r[0] for r in runs)
        _s, features, size = runs[0]
        assert features == assets, (features, assets)
        since = change_some(app, assets)
        delta_url = f"{FEED}?updated_since={quote(since.isoformat(), safe='')}"
        deltas = [fetch(app, delta_url) for _ in range(9)]
        assert {d[1] for d in deltas} == {CHANGES}, deltas
        delta_s = statistics.median(d[0] for d in deltas)
        baseline_s, baseline_bytes = orm_one_by_one(app)
        get_db(app).dispose()
    result = {
        "backend": name, "assets": assets, "load_s": round(load_s, 1),
        "full_s": round(full_s, 3), "full_runs_s": [round(r[0], 3) for r in runs],
        "full_bytes": size, "delta_ms": round(delta_s * 1000, 2),
        "delta_max_ms": round(max(d[0] for d in deltas) * 1000, 2),
        "orm_one_by_one_s": round(baseline_s, 3), "orm_bytes": baseline_bytes,
        "ok": full_s <= FULL_TARGET_S and delta_s <= DELTA_TARGET_S,
    }
    print(json.dumps(result, ensure_ascii=False), file=sys.stderr, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    assets = 10_000 if args.quick else 100_000
    names = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = [run_backend(n, assets) for n in names]
    for r in results:
        print(f"{r['backend']}: {r['assets']} AEDs as GeoJSON in {r['full_s']}s "
              f"({r['full_bytes'] / 1e6:.1f} MB); {CHANGES}-change delta {r['delta_ms']} ms "
              f"(max {r['delta_max_ms']}); ORM one by one {r['orm_one_by_one_s']}s "
              f"(ratio {r['full_s'] / r['orm_one_by_one_s']:.2f})")
    worst = max(results, key=lambda r: r["full_s"])
    print(json.dumps({
        "name": "public_feed",
        "value": worst["full_s"],
        "unit": f"s for the full GeoJSON feed of {assets} AEDs (ratio = value/baseline, "
                "smaller is better)",
        "baseline": worst["orm_one_by_one_s"],
        "ratio": round(worst["full_s"] / worst["orm_one_by_one_s"], 3),
        "target": FULL_TARGET_S,
        "delta_ms": max(r["delta_ms"] for r in results),
        "delta_target_ms": DELTA_TARGET_S * 1000,
        "ok": all(r["ok"] for r in results),
        "assets": assets,
        "per_backend": {r["backend"]: {k: r[k] for k in (
            "full_s", "delta_ms", "delta_max_ms", "orm_one_by_one_s")} for r in results},
    }))


if __name__ == "__main__":
    main()
