"""Shared pieces of the agent and simulator benchmarks (a package, so `make bench` skips it)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tests.support.mosquitto import MosquittoBroker

REPO = Path(__file__).resolve().parents[3]


def result(
    name: str,
    value: float,
    unit: str,
    baseline: float,
    ratio: float,
    target: str,
    ok: bool,
    **extra: Any,
) -> None:
    print(
        json.dumps(
            {
                "name": name,
                "value": round(value, 4),
                "unit": unit,
                "baseline": round(baseline, 4),
                "ratio": round(ratio, 4),
                "target": target,
                "ok": ok,
                **extra,
            }
        ),
        flush=True,
    )


@contextmanager
def broker() -> Iterator[MosquittoBroker]:
    with tempfile.TemporaryDirectory(prefix="bench-mqtt-") as tmp, MosquittoBroker(Path(tmp)) as b:
        yield b


def write_agent_config(path: Path, state_dir: Path, port: int, **top: Any) -> None:
    lines = [
        'gateway_id = "gw-bench-1"',
        f'state_dir = "{state_dir}"',
        *(f"{k} = {json.dumps(v)}" for k, v in top.items()),
        "[mqtt]",
        'host = "127.0.0.1"',
        f"port = {port}",
        "reconnect_min_s = 0.2",
        "reconnect_max_s = 1.0",
        "[[devices]]",
        'id = "aed-01"',
        'driver = "simulated"',
        "[[devices]]",
        'id = "aed-01"',
        'driver = "static"',
        "[devices.options]",
        'pad_expiry = "2027-05-01"',
    ]
    path.write_text("\n".join(lines) + "\n")


def start_agent(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "device_agent", "--config", str(config)],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


class Counter:
    """A paho subscriber counting what it receives, with arrival times.

    It subscribes at QoS 0 on purpose: with the project's `autosave_interval 1`, every
    message queued for a QoS 1 subscriber makes Mosquitto rewrite its persistence file
    (about 200 msg/s here), which would measure the broker's disk, not the publisher.
    """

    def __init__(self, b: MosquittoBroker, topic: str, client_id: str = "", qos: int = 0) -> None:
        self.count = 0
        self.first: float | None = None
        self.last: float | None = None
        self.times: list[float] = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311
        )
        ready = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=qos)
        self.client.on_subscribe = lambda c, u, mid, rcs, p: ready.set()
        self.client.on_message = self._on_message
        self.client.connect(b.host, b.port, 30)
        self.client.loop_start()
        if not ready.wait(10):
            raise RuntimeError("subscriber not ready")

    def _on_message(self, c: Any, u: Any, msg: mqtt.MQTTMessage) -> None:
        now = time.monotonic()
        with self.lock:
            self.count += 1
            self.times.append(now)
            if self.first is None:
                self.first = now
            self.last = now

    def wait_count(self, n: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.count >= n:
                    return True
            time.sleep(0.01)
        return False

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def bare_publish(
    b: MosquittoBroker, topic: str, payload: bytes, n: int, max_inflight: int
) -> float:
    """Seconds for a bare paho client to get n QoS 1 messages PUBACKed (same window)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    client.max_inflight_messages_set(max_inflight)
    client.max_queued_messages_set(0)
    acked = threading.Event()
    state = {"n": 0}

    def on_publish(c: Any, u: Any, mid: int, rc: Any, p: Any) -> None:
        state["n"] += 1
        if state["n"] >= n:
            acked.set()

    client.on_publish = on_publish
    client.connect(b.host, b.port, 30)
    client.loop_start()
    start = time.monotonic()
    for _ in range(n):
        client.publish(topic, payload, qos=1)
    if not acked.wait(120):
        raise RuntimeError("bare publisher did not finish")
    elapsed = time.monotonic() - start
    client.disconnect()
    client.loop_stop()
    return elapsed
