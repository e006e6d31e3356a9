"""Ingest: publish → commit throughput at QoS 1, latency at 2,000 msg/s, RSS in a 10× burst.

    python -m tests.benchmarks.ingest_throughput [--quick] [--backend sqlite|postgresql|both]

A full run measures both databases (~20 minutes); --quick measures SQLite only, with
fewer and shorter rounds (~3 minutes), long enough to decide the same way as a full run.

PostgreSQL is a cluster with its durable defaults (fsync, synchronous_commit and
full_page_writes on: `postgres_server(durable=True)`), as users run it, not the test
suite's fast one.

Per backend:

1. throughput, once per broker setting: Mosquitto from config/mosquitto.conf as shipped
   (persistence saved every 5 minutes, not per change) and the same with persistence
   off. N telemetry messages (50 registered gateways) wait at the broker; then (a) a
   bare paho subscriber (persistent session, manual ack per message, nothing else)
   drains them; (b) one `flask --app app ingest` worker (with its MQTT receiver
   process), subscribed and then frozen (SIGSTOP) while the same stream is published
   again, is woken and drains it until the last row is committed; in a full run also
   (c) the same with two workers sharing the subscription. Rounds are interleaved (a),
   (b), (c), (a), (b), (c), ... so a change in the machine's load hits both sides; the
   ratio (b) / (a) is taken per round and the median over the rounds is the figure, with
   its spread (lowest and highest round). value = median (b) msg/s, baseline = median
   (a) msg/s. Target: median ratio ≥ 0.5 on SQLite and on PostgreSQL, at the shipped
   broker settings. The CPU time per message of each side (psutil user + system) is
   reported beside it.
2. latency (shipped broker settings): a publisher process offers 2,000 msg/s for D
   seconds with `ts` = publish time; p99 of (commit time − publish time) at the ingest
   worker ≤ 1 s. Baseline: the same p99 from publish to receipt at a bare subscriber in
   the same run.
3. burst (shipped broker settings): `flask --app app ingest` (both its processes) is
   frozen (SIGSTOP) while two publisher processes offer 10 × 2,000 msg/s for a few
   seconds, then woken to the whole backlog; the peak RSS of both processes together
   while draining must stay ≤ 300 MB (baseline: their idle RSS).

The last line is one JSON object (the SQLite ratio at the shipped broker settings, with
every figure in "checks"; "ok" is true only if all checks pass).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psutil
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from app import migrate
from app.config import load_settings
from app.db import Database
from app.ingest.service import IngestOptions, IngestService
from app.ingest.writer import Inbound
from app.models import Asset, Device, Gateway, IngestWorker, Site, Telemetry
from tests.support.mosquitto import running_mosquitto
from tests.support.postgres import postgres_server

GATEWAYS = 50
ROOT = "aed/v1"
# Broker settings measured: as shipped, and with persistence off. The queue bound is
# raised in both so a whole round's backlog fits.
BROKER_SETTINGS = {
    "shipped": {"max_queued_messages": "1000000"},
    "persistence_off": {"persistence": "false", "max_queued_messages": "1000000"},
}
TARGET_RATIO = 0.5
REPO = Path(__file__).resolve().parents[2]


# -- messages and publishers ------------------------------------------------------------

def message(seq: int, ts: datetime | None = None) -> tuple[str, bytes]:
    gw = f"bench-gw-{seq % GATEWAYS:03d}"
    stamp = (ts or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
    body = {"v": 1, "msg_id": f"1-{seq}", "session": 1, "seq": seq, "ts": stamp,
            "replay": False, "battery_pct": 90 - seq % 3, "temp_c": 20.0 + (seq % 50) / 10,
            "door": "closed", "aed_present": True, "self_test": "pass"}
    return f"{ROOT}/gw/{gw}/dev/d1/telemetry", json.dumps(body).encode()


def publish_range(url: str, first: int, count: int, rate: float, client_id: str) -> float:
    """Publish seq first..first+count-1 at QoS 1 (rate 0 = as fast as possible)."""
    host, port = url.removeprefix("mqtt://").split(":")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
    client.max_inflight_messages_set(1000)
    client.connect(host, int(port))
    client.loop_start()
    start = time.monotonic()
    info = None
    for i in range(count):
        if rate:
            due = start + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        topic, payload = message(first + i)
        info = client.publish(topic, payload, qos=1)
    if info is not None:
        info.wait_for_publish(120)
    elapsed = time.monotonic() - start
    client.disconnect()
    client.loop_stop()
    return elapsed


def publisher_process(url: str, first: int, count: int, rate: float, name: str
                      ) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.benchmarks.ingest_throughput", "--role", "publisher",
         "--url", url, "--first", str(first), "--count", str(count), "--rate", str(rate),
         "--client-id", name],
        cwd=REPO,
    )


def open_session(url: str, client_id: str, filters: Sequence[str]) -> None:
    """Create a persistent session with its subscriptions, then leave."""
    host, port = url.removeprefix("mqtt://").split(":")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                         clean_session=False)
    done = threading.Event()
    client.on_subscribe = lambda *a: done.set()
    client.on_connect = lambda c, *a: c.subscribe([(f, 1) for f in filters])
    client.connect(host, int(port))
    client.loop_start()
    assert done.wait(10)
    client.disconnect()
    client.loop_stop()


def drop_session(url: str, client_id: str) -> None:
    """Connect with a clean session once: the broker forgets the old one and its queue."""
    host, port = url.removeprefix("mqtt://").split(":")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    client.connect(host, int(port))
    client.loop_start()
    deadline = time.monotonic() + 10
    while not client.is_connected() and time.monotonic() < deadline:
        time.sleep(0.01)
    client.disconnect()
    client.loop_stop()


# -- the bare subscriber ----------------------------------------------------------------

class BareSubscriber:
    def __init__(self, url: str, client_id: str, expect: int, latency: bool = False) -> None:
        host, port = url.removeprefix("mqtt://").split(":")
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                                  clean_session=False, manual_ack=True)
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, *a: c.subscribe(f"{ROOT}/gw/+/dev/+/telemetry", 1)
        self.host, self.port = host, int(port)
        self.expect = expect
        self.got = 0
        self.done = threading.Event()
        self.latency = latency
        self.lat: list[float] = []

    def _on_message(self, client: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        client.ack(msg.mid, msg.qos)
        self.got += 1
        if self.latency:
            ts = json.loads(msg.payload)["ts"]
            self.lat.append(time.time() - datetime.fromisoformat(ts).timestamp())
        if self.got >= self.expect:
            self.done.set()

    def run(self, timeout: float) -> float:
        start = time.monotonic()
        self.client.connect(self.host, self.port)
        self.client.loop_start()
        self.done.wait(timeout)
        elapsed = time.monotonic() - start
        self.client.disconnect()
        self.client.loop_stop()
        return elapsed


# -- database -----------------------------------------------------------------------------

def prepare_database(url: str) -> None:
    db = Database(url)
    migrate.upgrade(db.engine)
    with db.session() as session:
        site = Site(external_id="bench", name="bench", kind="riverside_point", lat=31.2,
                    lon=121.5)
        session.add(site)
        for g in range(GATEWAYS):
            gw = Gateway(id=f"bench-gw-{g:03d}", site=site, report_interval_s=60)
            dev = Device(gateway=gw, device_id="d1")
            session.add_all([gw, dev])
            session.flush()
            session.add(Asset(external_id=f"bench-aed-{g}", kind="aed", site=site,
                              name=f"AED {g}", lat=31.2, lon=121.5, device_pk=dev.id))
    db.dispose()


def clear_telemetry(url: str) -> None:
    from sqlalchemy import text

    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM telemetry"))
    db.dispose()


def settings_for(url: str, broker_url: str, data_dir: Path) -> Any:
    return load_settings({"DATABASE_URL": url, "MQTT_URL": broker_url,
                          "DATA_DIR": str(data_dir), "SECRET_KEY": "bench-secret-0123456789-ingest",
                          "LOG_LEVEL": "WARNING"})


class CommitWatch:
    def __init__(self, expect: int, latency: bool = False) -> None:
        self.expect = expect
        self.count = 0
        self.done = threading.Event()
        self.latency = latency
        self.lat: list[float] = []

    def __call__(self, batch: Sequence[Inbound], committed_wall: float) -> None:
        self.count += len(batch)
        if self.latency:
            for item in batch:
                ts = json.loads(item.raw.payload)["ts"]
                self.lat.append(committed_wall - datetime.fromisoformat(ts).timestamp())
        if self.count >= self.expect:
            self.done.set()


def cpu_seconds(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def family(pid: int) -> list[psutil.Process]:
    """An ingest process and its MQTT receiver process: counted, frozen and woken
    together."""
    top = psutil.Process(pid)
    return [top, *top.children(recursive=True)]


def signal_family(pid: int, sig: int) -> None:
    for proc in family(pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.send_signal(sig)


def end_worker(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and kill if it hangs: a worker left running would keep its client id."""
    proc.terminate()
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        raise


