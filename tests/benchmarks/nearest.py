"""Nearest-AED search: maps.geo.NearestIndex (bounding box prefilter + exact geodesic)
vs brute-force geodesic ranking over every point, and exact agreement between them.

    python -m tests.benchmarks.nearest [--quick]

value = p95 seconds per NearestIndex query (n=3) over 100,000 points; baseline = p95
seconds of brute force (geodesic to every point, then rank) on the same points;
ratio = value / baseline (smaller is better). Agreement: the index's (distance, id) list
equals brute force's for every checked query. Brute force costs about 4 s per query at
100k points, so agreement queries run in a process pool (one per core).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

from maps.geo import NearestIndex, rank_nearest

CENTER = (31.27, 121.53)
SPREAD = 0.10  # degrees: Yangpu and its neighbours, about 20 x 22 km
_POINTS: list[tuple[float, float]] = []


def make_points(count: int, seed: int) -> list[tuple[float, float]]:
    rnd = random.Random(seed)
    return [(CENTER[0] + rnd.uniform(-SPREAD, SPREAD), CENTER[1] + rnd.uniform(-SPREAD, SPREAD))
            for _ in range(count)]


def _init(points: list[tuple[float, float]]) -> None:
    _POINTS[:] = points


def _identity(p: tuple[float, float]) -> tuple[float, float]:
    return p


def brute(query: tuple[float, float, int]) -> tuple[float, list[tuple[float, int]]]:
    lat, lon, n = query
    t0 = time.perf_counter()
    ranked = rank_nearest((lat, lon), range(len(_POINTS)), n, position=_POINTS.__getitem__)
    return time.perf_counter() - t0, [(r.distance_m, r.item) for r in ranked]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--agree", type=int, default=None,
                    help="brute-force agreement queries (default 1000; 24 with --quick)")
    args = ap.parse_args()
    count = 20_000 if args.quick else 100_000
    index_queries = 1000
    agree_queries = args.agree or (24 if args.quick else 1000)
    n = 3

    points = make_points(count, seed=7)
    rnd = random.Random(11)
    # Queries fall in and slightly around the covered area.
    queries = [(CENTER[0] + rnd.uniform(-1.1 * SPREAD, 1.1 * SPREAD),
                CENTER[1] + rnd.uniform(-1.1 * SPREAD, 1.1 * SPREAD), n)
               for _ in range(max(index_queries, agree_queries))]

    t0 = time.perf_counter()
    index = NearestIndex(list(range(count)), position=points.__getitem__)
    build_s = time.perf_counter() - t0
    index_times, index_answers = [], []
    for lat, lon, k in queries[:index_queries]:
        t = time.perf_counter()
        got = index.query(lat, lon, k)
        index_times.append(time.perf_counter() - t)
        index_answers.append([(r.distance_m, r.item) for r in got])

    _init(points)
    workers = os.cpu_count() or 1
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers, initializer=_init, initargs=(points,)) as ex:
        brute_results = list(ex.map(brute, queries[:agree_queries], chunksize=4))
    brute_wall = time.perf_counter() - t0
    brute_times = [t for t, _ in brute_results]
    mismatches = sum(
        1 for i, (_, want) in enumerate(brute_results)
        if i < len(index_answers) and index_answers[i] != want
    )

    value, baseline = p95(index_times), p95(brute_times)
    ratio = value / baseline
    print(f"{count} points, index built in {build_s:.2f}s; index p95 {value * 1000:.2f} ms "
          f"(median {statistics.median(index_times) * 1000:.2f} ms over {index_queries}); "
          f"brute p95 {baseline:.2f} s over {agree_queries} ({workers} workers, {brute_wall:.0f}s)")
    print(f"agreement: {agree_queries - mismatches}/{agree_queries} identical")
    print(json.dumps({
        "name": "nearest",
        "value": round(value, 6),
        "unit": "s p95 per query, n=3 (ratio = value/baseline, smaller is better)",
        "baseline": round(baseline, 4),
        "ratio": round(ratio, 6),
        "target": 0.01,
        "ok": mismatches == 0 and ratio <= 0.01,
        "points": count,
        "agreement_queries": agree_queries,
        "mismatches": mismatches,
    }))


if __name__ == "__main__":
    main()
