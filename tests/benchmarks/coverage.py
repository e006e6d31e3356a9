"""Coverage (app/coverage): 50 km² at 25 m cells (about 80,000 cells) with 10,000 AEDs.

    python -m tests.benchmarks.coverage [--quick]

Figures, each against its target:

- full: seconds from nothing to coverage now (cells within reach of every AED, cover
  counts, the share) ≤ 2 s;
- week: seconds for the 168-hour profile (the week counts, from the full model) ≤ 20 s;
- change: the slowest of 20 one-AED changes (readiness, hours or position), in ms: the
  in-process model recounted and coverage now and the week read again; and the
  writer's path (app/coverage/freshness.py: a model of the changed AED's
  neighbourhood, its AEDs' criticality and night gain) ≤ 50 ms;
- browser: ms from navigation until the coverage layer has painted 80,000 cells in
  Chromium, and the bytes transferred (page, scripts, cell data) ≤ 2 s and ≤ 2 MB.

value = the full-coverage seconds; baseline = a brute-force geodesic check (geopy) of
every cell against every AED, timed on a sample of cells and scaled to all of them;
ratio = value / baseline (smaller is better). On the sample the model's counts (AEDs
available and within reach of each cell, at one moment) must equal brute force's,
exactly. With ``--quick``: a fifth of the area and of the AEDs, a smaller sample, no
browser run.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
from geopy.distance import geodesic
from playwright.sync_api import Browser, Request

from app.coverage.grid import Grid, make_grid
from app.coverage.model import AedState, CoverageModel
from app.coverage.payload import moment_payload
from app.coverage.state import box_around
from app.coverage.week import open_at
from maps.builder import build_map
from maps.coverage_layer import add_coverage
from tests.coverage.layouts import rectangle
from tests.maps.pageserver import serve
from tests.support.browsers import chromium, chromium_path, keep_local

TZ = ZoneInfo("Asia/Shanghai")
WEEK = datetime(2026, 3, 9, tzinfo=TZ)  # an ordinary week
AT = datetime(2026, 3, 11, 10, 30, tzinfo=TZ)  # Wednesday 10:30
CELL_M, REACH_M = 25.0, 160.0
SOUTH, WEST = 31.24, 121.48
HOURS = ["24/7", "24/7", "Mo-Fr 08:00-18:00", "Mo-Su 07:00-21:00",
         "Mo-Fr 08:30-17:00; Sa 09:00-12:00", "Mo-Su 09:00-21:00", "Mo-Su 06:00-18:00"]
NIGHT = tuple(h % 24 for h in range(20, 32))
BROWSER_DONE = ("() => window.aedCoverage && aedCoverage.state.share !== null "
                "&& window.__coverageDrawnAt !== undefined")


def area(km2: float) -> Grid:
    side = (km2 * 1e6) ** 0.5 / CELL_M
    return make_grid([rectangle(SOUTH, WEST, side, side, CELL_M)], CELL_M)


def aeds(grid: Grid, count: int, seed: int) -> list[AedState]:
    rnd = random.Random(seed)
    top, right = grid.lat0 + grid.rows * grid.dlat, grid.lon0 + grid.cols * grid.dlon
    return [AedState(i, rnd.uniform(grid.lat0, top), rnd.uniform(grid.lon0, right),
                     rnd.choice(HOURS), rnd.random() < 0.85) for i in range(count)]


def brute_counts(grid: Grid, states: list[AedState], cells: list[int]) -> tuple[list[int], float]:
    """Available AEDs within reach of each sample cell by geopy, and seconds per pair."""
    opened = open_at({s.hours for s in states}, AT, False)
    t0 = time.perf_counter()
    counts = []
    for c in cells:
        centre = (float(grid.lat[c]), float(grid.lon[c]))
        within = [s for s in states if geodesic(centre, (s.lat, s.lon)).meters <= REACH_M]
        counts.append(sum(s.ready and opened[s.hours] for s in within))
    return counts, (time.perf_counter() - t0) / (len(cells) * len(states))


def changes(states: list[AedState], grid: Grid, n: int, seed: int) -> list[AedState]:
    rnd = random.Random(seed)
    out = []
    for k in range(n):
        s = states[rnd.randrange(len(states))]
        kind = k % 3
        if kind == 0:
            out.append(AedState(s.id, s.lat, s.lon, s.hours, not s.ready))
        elif kind == 1:
            out.append(AedState(s.id, s.lat, s.lon, rnd.choice(HOURS), s.ready))
        else:
            out.append(AedState(s.id, s.lat + 60 * grid.dlat / CELL_M, s.lon, s.hours,
                                s.ready))
    return out


def neighbourhood(grid: Grid, states: list[AedState], changed: AedState) -> float:
    """The writer's recomputation (app/coverage/freshness.recompute_around) without its
    queries: seconds."""
    t0 = time.perf_counter()
    near = box_around([(changed.lat, changed.lon)], 2 * REACH_M)
    assert near is not None
    targets = [s for s in states if near[0] <= s.lat <= near[2] and near[1] <= s.lon <= near[3]]
    positions = [(s.lat, s.lon) for s in targets]
    around, box = box_around(positions, 2 * REACH_M), box_around(positions, REACH_M)
    assert around is not None and box is not None
    local = CoverageModel(grid, REACH_M, WEEK, cells=grid.cells_in_box(*box))
    local.sync([s for s in states
                if around[0] <= s.lat <= around[2] and around[1] <= s.lon <= around[3]])
    ids = [s.id for s in targets]
    local.carried(ids, NIGHT)
    return time.perf_counter() - t0


def browser_run(grid: Grid, model: CoverageModel, runs: int) -> tuple[float, int, list[str]]:
    path = chromium_path()
    if path is None:
        sys.exit("chromium is not installed")
    payload = moment_payload(grid, REACH_M, model.at(AT))
    centre = (grid.lat0 + grid.rows * grid.dlat / 2, grid.lon0 + grid.cols * grid.dlon / 2)
    config = {"url": "/coverage-cells", "coords": "wgs84", "week_starts_at": WEEK.isoformat(),
              "hours": [round(h, 4) for h in model.profile().tolist()], "now_hour": 58,
              "text": {"layer": "覆盖范围", "covered": "有可用 AED", "uncovered": "无可用 AED",
                       "hour": "时段", "now": "现在", "share": "覆盖率", "loading": "…",
                       "error": "!", "weekdays": "周一 周二 周三 周四 周五 周六 周日"}}
    page_html = add_coverage(build_map([], tiles="none", center=centre, zoom=14), config,
                             "/static/maps/").render()
    times: list[float] = []
    sizes: list[int] = []
    problems: list[str] = []
    with serve() as server, chromium(path) as browser:
        server.pages["/cov"] = page_html
        server.json_routes["/coverage-cells"] = lambda _q: payload
        for _ in range(runs):
            ms, size = one_load(browser, server.port, server.url("/cov#coverage"), problems)
            times.append(ms)
            sizes.append(size)
    return statistics.median(times), max(sizes), problems


def one_load(browser: Browser, port: int, url: str, problems: list[str]) -> tuple[float, int]:
    """ms from navigation to the layer painted, and the bytes transferred."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    keep_local(ctx, f"http://127.0.0.1:{port}", problems)
    page = ctx.new_page()
    finished: list[Request] = []

    def keep(request: Request) -> None:  # playwright needs a Python function here
        finished.append(request)

    page.on("requestfinished", keep)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(url, wait_until="commit")
    page.wait_for_function(BROWSER_DONE, timeout=60_000)
    ms = float(page.evaluate("window.__coverageDrawnAt"))
    page.wait_for_load_state("networkidle")
    size = sum(r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"]
               for r in finished)
    ctx.close()
    return ms, size


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    km2, count = (10.0, 2_000) if args.quick else (50.0, 10_000)
    sample_n = 8 if args.quick else 20

    grid = area(km2)
    states = aeds(grid, count, seed=17)

    t0 = time.perf_counter()
    model = CoverageModel(grid, REACH_M, WEEK)
    model.sync(states)
    now = model.at(AT)
    full_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    profile = model.profile()
    week_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.carried(None, NIGHT)
    criticality_s = time.perf_counter() - t0

    rnd = random.Random(5)
    sample = sorted(rnd.sample(range(grid.size), sample_n))
    want, per_pair = brute_counts(grid, states, sample)
    got = now.counts[sample].tolist()
    mismatches = sum(a != b for a, b in zip(got, want, strict=True))
    baseline_s = per_pair * grid.size * len(states)

    in_process, writer = [], []
    current = {s.id: s for s in states}
    for changed in changes(states, grid, 20, seed=3):
        t0 = time.perf_counter()
        model.put([changed])
        model.at(AT)
        model.profile()
        in_process.append(time.perf_counter() - t0)
        current[changed.id] = changed
        writer.append(neighbourhood(grid, list(current.values()), changed))
    change_ms = max(max(in_process), max(writer)) * 1000
    # The counts kept by the changes equal a fresh model's.
    fresh = CoverageModel(grid, REACH_M, WEEK)
    fresh.sync(current.values())
    incremental_ok = bool(np.allclose(fresh.profile(), model.profile()))

    browser_ms: float | None = None
    browser_bytes: int | None = None
    browser_problems: list[str] = []
    if not args.quick:
        browser_ms, browser_bytes, browser_problems = browser_run(grid, fresh, runs=3)

    print(f"{grid.size} cells ({km2:g} km², {CELL_M:g} m), {count} AEDs, reach {REACH_M:g} m: "
          f"full {full_s:.2f} s; week {week_s:.2f} s (mean {profile.mean():.3f}, lowest "
          f"{profile.min():.3f}); criticality of all {criticality_s:.2f} s")
    print(f"one change: in-process max {max(in_process) * 1000:.1f} ms "
          f"(median {statistics.median(in_process) * 1000:.1f}); writer's neighbourhood max "
          f"{max(writer) * 1000:.1f} ms (median {statistics.median(writer) * 1000:.1f}); "
          f"incremental = fresh: {incremental_ok}")
    print(f"baseline: geopy {per_pair * 1e6:.1f} µs per pair on {sample_n} cells × {count} "
          f"AEDs, scaled to {baseline_s:.0f} s; agreement {sample_n - mismatches}/{sample_n}")
    if browser_ms is not None and browser_bytes is not None:
        print(f"browser: {browser_ms:.0f} ms to painted, {browser_bytes / 1e6:.2f} MB "
              f"transferred; problems {browser_problems[:3]}")
    ok = (mismatches == 0 and incremental_ok and full_s <= 2 and week_s <= 20
          and change_ms <= 50
          and (browser_ms is None or (browser_ms <= 2000 and browser_bytes is not None
                                      and browser_bytes <= 2_000_000
                                      and not browser_problems)))
    print(json.dumps({
        "name": "coverage",
        "value": round(full_s, 4),
        "unit": "s to full coverage now, 80k cells × 10k AEDs "
                "(ratio = value/baseline, smaller is better)",
        "baseline": round(baseline_s, 1),
        "ratio": round(full_s / baseline_s, 8),
        "target": 2.0,
        "ok": ok,
        "cells": grid.size,
        "aeds": count,
        "week_s": round(week_s, 3),
        "criticality_s": round(criticality_s, 3),
        "change_ms": round(change_ms, 2),
        "browser_ms": None if browser_ms is None else round(browser_ms, 1),
        "browser_bytes": browser_bytes,
        "sample_cells": sample_n,
        "mismatches": mismatches,
    }))


if __name__ == "__main__":
    main()