def family_rss(procs: list[psutil.Process]) -> int:
    return sum(p.memory_info().rss for p in procs)


def drain_bare(broker_url: str, n: int) -> tuple[float, float]:
    """msg/s, and CPU µs per message of this process while it drained."""
    open_session(broker_url, "bench-bare", [f"{ROOT}/gw/+/dev/+/telemetry"])
    publish_range(broker_url, 1, n, 0, "bench-pub-a")
    bare = BareSubscriber(broker_url, "bench-bare", n)
    me = psutil.Process()
    cpu = cpu_seconds(me)
    seconds = bare.run(300)
    cpu = cpu_seconds(me) - cpu
    assert bare.got >= n, f"bare subscriber got {bare.got}/{n}"
    drop_session(broker_url, "bench-bare")
    return n / seconds, cpu / n * 1e6


class WorkerProcesses:
    """`flask --app app ingest` workers as real processes, sharing the subscription."""

    def __init__(self, url: str, broker_url: str, work: Path, count: int, tag: str,
                 *extra: str) -> None:
        env = {**os.environ, "DATABASE_URL": url, "MQTT_URL": broker_url,
               "DATA_DIR": str(work), "SECRET_KEY": "bench-secret-0123456789-ingest",
               "LOG_LEVEL": "WARNING"}
        self.names = [f"bench-{tag}-{i}" for i in range(count)]
        self.procs = [subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "ingest", "--client-id", name,
             "--heartbeat-s", "0.2", *extra], cwd=REPO, env=env) for name in self.names]
        self.db = Database(url)
        self.broker_url = broker_url

    def wait_subscribed(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.db.session() as session:
                rows = [session.get(IngestWorker, n) for n in self.names]
                if all(r is not None and r.connected for r in rows):
                    return
            time.sleep(0.1)
        raise RuntimeError("ingest workers did not subscribe")

    def signal(self, sig: int) -> None:
        for p in self.procs:
            signal_family(p.pid, sig)

    def stored(self) -> int:
        with self.db.session() as session:
            return int(session.scalar(select(func.count()).select_from(Telemetry)) or 0)

    def stop(self) -> None:
        self.signal(signal.SIGCONT)
        for p in self.procs:
            end_worker(p)
        self.db.dispose()
        for name in self.names:
            drop_session(self.broker_url, name)


def drain_ingest(url: str, broker_url: str, work: Path, n: int, workers: int
                 ) -> tuple[float, float, float]:
    """Workers are started and subscribed, then frozen (SIGSTOP) while the backlog is
    published, then woken: the clock runs from waking to the last row committed, so
    process start-up is not counted (nor for the bare subscriber). Returns msg/s and
    the workers' CPU µs per message (all their processes together), and the part of it
    spent in the MQTT receiver processes."""
    clear_telemetry(url)
    procs = WorkerProcesses(url, broker_url, work, workers, f"ingest{workers}")
    try:
        procs.wait_subscribed()
        procs.signal(signal.SIGSTOP)
        publish_range(broker_url, 1, n, 0, "bench-pub-b")
        ps = [member for p in procs.procs for member in family(p.pid)]
        writers = {p.pid for p in procs.procs}
        before = [cpu_seconds(p) for p in ps]
        start = time.monotonic()
        procs.signal(signal.SIGCONT)
        while procs.stored() < n and time.monotonic() - start < 600:
            time.sleep(0.02)
        seconds = time.monotonic() - start
        used = [cpu_seconds(p) - b for p, b in zip(ps, before, strict=True)]
        assert procs.stored() == n
    finally:
        procs.stop()
    receivers = sum(u for p, u in zip(ps, used, strict=True) if p.pid not in writers)
    return n / seconds, sum(used) / n * 1e6, receivers / n * 1e6


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def throughput(url: str, broker_url: str, work: Path, n: int, rounds: int, two: bool
               ) -> dict[str, Any]:
    """Interleaved rounds of bare and ingest drains; the ratio is taken per round, so a
    change in the machine's load between rounds does not skew it."""
    bare: list[tuple[float, float]] = []
    one: list[tuple[float, float, float]] = []
    both: list[tuple[float, float, float]] = []
    for _ in range(rounds):
        bare.append(drain_bare(broker_url, n))
        one.append(drain_ingest(url, broker_url, work, n, 1))
        if two:
            both.append(drain_ingest(url, broker_url, work, n, 2))

    def median(runs: list[tuple[float, float]] | list[tuple[float, float, float]], i: int
               ) -> float:
        return statistics.median(r[i] for r in runs)

    ratios = [i[0] / b[0] for b, i in zip(bare, one, strict=True)]
    result: dict[str, Any] = {
        "messages": n, "rounds": rounds, "bare_msg_s": median(bare, 0),
        "ingest_msg_s": median(one, 0), "ratio": spread(ratios),
        "round_ratios": [round(r, 3) for r in ratios],
        "bare_cpu_us_per_msg": median(bare, 1), "ingest_cpu_us_per_msg": median(one, 1),
        "ingest_receiver_cpu_us_per_msg": median(one, 2),
        "bare_runs": [round(x[0]) for x in bare], "ingest_runs": [round(x[0]) for x in one],
    }
    if two:
        ratios_2 = [i[0] / b[0] for b, i in zip(bare, both, strict=True)]
        result |= {"ingest_2_workers_msg_s": median(both, 0), "ratio_2_workers":
                   spread(ratios_2), "ingest_2_workers_cpu_us_per_msg": median(both, 1),
                   "ingest_2_workers_runs": [round(x[0]) for x in both]}
    return result


def latency(url: str, broker_url: str, work: Path, seconds: float, rate: float = 2000.0
            ) -> dict[str, float]:
    n = int(seconds * rate)
    clear_telemetry(url)
    watch = CommitWatch(n, latency=True)
    service = IngestService(settings_for(url, broker_url, work),
                            IngestOptions(client_id="bench-ingest-lat", batch_size=500,
                                          batch_ms=50),
                            on_commit=watch, mqtt_url=broker_url)
    service.start()
    assert service.consumer.subscribed.wait(10)
    pub = publisher_process(broker_url, 1, n, rate, "bench-pub-lat")
    pub.wait(seconds * 4 + 60)
    watch.done.wait(60)
    service.stop()
    drop_session(broker_url, "bench-ingest-lat")
    bare = BareSubscriber(broker_url, "bench-bare-lat", n, latency=True)
    bare.client.connect(bare.host, bare.port)
    bare.client.loop_start()
    time.sleep(0.5)  # let the subscription settle before the stream starts
    pub = publisher_process(broker_url, 10_000_000, n, rate, "bench-pub-lat2")
    pub.wait(seconds * 4 + 60)
    bare.done.wait(60)
    bare.client.disconnect()
    bare.client.loop_stop()
    drop_session(broker_url, "bench-bare-lat")

    def p99(values: list[float]) -> float:
        return statistics.quantiles(values, n=100)[98] if len(values) > 100 else max(values)

    return {"offered_msg_s": rate, "messages": n, "p99_s": p99(watch.lat),
            "p50_s": statistics.median(watch.lat), "bare_p99_s": p99(bare.lat)}


def burst(url: str, broker_url: str, work: Path, seconds: float) -> dict[str, float]:
    """A 10x burst (20,000 msg/s for `seconds`) lands while ingest is frozen (SIGSTOP),
    then ingest wakes to the whole backlog arriving as fast as the broker sends it."""
    clear_telemetry(url)
    env = {**os.environ, "DATABASE_URL": url, "MQTT_URL": broker_url, "DATA_DIR": str(work),
           "SECRET_KEY": "bench-secret-0123456789-ingest", "LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "ingest",
                             "--client-id", "bench-ingest-burst", "--heartbeat-s", "0.5"],
                            cwd=REPO, env=env)
    db = Database(url)

    def stored() -> int:
        with db.session() as session:
            row = session.get(IngestWorker, "bench-ingest-burst")
            return int(row.counters.get("stored", 0)) if row and row.connected else -1

    try:
        deadline = time.monotonic() + 60
        while stored() < 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        ps = family(proc.pid)
        idle = family_rss(ps)
        total = int(20_000 * seconds)
        per = total // 2
        signal_family(proc.pid, signal.SIGSTOP)
        start = time.monotonic()
        pubs = [publisher_process(broker_url, 1 + i * per, per, 10_000, f"bench-pub-burst-{i}")
                for i in range(2)]
        for p in pubs:
            p.wait(600)
        published_s = time.monotonic() - start
        signal_family(proc.pid, signal.SIGCONT)
        expected = per * 2
        peak = idle
        woke = time.monotonic()
        while stored() < expected and time.monotonic() - woke < 600:
            peak = max(peak, family_rss(ps))
            time.sleep(0.05)
        drained_s = time.monotonic() - woke
        peak = max(peak, family_rss(ps))
    finally:
        signal_family(proc.pid, signal.SIGCONT)
        end_worker(proc)
        db.dispose()
    return {"burst_messages": expected, "offered_msg_s": expected / published_s,
            "drained_s": drained_s, "drain_msg_s": expected / drained_s,
            "idle_rss_mb": idle / 2**20, "peak_rss_mb": peak / 2**20}


