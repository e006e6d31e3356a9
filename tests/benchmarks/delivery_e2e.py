"""End-to-end delivery: agent outbox → broker → ingest → ack → outbox empty, for a fleet.

    python -m tests.benchmarks.delivery_e2e [--quick] [--backend sqlite|postgresql]

1,000 gateways × 2 devices, run by the fleet simulator (`python -m device_agent.simulate`,
one process, on-disk outboxes, `delivery = "end_to_end"`), Mosquitto from
config/mosquitto.conf as shipped, one `flask --app app ingest` worker and a database
(SQLite by default; PostgreSQL with its durable defaults). Two parts:

1. drain: every gateway's outbox holds a backlog (an outage's worth: 10 telemetry
   messages per device, 20,000 in all, from an earlier session). The clock runs from
   the simulator's start until no backlog row is left in any outbox, i.e. every one was
   published, stored, acknowledged end to end and deleted. value = backlog / seconds.
   baseline = a bare paho pair (one QoS 1 publisher, one QoS 1 subscriber, nothing
   else) moving the same number of messages of the same size through the same broker in
   the same run, from the first publish to the last receipt; ratio = value / baseline
   (bigger is better). The fleet's clock includes its 1,000 connections; the pair's its
   one.
2. steady: the fleet reports every second (2,000 telemetry msg/s plus heartbeats) for
   D seconds; the outbox depth (rows PUBACKed or not yet, not yet acknowledged) is
   sampled every 0.25 s. Reported: the peak and median depth (what end-to-end acks
   cost the gateways: about the ack interval's worth of messages), the delivered
   rate, and the seconds from the end of the readings to an empty outbox.

No target: the figure is recorded beside its baseline. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from app import migrate
from app.db import Database
from device_agent.outbox import OutboxStore
from device_agent.protocol import Telemetry, encode, telemetry_topic
from tests.benchmarks.ingest_throughput import end_worker
from tests.delivery.fleet import DEVICES, gateway_ids, outbox_depth, stored_rows
from tests.ingest.factory import register
from tests.ingest.processes import IngestProcess, wait_subscribed
from tests.support.mosquitto import MosquittoBroker
from tests.support.postgres import postgres_server
from tests.support.wait import wait_for

REPO = Path(__file__).resolve().parents[2]
GATEWAYS = 1000
BACKLOG_PER_DEVICE = 10
ROOT = "aed/v1"


def payload(session: int, seq: int) -> bytes:
    return encode(Telemetry(
        v=1, msg_id=f"{session}-{seq}", session=session, seq=seq, ts=datetime.now(UTC),
        replay=False, battery_pct=90, temp_c=21.5, door="closed", aed_present=True,
        self_test="pass",
    ))


def prefill(state_dir: Path, ids: list[str]) -> int:
    """Each gateway's outbox holds a backlog from session 1; returns how many rows."""
    state_dir.mkdir(parents=True, exist_ok=True)
    store = OutboxStore(state_dir / "simulator.sqlite3", synchronous="NORMAL")
    rows = 0
    for gw in ids:
        box = store.outbox(gw, 50_000)
        session = box.next_session()
        seq = 0
        for dev in DEVICES:
            for _ in range(BACKLOG_PER_DEVICE):
                seq += 1
                box.add("telemetry", telemetry_topic(gw, dev, ROOT), payload(session, seq),
                        session, seq)
                rows += 1
    store.commit()
    store.close()
    return rows


def backlog_left(state_dir: Path) -> int:
    conn = sqlite3.connect(f"file:{state_dir / 'simulator.sqlite3'}?mode=ro", uri=True,
                           timeout=10)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM outbox WHERE session = 1").fetchone()[0])
    finally:
        conn.close()


def simulator(broker: MosquittoBroker, state_dir: Path, interval: float, heartbeat: float,
              log: Path) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "device_agent.simulate", "--broker", broker.url,
            "--gateways", str(GATEWAYS), "--devices-per-gateway", str(len(DEVICES)),
            "--interval", str(interval), "--heartbeat", str(heartbeat),
            "--state-dir", str(state_dir), "--log-level", "WARNING"]
    with log.open("ab") as out:
        return subprocess.Popen(argv, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)


def bare_pair(broker: MosquittoBroker, n: int) -> float:
    """msg/s from one bare QoS 1 publisher to one bare QoS 1 subscriber."""
    got = 0
    done = threading.Event()
    subscribed = threading.Event()

    def on_message(_c: Any, _u: Any, _m: mqtt.MQTTMessage) -> None:
        nonlocal got
        got += 1
        if got >= n:
            done.set()

    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-pair-sub")
    sub.on_message = on_message
    sub.on_subscribe = lambda *a: subscribed.set()
    sub.on_connect = lambda c, *a: c.subscribe(f"{ROOT}/gw/+/dev/+/telemetry", 1)
    sub.connect(broker.host, broker.port)
    sub.loop_start()
    assert subscribed.wait(10)
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-pair-pub")
    pub.max_inflight_messages_set(1000)
    start = time.monotonic()
    pub.connect(broker.host, broker.port)
    pub.loop_start()
    topic = telemetry_topic("bench-pair", "aed-01", ROOT)
    for seq in range(1, n + 1):
        pub.publish(topic, payload(1, seq), qos=1)
    assert done.wait(300), f"bare pair: {got}/{n}"
    seconds = time.monotonic() - start
    for client in (pub, sub):
        client.disconnect()
        client.loop_stop()
    return n / seconds


