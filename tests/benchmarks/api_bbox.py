"""GET /api/v1/assets?bbox=... as phones pan and zoom, under gunicorn, vs a Flask
hello-world in the same run, with the response cache on and off.

    python -m tests.benchmarks.api_bbox [--quick]

All apps run under gunicorn (2 workers x 4 threads, like `make run`) on 127.0.0.1 and
are driven by the same closed-loop load generator: 50 keep-alive connections, each
sending its next request when the previous answer arrived. The database (SQLite, WAL)
holds 5,000 AEDs spread evenly over 31.20-31.35 N, 121.45-121.60 E, an area holding the
demo district (Yangpu, 31.245-31.285 N, 121.50-121.57 E), as in earlier versions.

Viewports are what a phone user asks for: each session opens the map at a random centre
over the district and a random zoom level 13-18, then pans (by 20-80 % of the screen)
or zooms in or out by one level a few times; every viewport is a 390x844 px screen at
that zoom in Web Mercator, written with 6 decimals like the map client does. The same
fixed sequence (seeded) is replayed against the app with its response cache on (as
shipped; the hit ratio is counted in the app's workers) and off (every answer rendered).

Rounds are interleaved (hello, cache on, cache off, hello, ...; 3 rounds, 2 with
--quick) and each figure is the median of its rounds, with the spread beside it: single
runs on a 2-core VM swing by a third between minutes. value = bbox requests/s with the
cache on; baseline = hello-world requests/s; ratio = the median of the rounds'
value / baseline (bigger is better; target >= 0.3), and the median p95 latency of the
bbox requests must stay <= 50 ms. The cache-off figures are printed beside.
"""

from __future__ import annotations

import argparse
import atexit
import http.client
import itertools
import json
import math
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask

REPO = Path(__file__).resolve().parents[2]
CLIENTS = 50
# The demo district (app/demo/yangpu.py) and a phone's screen in CSS pixels.
DISTRICT = (121.50, 31.245, 121.57, 31.285)  # min lon, min lat, max lon, max lat
SCREEN = (390, 844)
ZOOMS = (13, 18)
SESSIONS = 4000
STATS_ENV = "API_BBOX_CACHE_STATS"
GUNICORN = ["--workers", "2", "--threads", "4", "--worker-class", "gthread",
            "--keep-alive", "5", "--log-level", "warning"]


def hello_app() -> Flask:
    app = Flask("hello")

    @app.get("/")
    def hello() -> str:
        return "Hello, World!"

    return app


class _CountingCache:
    """The app's response cache, counting hits and misses for this worker process; the
    counts go to a file of the worker's own at exit (and every 200 lookups)."""

    def __init__(self, inner: Any, out: Path) -> None:
        self.inner = inner
        self.out = out
        self.hits = 0
        self.misses = 0
        atexit.register(self.dump)

    def get(self, key: str, version: Any) -> bytes | None:
        body: bytes | None = self.inner.get(key, version)
        if body is None:
            self.misses += 1
        else:
            self.hits += 1
        if (self.hits + self.misses) % 200 == 0:
            self.dump()
        return body

    def put(self, key: str, version: Any, body: bytes) -> None:
        self.inner.put(key, version, body)

    def clear(self) -> None:
        self.inner.clear()

    def dump(self) -> None:
        self.out.write_text(json.dumps({"hits": self.hits, "misses": self.misses}))


class _NoCache:
    def get(self, key: str, version: Any) -> bytes | None:
        return None

    def put(self, key: str, version: Any, body: bytes) -> None:
        pass

    def clear(self) -> None:
        pass


def counting_app() -> Flask:
    """The app as shipped, its asset-list cache counted (gunicorn target)."""
    from app import create_app
    from app.api import assets

    stats = Path(os.environ[STATS_ENV]) / f"cache-{os.getpid()}.json"
    assets._cache = _CountingCache(assets._cache, stats)  # type: ignore[assignment]
    return create_app()


def uncached_app() -> Flask:
    """The app with its asset-list cache off: every answer rendered (gunicorn target)."""
    from app import create_app
    from app.api import assets

    assets._cache = _NoCache()  # type: ignore[assignment]
    return create_app()


