"""Outbox drain after an outage: 10,000 buffered messages delivered after reconnect.

    python -m tests.benchmarks.agent_drain [--quick]

Setup: the agent's outbox is filled with 10,000 real telemetry messages (as an outage
would leave it, from a previous session), then the agent starts against a live broker.
value = seconds from the agent's `online` birth reaching a subscriber until the subscriber
holds all 10,000 (each flagged replay); baseline = seconds for a bare paho publisher to
get 10,000 QoS 1 messages of the same size to a subscriber through the same broker in
this run, with the same in-flight window (200); ratio = value / baseline (smaller is
better). Target: <= 10 s. Full run: median of 3; --quick: 1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from device_agent.outbox import OutboxStore
from device_agent.protocol import Telemetry, encode, telemetry_topic
from tests.benchmarks.agent_support import (
    Counter,
    bare_publish,
    broker,
    result,
    start_agent,
    write_agent_config,
)
from tests.support.mosquitto import MosquittoBroker

N = 10_000
GW = "gw-bench-1"
BACKLOG_DEV = "aed-backlog"


def sample_payload(seq: int) -> bytes:
    return encode(
        Telemetry(
            v=1,
            msg_id=f"1-{seq}",
            session=1,
            seq=seq,
            ts=datetime.now(UTC),
            replay=False,
            battery_pct=90,
            temp_c=21.5,
            door="closed",
            aed_present=True,
            self_test="pass",
        )
    )


def prefill(state_dir: Path) -> None:
    store = OutboxStore(state_dir / "outbox.sqlite3")
    box = store.outbox(GW, 50_000)
    box.set_meta("session", "1")
    topic = telemetry_topic(GW, BACKLOG_DEV)
    for seq in range(1, N + 1):
        box.add("telemetry", topic, sample_payload(seq))
    store.close()


def drain_once(b: MosquittoBroker) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state"
        prefill(state)
        cfg = Path(tmp) / "agent.toml"
        write_agent_config(
            cfg,
            state,
            b.port,
            poll_interval_s=5.0,
            report_interval_s=60.0,
            heartbeat_interval_s=60.0,
        )
        births = Counter(b, f"aed/v1/gw/{GW}/state")
        backlog = Counter(b, telemetry_topic(GW, BACKLOG_DEV))
        births.times.clear()
        agent = start_agent(cfg, Path(tmp) / "agent.log")
        try:
            # The retained state of an earlier round may arrive first: wait for this one.
            if not backlog.wait_count(N, 60):
                log = (Path(tmp) / "agent.log").read_text()[-2000:]
                raise RuntimeError(f"only {backlog.count} of {N} drained; agent log:\n{log}")
            online = [t for t in births.times]
            start = online[-1] if online else backlog.times[0]
            elapsed = backlog.times[N - 1] - start
        finally:
            agent.terminate()
            agent.wait(15)
            births.close()
            backlog.close()
    return elapsed


def baseline_once(b: MosquittoBroker) -> float:
    counter = Counter(b, "bench/baseline")
    start = time.monotonic()
    bare_publish(b, "bench/baseline", sample_payload(1), N, 200)
    if not counter.wait_count(N, 120):
        raise RuntimeError("baseline subscriber short")
    elapsed = counter.times[N - 1] - start
    counter.close()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    rounds = 1 if ap.parse_args().quick else 3
    values, baselines = [], []
    with broker() as b:
        for _ in range(rounds):
            baselines.append(baseline_once(b))
            values.append(drain_once(b))
    value, base = statistics.median(values), statistics.median(baselines)
    print(json.dumps({"drain_s": values, "baseline_s": baselines}))
    result(
        "agent_drain",
        value,
        "seconds for 10,000 (smaller is better)",
        base,
        value / base,
        "<= 10 s",
        value <= 10.0,
        messages=N,
    )


if __name__ == "__main__":
    main()