def drain(broker: MosquittoBroker, db: Database, work: Path, ids: list[str]) -> dict[str, Any]:
    state = work / "drain-state"
    n = prefill(state, ids)
    # Readings and heartbeats far apart: the backlog is what is measured.
    sim = simulator(broker, state, 3600.0, 3600.0, work / "drain-sim.log")
    start = time.monotonic()
    try:
        wait_for(lambda: backlog_left(state) == 0, 600, interval=0.05,
                 message=lambda: f"backlog to drain ({backlog_left(state)} left)")
        seconds = time.monotonic() - start
    finally:
        end_worker(sim)
    with db.session() as session:
        stored = sum(1 for gw, msg_id in stored_rows(session, ids) if msg_id.startswith("1-"))
    assert stored == n, f"stored {stored} of {n}"
    return {"messages": n, "seconds": seconds, "msg_s": n / seconds}


def steady(broker: MosquittoBroker, work: Path, seconds: float) -> dict[str, Any]:
    state = work / "steady-state"
    sim = simulator(broker, state, 1.0, 10.0, work / "steady-sim.log")
    path = state / "simulator.sqlite3"
    depths: list[int] = []
    try:
        wait_for(lambda: outbox_depth(path) >= 0, 60, message="the simulator's outbox")
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            depths.append(outbox_depth(path))
            time.sleep(0.25)  # a sampling period, not a wait for a condition
        sim.send_signal(signal.SIGUSR1)  # no more readings; deliver the outbox
        quiet = time.monotonic()
        wait_for(lambda: outbox_depth(path) == 0, 300, interval=0.05,
                 message=lambda: f"outbox to empty ({outbox_depth(path)} left)")
        emptied = time.monotonic() - quiet
    finally:
        end_worker(sim)
    lines = (work / "steady-sim.log").read_text().splitlines()
    summary = json.loads(next(x for x in reversed(lines) if x.startswith("{")))
    return {"seconds": seconds, "acked": summary["acked"], "resent": summary["resent"],
            "msg_s": summary["acked"] / (seconds + emptied),
            "peak_outbox_depth": max(depths), "median_outbox_depth": statistics.median(depths),
            "seconds_to_empty_after_last_reading": emptied}


def run(url: str, quick: bool) -> dict[str, Any]:
    ids = gateway_ids(GATEWAYS)
    db = Database(url)
    migrate.upgrade(db.engine)
    with db.session() as session:
        for gw in ids:
            register(session, gw, DEVICES)
        session.commit()
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as tmp:
        work = Path(tmp)
        with MosquittoBroker(work / "broker", overrides={"max_queued_messages": "1000000"}
                             ) as broker:
            ingest = IngestProcess(url, broker, work / "ingest", "bench-e2e-ingest")
            ingest.env["LOG_LEVEL"] = "WARNING"
            ingest.start()
            try:
                with db.session() as session:
                    wait_subscribed(session, ingest)
                result: dict[str, Any] = {"drain": drain(broker, db, work, ids)}
                print(json.dumps({"step": "drain", **result["drain"]}), flush=True)
                result["bare_pair_msg_s"] = bare_pair(broker, result["drain"]["messages"])
                print(json.dumps({"step": "bare pair", "msg_s": result["bare_pair_msg_s"]}),
                      flush=True)
                result["steady"] = steady(broker, work, 10.0 if quick else 30.0)
                print(json.dumps({"step": "steady", **result["steady"]}), flush=True)
            finally:
                ingest.terminate()
    db.dispose()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 10 s steady part (else 30 s)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args(argv)
    if args.backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-delivery-db-") as tmp:
            result = run(f"sqlite:///{tmp}/bench.sqlite3", args.quick)
    else:
        with postgres_server(durable=True) as server:
            url = server.create_database()
            try:
                result = run(url, args.quick)
            finally:
                server.drop_database(url)
    d, s, bare = result["drain"], result["steady"], result["bare_pair_msg_s"]
    print(f"drain of {d['messages']} messages from {GATEWAYS} gateways x {len(DEVICES)} "
          f"devices: {d['msg_s']:.0f} msg/s end to end vs {bare:.0f} msg/s for a bare paho "
          f"pair ({d['msg_s'] / bare:.2f} x); steady 1/s: peak outbox depth "
          f"{s['peak_outbox_depth']} rows (median {s['median_outbox_depth']:.0f}), empty "
          f"{s['seconds_to_empty_after_last_reading']:.1f} s after the last reading")
    print(json.dumps({
        "name": f"delivery_e2e_{args.backend}",
        "value": round(d["msg_s"], 1),
        "unit": "msg/s from outbox to acknowledged and deleted (bigger is better; "
                "ratio = value / baseline)",
        "baseline": round(bare, 1), "ratio": round(d["msg_s"] / bare, 3), "target": None,
        "peak_outbox_depth": s["peak_outbox_depth"],
        "median_outbox_depth": s["median_outbox_depth"],
        "steady_msg_s": round(s["msg_s"], 1), "steady_resent": s["resent"],
        "seconds_to_empty_after_last_reading":
            round(s["seconds_to_empty_after_last_reading"], 2),
        "ok": True,
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