def cache_counts(directory: Path) -> tuple[int, int]:
    hits = misses = 0
    for path in directory.glob("cache-*.json"):
        got = json.loads(path.read_text())
        hits += int(got["hits"])
        misses += int(got["misses"])
    return hits, misses


def viewport(lon: float, lat: float, zoom: float) -> tuple[float, float, float, float]:
    """The (west, south, east, north) a SCREEN shows centred on lon/lat at `zoom`."""
    world = 256 * 2 ** zoom  # Web Mercator world size in pixels at this zoom

    def x_of(lon_: float) -> float:
        return (lon_ + 180) / 360 * world

    def y_of(lat_: float) -> float:
        s_ = math.sin(math.radians(lat_))
        return (0.5 - math.log((1 + s_) / (1 - s_)) / (4 * math.pi)) * world

    def lon_of(x: float) -> float:
        return x / world * 360 - 180

    def lat_of(y: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / world))))

    cx, cy = x_of(lon), y_of(lat)
    w, h = SCREEN
    return lon_of(cx - w / 2), lat_of(cy + h / 2), lon_of(cx + w / 2), lat_of(cy - h / 2)


def viewport_paths(sessions: int, seed: int = 11) -> list[str]:
    """Request paths of `sessions` phone sessions, one after another."""
    rng = random.Random(seed)
    west, south, east, north = DISTRICT
    paths: list[str] = []
    for _ in range(sessions):
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        zoom = rng.randint(*ZOOMS)
        for step in range(rng.randint(4, 12)):
            if step:
                if rng.random() < 0.7:  # a pan by part of the screen, any direction
                    w, s_, e, n = viewport(lon, lat, zoom)
                    angle, share = rng.uniform(0, 2 * math.pi), rng.uniform(0.2, 0.8)
                    lon += math.cos(angle) * share * (e - w)
                    lat += math.sin(angle) * share * (n - s_)
                    lon = min(max(lon, west - 0.01), east + 0.01)
                    lat = min(max(lat, south - 0.01), north + 0.01)
                else:  # pinch: one level in or out
                    zoom = min(max(zoom + rng.choice((-1, 1)), ZOOMS[0]), ZOOMS[1])
            box = ",".join(f"{x:.6f}" for x in viewport(lon, lat, zoom))
            paths.append(f"/api/v1/assets?bbox={box}")
    return paths


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare_database(data_dir: Path, assets: int) -> str:
    from app import create_app, migrate
    from app.extensions import get_db
    from app.models import Asset, Site

    url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "DATA_DIR": str(data_dir),
                      "SECRET_KEY": "bench-secret-key-0123456789"})
    db = get_db(app)
    migrate.upgrade(db.engine)
    rng = random.Random(7)
    with db.session() as session:
        site = Site(external_id="bench-site", name="基准站点", kind="other", lat=31.27,
                    lon=121.53)
        session.add(site)
        session.flush()
        for n in range(assets):
            session.add(Asset(
                external_id=f"bench-{n}", kind="aed", site_id=site.id, name=f"基准AED {n}",
                name_en=f"Bench AED {n}", lat=31.20 + rng.random() * 0.15,
                lon=121.45 + rng.random() * 0.15, status=rng.choice(
                    ["ready", "attention", "not_ready"]), access_hours="24/7",
            ))
    db.dispose()
    return url


def start_gunicorn(target: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", *GUNICORN, target],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    # A cold start of the app on a loaded 2-core box can take a while.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/" if "hello_app" in target else "/healthz")
            conn.getresponse().read()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "exited") from None
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


WRK_SCRIPT = """
wrk.headers["Accept-Encoding"] = "gzip"
local paths, n = {}, 0
if os.getenv("WRK_PATHS") then
  for line in io.lines(os.getenv("WRK_PATHS")) do n = n + 1; paths[n] = line end
end
local i = 0
init = function(args) i = math.random(0, math.max(n - 1, 0)) end
request = function()
  if n == 0 then return wrk.format(nil) end
  i = i % n + 1
  return wrk.format(nil, paths[i])
end
done = function(summary, latency, requests)
  io.write(string.format("WRKJSON {\\"requests\\": %d, \\"p95_us\\": %d, \\"errors\\": %d}\\n",
    summary.requests, latency:percentile(95),
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout))
end
"""