def run_backend(backend: str, url: str, quick: bool) -> dict[str, Any]:
    n, rounds = (30_000, 3) if quick else (60_000, 5)
    with tempfile.TemporaryDirectory(prefix=f"bench-ingest-{backend}-") as tmp:
        work = Path(tmp)
        prepare_database(url)
        result: dict[str, Any] = {"backend": backend, "throughput": {}}
        for name, overrides in BROKER_SETTINGS.items():
            with running_mosquitto(work / f"broker-{name}", overrides=overrides) as broker:
                figures = throughput(url, broker.url, work, n, rounds, two=not quick)
                result["throughput"][name] = figures
                print(json.dumps({"step": f"{backend} throughput, broker {name}", **figures}),
                      flush=True)
                if name != "shipped":
                    continue
                result["latency"] = latency(url, broker.url, work, 5 if quick else 30)
                print(json.dumps({"step": f"{backend} latency", **result["latency"]}),
                      flush=True)
                result["burst"] = burst(url, broker.url, work, 2 if quick else 5)
                print(json.dumps({"step": f"{backend} burst", **result["burst"]}), flush=True)
        return result


def rounded(figures: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 3) for k, v in figures.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default=None,
                        help="default: both for a full run, sqlite with --quick")
    parser.add_argument("--role", choices=["bench", "publisher"], default="bench")
    parser.add_argument("--url")
    parser.add_argument("--first", type=int, default=1)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--rate", type=float, default=0.0)
    parser.add_argument("--client-id", default="bench-pub")
    args = parser.parse_args(argv)
    if args.role == "publisher":
        publish_range(args.url, args.first, args.count, args.rate, args.client_id)
        return 0

    if args.backend is None:
        args.backend = "sqlite" if args.quick else "both"
    results: dict[str, dict[str, Any]] = {}
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="bench-ingest-db-") as tmp:
            results["sqlite"] = run_backend("sqlite", f"sqlite:///{tmp}/bench.sqlite3",
                                            args.quick)
    if args.backend in ("postgresql", "both"):
        with postgres_server(durable=True) as server:
            url = server.create_database()
            try:
                results["postgresql"] = run_backend("postgresql", url, args.quick)
            finally:
                server.drop_database(url)

    checks: dict[str, Any] = {}
    ok = True
    for backend, r in results.items():
        lat, b = r["latency"], r["burst"]
        shipped = r["throughput"]["shipped"]
        per_broker: dict[str, Any] = {}
        for name, t in r["throughput"].items():
            entry: dict[str, Any] = {
                "throughput_msg_s": round(t["ingest_msg_s"]),
                "bare_msg_s": round(t["bare_msg_s"]),
                "ratio": rounded(t["ratio"]), "round_ratios": t["round_ratios"],
                "cpu_us_per_msg": {"bare": round(t["bare_cpu_us_per_msg"], 1),
                                   "ingest": round(t["ingest_cpu_us_per_msg"], 1),
                                   "ingest_of_which_receiver":
                                       round(t["ingest_receiver_cpu_us_per_msg"], 1)},
            }
            if "ingest_2_workers_msg_s" in t:
                entry |= {"throughput_2_workers_msg_s": round(t["ingest_2_workers_msg_s"]),
                          "ratio_2_workers": rounded(t["ratio_2_workers"])}
            per_broker[name] = entry
        checks[backend] = {
            "broker": per_broker, "ratio_target": TARGET_RATIO,
            "p99_latency_s_at_2000": round(lat["p99_s"], 3),
            "bare_p99_latency_s": round(lat["bare_p99_s"], 3),
            "burst_peak_rss_mb": round(b["peak_rss_mb"], 1),
            "burst_idle_rss_mb": round(b["idle_rss_mb"], 1),
            "burst_offered_msg_s": round(b["offered_msg_s"]),
        }
        ok = ok and shipped["ratio"]["median"] >= TARGET_RATIO and lat["p99_s"] <= 1.0 and (
            b["peak_rss_mb"] <= 300)
    head_backend = "sqlite" if "sqlite" in results else "postgresql"
    head = results[head_backend]["throughput"]["shipped"]
    off = results[head_backend]["throughput"]["persistence_off"]
    print(f"{head_backend}, shipped broker settings: ingest {head['ingest_msg_s']:.0f} msg/s "
          f"vs bare {head['bare_msg_s']:.0f} msg/s, median ratio {head['ratio']['median']:.3f}"
          f" (rounds {head['ratio']['min']:.3f}-{head['ratio']['max']:.3f}); persistence off:"
          f" {off['ingest_msg_s']:.0f} vs {off['bare_msg_s']:.0f} msg/s, median ratio "
          f"{off['ratio']['median']:.3f}")
    print(json.dumps({
        "name": f"ingest_throughput_{head_backend}",
        "value": round(head["ingest_msg_s"], 1),
        "unit": "msg/s committed at QoS 1, median of interleaved rounds, shipped broker "
                "settings (bigger is better; ratio = median of the rounds' ratios)",
        "baseline": round(head["bare_msg_s"], 1),
        "ratio": round(head["ratio"]["median"], 3),
        "ratio_spread": [round(head["ratio"]["min"], 3), round(head["ratio"]["max"], 3)],
        "target": TARGET_RATIO,
        "ok": ok,
        "checks": checks,
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
