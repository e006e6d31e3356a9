"""Fixtures for agent tests: a real Mosquitto, agent processes, a recording subscriber."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.support.mosquitto import MosquittoBroker
from tests.support.wait import wait_for

REPO = Path(__file__).resolve().parents[2]


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path | date):
        return json.dumps(str(value))
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def to_toml(data: dict[str, Any]) -> str:
    """Enough TOML for agent configs: top-level scalars, [tables], [[devices]]."""
    lines = [
        f"{k} = {_toml_value(v)}"
        for k, v in data.items()
        if not isinstance(v, dict | list)
        or (isinstance(v, list) and not all(isinstance(i, dict) for i in v))
    ]
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"[{key}]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in value.items())
        elif isinstance(value, list) and value and all(isinstance(i, dict) for i in value):
            for item in value:
                lines.append(f"[[{key}]]")
                lines.extend(f"{k} = {_toml_value(v)}" for k, v in item.items())
    return "\n".join(lines) + "\n"


def agent_config(tmp: Path, port: int, **overrides: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "gateway_id": "gw-test-1",
        "state_dir": str(tmp / "state"),
        "poll_interval_s": 0.1,
        "report_interval_s": 0.2,
        "heartbeat_interval_s": 1.0,
        "observed_log": str(tmp / "observed.log"),
        "log_level": "INFO",
        "mqtt": {
            "host": "127.0.0.1",
            "port": port,
            "reconnect_min_s": 0.1,
            "reconnect_max_s": 0.5,
            "keepalive_s": 5,
        },
        "devices": [
            {"id": "aed-01", "driver": "simulated", "options": {"seed": 7}},
            {"id": "aed-01", "driver": "static", "options": {"pad_expiry": "2027-05-01"}},
        ],
    }
    cfg.update(overrides)
    return cfg


@dataclass
class AgentProcess:
    config_path: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self, *extra_args: str) -> AgentProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, *extra_args, "-m", "device_agent", "--config", str(self.config_path)],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        log.close()
        return self

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def terminate(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(15)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def cleanup(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@dataclass
class Recorder:
    """A subscriber that keeps everything it receives (thread-safe snapshot)."""

    client: mqtt.Client
    messages: list[tuple[str, bytes, bool]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def payloads(self, suffix: str) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(p) for t, p, _ in self.messages if t.endswith(suffix) and p]

    def retained_or_live(self, suffix: str) -> list[dict[str, Any]]:
        return self.payloads(suffix)

    def wait_for(self, suffix: str, predicate: Any, timeout: float = 15.0) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next((p for p in self.payloads(suffix) if predicate(p)), None)

        result = wait_for(found, timeout, message=lambda: f"{suffix} in {self.payloads(suffix)}")
        assert result is not None
        return result


def make_recorder(
    broker: MosquittoBroker, topic: str, client_id: str | None = None, persistent: bool = False
) -> Recorder:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id or "",
        protocol=mqtt.MQTTv311,
        clean_session=not persistent,
    )
    rec = Recorder(client)
    subscribed = threading.Event()

    def on_connect(c: mqtt.Client, u: Any, f: Any, rc: Any, p: Any) -> None:
        c.subscribe(topic, qos=1)

    def on_subscribe(c: mqtt.Client, u: Any, mid: int, rcs: Any, p: Any) -> None:
        subscribed.set()

    def on_message(c: mqtt.Client, u: Any, msg: mqtt.MQTTMessage) -> None:
        with rec.lock:
            rec.messages.append((msg.topic, bytes(msg.payload), bool(msg.retain)))

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.reconnect_delay_set(1, 2)
    client.connect(broker.host, broker.port, keepalive=5)
    client.loop_start()
    assert subscribed.wait(10), "subscriber did not get SUBACK"
    return rec


def stop_recorder(rec: Recorder) -> None:
    rec.client.disconnect()
    rec.client.loop_stop()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    b = MosquittoBroker(tmp_path / "broker")
    b.start()
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture
def agents(tmp_path: Path) -> Iterator[Any]:
    started: list[AgentProcess] = []

    def factory(cfg: dict[str, Any], name: str = "agent") -> AgentProcess:
        path = tmp_path / f"{name}.toml"
        path.write_text(to_toml(cfg))
        proc = AgentProcess(path, tmp_path / f"{name}.log")
        started.append(proc)
        return proc

    yield factory
    for proc in started:
        proc.cleanup()


@pytest.fixture
def recorders() -> Iterator[Any]:
    made: list[Recorder] = []

    def factory(broker: MosquittoBroker, topic: str = "aed/v1/#", **kw: Any) -> Recorder:
        rec = make_recorder(broker, topic, **kw)
        made.append(rec)
        return rec

    yield factory
    for rec in made:
        stop_recorder(rec)