def load(port: int, paths: list[str], seconds: float, warmup: float) -> dict[str, Any]:
    """Closed-loop load from CLIENTS connections, cycling through `paths`: wrk when
    installed (a C generator leaves the 2 cores to the server), else Python threads
    (their GIL waits inflate the measured latency, so their p95 is an upper bound)."""
    if shutil.which("wrk"):
        return load_wrk(port, paths, seconds, warmup)
    return load_threads(port, paths, seconds, warmup)


def load_wrk(port: int, paths: list[str], seconds: float, warmup: float) -> dict[str, Any]:
    url = f"http://127.0.0.1:{port}{paths[0]}"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("".join(f"{p}\n" for p in paths))
    env = {**os.environ, "WRK_PATHS": listing.name}
    try:
        base = ["wrk", "-t", "2", "-c", str(CLIENTS), "-s", script.name, "--timeout", "10s"]
        subprocess.run([*base, "-d", f"{max(1, int(warmup))}s", url], check=True,
                       capture_output=True, timeout=warmup + 60, env=env)
        out = subprocess.run([*base, "-d", f"{int(seconds)}s", url], check=True,
                             capture_output=True, text=True, timeout=seconds + 60,
                             env=env).stdout
    finally:
        os.unlink(script.name)
        os.unlink(listing.name)
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    got = json.loads(line.removeprefix("WRKJSON "))
    return {"rps": got["requests"] / seconds, "p95_ms": got["p95_us"] / 1000,
            "requests": got["requests"], "errors": got["errors"], "generator": "wrk"}


