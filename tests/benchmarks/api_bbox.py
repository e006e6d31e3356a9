"""GET /api/v1/assets?bbox=... under gunicorn vs a Flask hello-world, same settings.

    python -m tests.benchmarks.api_bbox [--quick]

Both apps run under gunicorn (2 workers x 4 threads, like `make run`) on 127.0.0.1 and
are driven by the same closed-loop load generator: 50 client threads with keep-alive
connections, each sending its next request when the previous answer arrived. The
database (SQLite, WAL) holds 5,000 AEDs; the bbox returns about 400 of them.

value = bbox requests/s; baseline = hello-world requests/s in the same run;
ratio = value / baseline (bigger is better; target >= 0.3), and p95 latency of the bbox
requests must stay <= 50 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from flask import Flask

REPO = Path(__file__).resolve().parents[2]
CLIENTS = 50
GUNICORN = ["--workers", "2", "--threads", "4", "--worker-class", "gthread",
            "--keep-alive", "5", "--log-level", "warning"]


def hello_app() -> Flask:
    app = Flask("hello")

    @app.get("/")
    def hello() -> str:
        return "Hello, World!"

    return app


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
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz" if "create_app" in target else "/")
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
done = function(summary, latency, requests)
  io.write(string.format("WRKJSON {\\"requests\\": %d, \\"p95_us\\": %d, \\"errors\\": %d}\\n",
    summary.requests, latency:percentile(95),
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout))
end
"""


def load(port: int, path: str, seconds: float, warmup: float) -> dict[str, float]:
    """Closed-loop load from CLIENTS connections: wrk when installed (a C generator
    leaves the 2 cores to the server), else Python threads (their GIL waits inflate
    the measured latency, so their p95 is an upper bound)."""
    if shutil.which("wrk"):
        return load_wrk(port, path, seconds, warmup)
    return load_threads(port, path, seconds, warmup)


def load_wrk(port: int, path: str, seconds: float, warmup: float) -> dict[str, float]:
    url = f"http://127.0.0.1:{port}{path}"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        base = ["wrk", "-t", "2", "-c", str(CLIENTS), "-s", script.name, "--timeout", "10s"]
        subprocess.run([*base, "-d", f"{max(1, int(warmup))}s", url], check=True,
                       capture_output=True, timeout=warmup + 60)
        out = subprocess.run([*base, "-d", f"{int(seconds)}s", url], check=True,
                             capture_output=True, text=True, timeout=seconds + 60).stdout
    finally:
        os.unlink(script.name)
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    got = json.loads(line.removeprefix("WRKJSON "))
    return {"rps": got["requests"] / seconds, "p95_ms": got["p95_us"] / 1000,
            "requests": got["requests"], "errors": got["errors"], "generator": "wrk"}


def load_threads(port: int, path: str, seconds: float, warmup: float) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    start = time.monotonic()
    measure_from = start + warmup
    stop_at = measure_from + seconds

    def client() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        bad = 0
        while True:
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

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    count = len(latencies)
    p95 = latencies[int(count * 0.95) - 1] if count else float("inf")
    return {"rps": count / seconds, "p95_ms": p95 * 1000, "requests": count,
            "errors": errors, "generator": "python-threads"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    seconds, warmup = (6.0, 2.0) if args.quick else (20.0, 3.0)
    bbox = "121.50,31.25,121.545,31.295"
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        url = prepare_database(data_dir, 5_000)
        env = {**os.environ, "DATABASE_URL": url, "DATA_DIR": str(data_dir),
               "SECRET_KEY": "bench-secret-key-0123456789", "LOG_LEVEL": "WARNING",
               "PYTHONPATH": str(REPO)}
        port = free_port()
        proc = start_gunicorn("tests.benchmarks.api_bbox:hello_app()", port, env)
        try:
            hello = load(port, "/", seconds, warmup)
        finally:
            stop(proc)
        port = free_port()
        proc = start_gunicorn("app:create_app()", port, env)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", f"/api/v1/assets?bbox={bbox}")
            returned = json.loads(conn.getresponse().read())["total"]
            conn.close()
            bbox_stats = load(port, f"/api/v1/assets?bbox={bbox}", seconds, warmup)
        finally:
            stop(proc)
    ratio = bbox_stats["rps"] / hello["rps"] if hello["rps"] else 0.0
    print(f"hello-world: {hello['rps']:.0f} req/s, p95 {hello['p95_ms']:.1f} ms "
          f"({hello['errors']} errors)")
    print(f"bbox ({returned} assets): {bbox_stats['rps']:.0f} req/s, p95 "
          f"{bbox_stats['p95_ms']:.1f} ms ({bbox_stats['errors']} errors)")
    ok = (ratio >= 0.3 and bbox_stats["p95_ms"] <= 50 and returned <= 500
          and bbox_stats["errors"] == 0)
    print(json.dumps({
        "name": "api_bbox", "value": round(bbox_stats["rps"], 1),
        "unit": "req/s (bigger is better; ratio = value/baseline)",
        "baseline": round(hello["rps"], 1), "ratio": round(ratio, 3),
        "target": "ratio >= 0.3 and p95 <= 50 ms at 50 clients",
        "p95_ms": round(bbox_stats["p95_ms"], 1), "assets_returned": returned,
        "load_generator": bbox_stats["generator"], "ok": ok,
    }))


if __name__ == "__main__":
    main()
