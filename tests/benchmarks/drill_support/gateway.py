"""A gateway the drill drives itself: a real paho client speaking protocol v1 as the
agent does (retained `online` birth with an `offline` will, heartbeat and telemetry
every report interval, session/seq envelopes, events derived from changed readings by
the agent's own rule, then the telemetry that carries them).

The drill changes a device's readings to inject a fault, stops one device's reports
(device silent behind a live gateway) or all of them while the connection stays up
(gateway silent: no will, because the broker still sees a live client).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import BaseModel

from device_agent.events import derive_events
from device_agent.protocol import (
    DEFAULT_ROOT,
    Event,
    GatewayState,
    Heartbeat,
    StateMessage,
    Telemetry,
    encode,
    event_topic,
    heartbeat_topic,
    state_topic,
    telemetry_topic,
    utc_now,
)

AGENT_VERSION = "drill-1"
#: What a ready AED's cabinet reports.
HEALTHY: dict[str, Any] = {"battery_pct": 90, "self_test": "pass", "temp_c": 21.0,
                           "door": "closed", "aed_present": True}


@dataclass(frozen=True)
class Sent:
    """One published message: when (time.time() just before publish) and its msg_id."""

    at: float
    msg_id: str
    topic: str


class DrillGateway:
    def __init__(self, gateway_id: str, readings: dict[str, dict[str, Any]], host: str,
                 port: int, interval_s: float, phase_s: float, *, session: int = 1,
                 root: str = DEFAULT_ROOT, same_will_ts: bool = False,
                 on_sent: Callable[[Sent], None] | None = None) -> None:
        self.gateway_id = gateway_id
        self.readings = {dev: dict(values) for dev, values in readings.items()}
        self.host, self.port = host, port
        self.interval_s = interval_s
        self.phase_s = phase_s
        self.session = session
        self.root = root
        self.on_sent = on_sent
        self.seq = 0
        self.started = time.monotonic()
        self.reporting = set(self.readings)
        self.silent = False
        #: Wall time of the last message about each device, and of the gateway's last.
        self.last_device: dict[str, float] = {}
        self.first_device: dict[str, float] = {}
        self.last_any: float | None = None
        self.reports = 0
        self.lock = threading.Lock()
        self.connected = threading.Event()
        self.error: str | None = None
        self._stop = threading.Event()
        # The agent stamps its will when it connects and its birth after the CONNACK;
        # `same_will_ts` gives both one stamp (a control for the ordering of the two).
        self._state_ts = utc_now() if same_will_ts else None
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                  client_id=f"aed-drill-{gateway_id}", clean_session=True)
        self.client.max_inflight_messages_set(100)
        # The will of this connection, as the agent sets it (ts: when it connects).
        self.client.will_set(state_topic(gateway_id, root),
                             self._state(GatewayState.OFFLINE), qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self._thread = threading.Thread(target=self._loop, name=f"gw-{gateway_id}",
                                        daemon=True)

    # -- connection ----------------------------------------------------------------------

    def _state(self, state: GatewayState) -> bytes:
        return encode(StateMessage(state=state, session=self.session,
                                   ts=self._state_ts or utc_now(), agent_version=AGENT_VERSION))

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        # An exception here would kill paho's network thread: record it instead.
        try:
            if rc.is_failure:
                self.error = f"connect refused: {rc}"
                return
            client.publish(state_topic(self.gateway_id, self.root),
                           self._state(GatewayState.ONLINE), qos=1, retain=True)
            self.connected.set()
        except Exception as exc:
            self.error = repr(exc)

    def connect(self) -> None:
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()

    def start_reporting(self) -> None:
        self.started = time.monotonic()
        self._thread.start()

    def close(self) -> None:
        """A clean DISCONNECT: the broker discards the will."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self.client.disconnect()
        self.client.loop_stop()

    def kill(self) -> float:
        """Die as a crashed gateway does: the socket closed without DISCONNECT, so the
        broker publishes the will. Returns the moment of death."""
        self._stop.set()
        with self.lock:
            self.silent = True
        self.client.loop_stop()  # no DISCONNECT, and no reconnect after the close
        sock = self.client.socket()
        died = time.time()
        if sock is not None:
            sock.close()
        return died

    # -- publishing ----------------------------------------------------------------------

    def _envelope(self) -> dict[str, Any]:
        self.seq += 1
        return {"v": 1, "msg_id": f"{self.session}-{self.seq}", "session": self.session,
                "seq": self.seq, "ts": utc_now(), "replay": False}

    def _publish(self, topic: str, model: BaseModel, msg_id: str) -> Sent:
        sent = Sent(time.time(), msg_id, topic)
        self.client.publish(topic, encode(model), qos=1)
        self.last_any = sent.at
        if self.on_sent is not None:
            self.on_sent(sent)
        return sent

    def _telemetry(self, device: str) -> Sent:
        env = self._envelope()
        sent = self._publish(telemetry_topic(self.gateway_id, device, self.root),
                             Telemetry(**env, **self.readings[device]), env["msg_id"])
        self.last_device[device] = sent.at
        self.first_device.setdefault(device, sent.at)
        return sent

    def _heartbeat(self) -> Sent:
        env = self._envelope()
        return self._publish(heartbeat_topic(self.gateway_id, self.root), Heartbeat(
            **env, uptime_s=round(time.monotonic() - self.started, 3), outbox_depth=0,
            config_version=0), env["msg_id"])

    def _loop(self) -> None:
        due = time.monotonic() + self.phase_s
        while not self._stop.wait(max(0.0, due - time.monotonic())):
            due += self.interval_s
            with self.lock:
                if self.silent:
                    continue
                try:
                    self._heartbeat()
                    for device in sorted(self.reporting):
                        self._telemetry(device)
                    self.reports += 1
                except Exception as exc:  # shown by the drill; the loop goes on
                    self.error = repr(exc)

    # -- faults --------------------------------------------------------------------------

    def change(self, device: str, **values: Any) -> Sent:
        """New readings now: the events the agent derives from the change, then the
        telemetry. Returns the first message sent (the injection moment)."""
        with self.lock:
            previous = self.readings[device]
            current = {**previous, **values}
            self.readings[device] = current
            first: Sent | None = None
            for kind in derive_events(previous, current):
                env = self._envelope()
                sent = self._publish(event_topic(self.gateway_id, device, self.root),
                                     Event(**env, kind=kind), env["msg_id"])
                first = first or sent
            telemetry = self._telemetry(device)
            return first or telemetry

    def silence_device(self, device: str) -> float:
        """Stop reporting `device`; the gateway and its other devices go on. Returns when
        the device was last heard of."""
        with self.lock:
            self.reporting.discard(device)
            return self.last_device[device]

    def go_silent(self) -> float:
        """Stop sending anything, the connection left open (paho keeps pinging): no will
        is published. Returns when the gateway last sent a message."""
        with self.lock:
            self.silent = True
            assert self.last_any is not None
            return self.last_any

    def heard_all(self, devices: Iterable[str] | None = None) -> bool:
        return all(d in self.last_device for d in (devices or self.readings))
