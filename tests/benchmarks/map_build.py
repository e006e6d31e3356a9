"""Map page build: 10k assets with maps.builder vs naive folium (one folium.Marker per asset
in a plugins.MarkerCluster), plus page and bbox-payload sizes at 100k assets.

    python -m tests.benchmarks.map_build [--quick]

value = seconds to build and render the 10k page with maps.builder; baseline = the naive
folium page's seconds in the same run; ratio = value / baseline (smaller is better).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import folium
from folium import plugins

from maps.builder import build_map_html
from maps.geo import bbox_around
from maps.payload import MAX_FEATURES, features_payload
from maps.records import MapRecord
from tests.maps.factory import synthetic_records


def naive_folium_html(records: list[MapRecord]) -> str:
    m = folium.Map(location=(31.27, 121.53), zoom_start=14)
    cluster = plugins.MarkerCluster().add_to(m)
    for r in records:
        folium.Marker(
            (r.lat, r.lon),
            popup=folium.Popup(f"{r.label}<br>{r.status}<br><a href='{r.link}'>详情</a>"),
            tooltip=r.label,
        ).add_to(cluster)
    return str(m.get_root().render())


def timed(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    repeats = 1 if args.quick else 5

    recs10k = synthetic_records(10_000, spread_deg=0.05)
    ours_s, html = timed(lambda: build_map_html(recs10k, tiles="osm"), repeats)
    html10k = len(str(html).encode())
    naive_s, naive_html = timed(lambda: naive_folium_html(recs10k), 1 if args.quick else 3)
    naive_bytes = len(str(naive_html).encode())

    # 100k assets across Yangpu and its neighbours (about 20 x 22 km).
    recs100k = synthetic_records(100_000, spread_deg=0.10, seed=2)
    embed100k = len(build_map_html(recs100k, tiles="osm").encode())
    bbox_page = len(build_map_html(recs100k, tiles="osm", mode="bbox").encode())
    # Densest reasonable viewport: a phone at zoom 15 near the centre (about 1.2 x 2.5 km),
    # padded 10 % as the page does; plus a zoomed-out city view that hits the cap.
    details = {}
    for name, radius in (("phone_z15", 1_300.0), ("zoomed_out_z12", 10_000.0)):
        box = bbox_around(31.27, 121.53, radius)
        inside = [r for r in recs100k
                  if box[0] <= r.lat <= box[2] and box[1] <= r.lon <= box[3]]
        t0 = time.perf_counter()
        body = json.dumps(features_payload(inside), ensure_ascii=False, separators=(",", ":"))
        took = time.perf_counter() - t0
        payload = json.loads(body)
        details[name] = {"in_box": len(inside), "rows": len(payload["rows"]),
                         "truncated": payload["truncated"], "bytes": len(body.encode()),
                         "encode_s": round(took, 3)}
    max_payload = max(d["bytes"] for d in details.values())

    ratio = ours_s / naive_s
    ok = ratio <= 0.05 and html10k <= 1_500_000 and bbox_page <= 1_500_000 and max_payload <= 1e6
    print(f"10k page: ours {ours_s:.3f}s {html10k/1e6:.2f} MB; naive folium {naive_s:.2f}s "
          f"{naive_bytes/1e6:.2f} MB")
    print(f"100k: embedded page {embed100k/1e6:.2f} MB; bbox-mode page {bbox_page} B; "
          f"cap {MAX_FEATURES} features/response")
    for name, d in details.items():
        print(f"  bbox payload {name}: {d}")
    print(json.dumps({
        "name": "map_build",
        "value": round(ours_s, 4),
        "unit": "s to build+render a 10k-asset page (ratio = value/baseline, smaller is better)",
        "baseline": round(naive_s, 4),
        "ratio": round(ratio, 4),
        "target": 0.05,
        "ok": ok,
        "html_10k_bytes": html10k,
        "naive_html_10k_bytes": naive_bytes,
        "html_100k_bbox_mode_bytes": bbox_page,
        "html_100k_embedded_bytes": embed100k,
        "bbox_payload_max_bytes": max_payload,
    }))


if __name__ == "__main__":
    main()