def load_threads(port: int, paths: list[str], seconds: float, warmup: float
                 ) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    start = time.monotonic()
    measure_from = start + warmup
    stop_at = measure_from + seconds

    def client(first: int) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        bad = 0
        walk = itertools.islice(itertools.cycle(paths), first, None)
        while True:
            path = next(walk)
            t0 = time.monotonic()
            if t0 >= stop_at:
                break
            try:
                # Like a browser or a map client: gzip is welcome.
                conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            t1 = time.monotonic()
            if t0 >= measure_from and t1 <= stop_at:
                if ok:
                    mine.append(t1 - t0)
                else:
                    bad += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += bad

    # Each connection is its own run of phone sessions, starting somewhere else.
    threads = [threading.Thread(target=client, args=(i * len(paths) // CLIENTS,))
               for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    count = len(latencies)
    p95 = latencies[int(count * 0.95) - 1] if count else float("inf")
    return {"rps": count / seconds, "p95_ms": p95 * 1000, "requests": count,
            "errors": errors, "generator": "python-threads"}


def run_app(target: str, env: dict[str, str], paths: list[str], seconds: float,
            warmup: float) -> dict[str, Any]:
    port = free_port()
    proc = start_gunicorn(target, port, env)
    try:
        return load(port, paths, seconds, warmup)
    finally:
        stop(proc)


def returned_sizes(env: dict[str, str], paths: list[str]) -> tuple[float, int]:
    """Mean and largest number of assets in the answers to a sample of the viewports."""
    port = free_port()
    proc = start_gunicorn("app:create_app()", port, env)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        sizes = []
        for path in paths[:: max(1, len(paths) // 200)]:
            conn.request("GET", path)
            sizes.append(len(json.loads(conn.getresponse().read())["items"]))
        conn.close()
    finally:
        stop(proc)
    return sum(sizes) / len(sizes), max(sizes)


def spread(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    seconds, warmup, rounds = (6.0, 2.0, 2) if args.quick else (20.0, 3.0, 3)
    paths = viewport_paths(SESSIONS)
    hello_runs: list[dict[str, Any]] = []
    cached_runs: list[dict[str, Any]] = []
    uncached_runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        stats_dir = data_dir / "cache-stats"
        stats_dir.mkdir()
        url = prepare_database(data_dir, 5_000)
        env = {**os.environ, "DATABASE_URL": url, "DATA_DIR": str(data_dir),
               "SECRET_KEY": "bench-secret-key-0123456789", "LOG_LEVEL": "WARNING",
               "PYTHONPATH": str(REPO), STATS_ENV: str(stats_dir)}
        mean_returned, max_returned = returned_sizes(env, paths)
        # Interleaved rounds (hello, cache on, cache off, hello, ...): a change in the
        # machine's load between runs minutes apart hits all three, and the figures are
        # the medians of the rounds, with their spread.
        for _ in range(rounds):
            hello_runs.append(run_app("tests.benchmarks.api_bbox:hello_app()", env, ["/"],
                                      seconds, warmup))
            cached_runs.append(run_app("tests.benchmarks.api_bbox:counting_app()", env,
                                       paths, seconds, warmup))
            uncached_runs.append(run_app("tests.benchmarks.api_bbox:uncached_app()", env,
                                         paths, seconds, warmup))
        hits, misses = cache_counts(stats_dir)
    hit_ratio = hits / (hits + misses) if hits + misses else 0.0

    def median(runs: list[dict[str, Any]], key: str) -> float:
        return float(statistics.median(r[key] for r in runs))

    def ratios(runs: list[dict[str, Any]]) -> list[float]:
        return [r["rps"] / h["rps"] if h["rps"] else 0.0
                for r, h in zip(runs, hello_runs, strict=True)]

    ratio, ratio_off = spread(ratios(cached_runs)), spread(ratios(uncached_runs))
    p95_on = spread([r["p95_ms"] for r in cached_runs])
    p95_off = spread([r["p95_ms"] for r in uncached_runs])
    errors = sum(r["errors"] for r in (*cached_runs, *uncached_runs))
    print(f"hello-world: {median(hello_runs, 'rps'):.0f} req/s, p95 "
          f"{median(hello_runs, 'p95_ms'):.1f} ms (medians of {rounds} rounds)")
    print(f"bbox viewport mix, cache on: {median(cached_runs, 'rps'):.0f} req/s "
          f"({ratio['median']:.2f} x hello, rounds {ratio['min']:.2f}-{ratio['max']:.2f}), "
          f"p95 {p95_on['median']:.1f} ms (rounds {p95_on['min']:.1f}-{p95_on['max']:.1f}), "
          f"cache hit ratio {hit_ratio:.1%}")
    print(f"bbox viewport mix, cache off: {median(uncached_runs, 'rps'):.0f} req/s "
          f"({ratio_off['median']:.2f} x hello), p95 {p95_off['median']:.1f} ms "
          f"(rounds {p95_off['min']:.1f}-{p95_off['max']:.1f}); {errors} errors in all")
    print(f"viewports: {len(paths)} from {SESSIONS} sessions, zoom {ZOOMS[0]}-{ZOOMS[1]}, "
          f"{mean_returned:.0f} assets per answer on average, at most {max_returned}")
    ok = ratio["median"] >= 0.3 and p95_on["median"] <= 50 and errors == 0
    print(json.dumps({
        "name": "api_bbox", "value": round(median(cached_runs, "rps"), 1),
        "unit": "req/s over a phone pan/zoom viewport mix, median of interleaved rounds "
                "(bigger is better; ratio = median of the rounds' value/baseline)",
        "baseline": round(median(hello_runs, "rps"), 1), "ratio": ratio["median"],
        "ratio_spread": [ratio["min"], ratio["max"]], "rounds": rounds,
        "target": "ratio >= 0.3 and p95 <= 50 ms at 50 clients, cache on (medians)",
        "p95_ms": p95_on["median"], "p95_ms_spread": [p95_on["min"], p95_on["max"]],
        "cache_hit_ratio": round(hit_ratio, 3),
        "cache_off": {"value": round(median(uncached_runs, "rps"), 1), "ratio": ratio_off,
                      "p95_ms": p95_off},
        "baseline_p95_ms": round(median(hello_runs, "p95_ms"), 1),
        "runs": {"hello_rps": [round(r["rps"]) for r in hello_runs],
                 "cache_on_rps": [round(r["rps"]) for r in cached_runs],
                 "cache_off_rps": [round(r["rps"]) for r in uncached_runs]},
        "viewports": len(paths), "assets_returned_mean": round(mean_returned, 1),
        "assets_returned_max": max_returned, "load_generator": cached_runs[0]["generator"],
        "ok": ok,
    }))


if __name__ == "__main__":
    main()
