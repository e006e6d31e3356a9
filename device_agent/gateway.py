"""One gateway's runtime: drivers -> outbox -> MQTT, driven by a Reactor (no threads).

The runtime observes the devices, numbers and stores what it sees, and composes the
parts that talk to the broker: the connection (client, reconnects, will and birth), the
publish window (outbox -> in flight -> PUBACK), the wait for the server's ack
(end_to_end.py) and the remote config.

Everything happens on the reactor's thread; the SQLite connection is used by one
thread only. Ordering per reactor iteration: IO -> tick (act on callbacks, observe,
store, ack-deletes) -> commit -> after_commit (publish). A message is published only
after its row is committed; a row is deleted when the server's ack covers it (or on
PUBACK with `delivery = "puback"`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from device_agent import __version__
from device_agent.connection import Connection
from device_agent.drivers.base import Driver
from device_agent.end_to_end import AckWait, Delivery
from device_agent.events import crossed_thresholds, derive_events
from device_agent.link import LinkSettings
from device_agent.outbox import Outbox, Row
from device_agent.protocol import (
    POWER,
    AckMessage,
    DeviceSettings,
    Event,
    EventKind,
    GatewayState,
    Heartbeat,
    ProtocolError,
    StateMessage,
    Telemetry,
    Thresholds,
    ack_topic,
    decode,
    encode,
    event_topic,
    heartbeat_topic,
    state_topic,
    telemetry_topic,
    utc_now,
)
from device_agent.publish_window import PublishWindow
from device_agent.remote_config import Intervals, RemoteConfig

log = logging.getLogger("device_agent.gateway")

STOP_TIMEOUT_S = 5.0


@dataclass
class Device:
    device_id: str
    drivers: list[Driver]
    last: dict[str, Any] = field(default_factory=dict)
    next_report: float = 0.0
    read_errors: int = 0

    def apply_settings(self, settings: DeviceSettings) -> None:
        for driver in self.drivers:
            driver.apply_settings(settings)
        self.next_report = 0.0  # report the new facts now


def _next_slot(previous: float, period: float, now: float) -> float:
    nxt = previous + period
    return nxt if nxt > now else now + period  # far behind (suspended): do not burst


class GatewayRuntime:
    def __init__(
        self,
        *,
        gateway_id: str,
        outbox: Outbox,
        devices: list[Device],
        link: LinkSettings,
        intervals: Intervals,
        thresholds: Thresholds,
        root: str,
        observed_log: Path | None = None,
        delivery: Delivery | None = None,
        delivery_log: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = utc_now,
    ) -> None:
        self.gateway_id = gateway_id
        self.outbox = outbox
        self.devices = {d.device_id: d for d in devices}
        self.root = root
        self.clock = clock
        self.wall = wall
        self.session = outbox.next_session()
        self.seq = 0
        self.started = clock()
        self.topic_heartbeat = heartbeat_topic(gateway_id, root)

        self.window = PublishWindow(outbox, link.max_inflight)
        self.delivery = delivery or Delivery()
        self.ack_wait = AckWait(self.delivery.ack_timeout_s, self.delivery.ack_timeout_max_s)
        self.ack_topic = ack_topic(gateway_id, root)
        self.config = RemoteConfig(
            gateway_id=gateway_id, root=root, outbox=outbox, intervals=intervals,
            thresholds=thresholds, devices=self.devices,
        )
        subscriptions = [self.config.topic]
        if self.delivery.end_to_end:
            subscriptions.append(self.ack_topic)
        self.connection = Connection(
            gateway_id=gateway_id, link=link, state_topic=state_topic(gateway_id, root),
            state_payload=self._state_payload, wall=self.wall, subscriptions=subscriptions,
            on_drop=self._dropped, started=self.started,
        )
        self.stopping = False
        self.stopped = False
        self.stop_deadline = math.inf
        self.stop_mid: int | None = None
        self.stop_acked = False
        self.next_poll = self.started
        self.next_heartbeat = self.started
        self.observed: list[str] = []
        self.stored_count = 0
        # Rows deleted from the outbox: acknowledged by the server (or PUBACKed, with
        # delivery = "puback").
        self.acked_count = 0
        self.pubacked_count = 0
        self.acks_received = 0
        # Stop taking readings (SIGUSR1): what is in the outbox is still delivered.
        self.quiet = False
        self._to_delete: list[int] = []
        self._delivered: list[str] = []
        self._warned_no_ack = False
        self._bad_acks = 0
        self._observed_file: TextIO | None = (
            observed_log.open("a", encoding="utf-8") if observed_log else None
        )
        self._delivery_file: TextIO | None = (
            delivery_log.open("a", encoding="utf-8") if delivery_log else None
        )
        if self.config.restore():
            self._reschedule()

    # ---- reactor interface -----------------------------------------------------------

    def socket(self) -> Any:
        return self.connection.socket()

    def want_write(self) -> bool:
        return self.connection.want_write()

    def on_readable(self) -> None:
        self.connection.on_readable()

    def on_writable(self) -> None:
        self.connection.on_writable()

    @property
    def fatal(self) -> str | None:
        return self.connection.fatal

    @property
    def done(self) -> bool:
        return self.stopped or self.fatal is not None

    def deadline(self) -> float:
        if self.done:
            return math.inf
        if self.connection.has_callbacks or self._to_delete:
            return 0.0
        candidates = [self.connection.next_timer()]
        if not self.quiet:
            candidates += [self.next_poll, self.next_heartbeat]
        if self.stopping:
            candidates.append(self.stop_deadline)
        elif self.connection.connected:
            candidates.append(self.ack_wait.next_deadline())
        return min(candidates)

    def quiesce(self) -> None:
        """Take no more readings or heartbeats; keep delivering what the outbox holds."""
        self.quiet = True

    def tick(self, now: float) -> None:
        """Act on callbacks, connect if due, observe, store. Writes are left uncommitted."""
        self._drain_callbacks(now)
        if self._to_delete:
            acked, self._to_delete = self._to_delete, []
            self.outbox.delete(acked)
            self.acked_count += len(acked)
        if self.done:
            return
        if self.stopping:
            if self.stop_acked or now >= self.stop_deadline or not self.connection.connected:
                self._finish_stop()
            return
        self.connection.maintain(now)
        if self.connection.connected:
            self._resend_unacknowledged(now)
        if self.quiet:
            return
        if now >= self.next_poll:
            scheduled = self.next_poll
            # Phase-locked to the schedule, so processing lag does not stretch the period.
            self.next_poll = _next_slot(scheduled, self.config.intervals.poll_s, now)
            self.observe(now, scheduled)
        if now >= self.next_heartbeat:
            self.send_heartbeat(now)

    def after_commit(self) -> None:
        """Rows written in this iteration are durable now: log them, publish what fits."""
        if self.observed and self._observed_file is not None:
            self._observed_file.write("".join(f"{m}\n" for m in self.observed))
            self._observed_file.flush()
        self.observed.clear()
        if self._delivered and self._delivery_file is not None:
            self._delivery_file.write("".join(f"{m}\n" for m in self._delivered))
            self._delivery_file.flush()
        self._delivered.clear()
        self.pump()

    def begin_stop(self, now: float) -> None:
        if self.stopping or self.done:
            return
        self.stopping = True
        self.stop_deadline = now + STOP_TIMEOUT_S
        self.stop_mid = self.connection.publish_state(GatewayState.STOPPED)

    def close(self) -> None:
        self.connection.close()
        for handle in (self._observed_file, self._delivery_file):
            if handle is not None:
                handle.close()
        self._observed_file = self._delivery_file = None

    def _dropped(self) -> None:
        # What was in flight or waiting for an ack is replayed from disk on the next
        # connection.
        self.window.reset()
        self.ack_wait.pause()

    def _on_puback(self, mid: int, now: float) -> None:
        row = self.window.on_puback(mid)
        if row is None:
            if mid == self.stop_mid:
                self.stop_acked = True
            return
        self.pubacked_count += 1
        if self._delivery_file is not None:
            self._delivered.append(f"puback {row.msg_id}")
        if self.delivery.end_to_end:
            self.ack_wait.pubacked(row.id, now)
        else:
            self._to_delete.append(row.id)

    def _on_ack(self, payload: bytes) -> None:
        try:
            _, message = decode(self.ack_topic, payload, self.root)
        except ProtocolError as exc:
            self._bad_acks += 1
            if self._bad_acks & (self._bad_acks - 1) == 0:  # 1st, 2nd, 4th, ...
                log.warning("%s: ignoring a bad ack (%s, %d so far)", self.gateway_id, exc,
                            self._bad_acks)
            return
        assert isinstance(message, AckMessage)
        self.acks_received += 1
        gone: list[Row] = self.outbox.acknowledge(message.ranges)
        if not gone:
            return
        self.ack_wait.acknowledged([r.id for r in gone])
        self.acked_count += len(gone)
        if self._delivery_file is not None:
            self._delivered.extend(f"acked {r.msg_id}" for r in gone)

    def _resend_unacknowledged(self, now: float) -> None:
        due = self.ack_wait.due(now)
        if not due:
            return
        if not self.acks_received and not self._warned_no_ack:
            self._warned_no_ack = True
            log.warning(
                "%s: no ack from the server %.0fs after the broker's PUBACK; sending again "
                "and waiting longer each time. A server older than end-to-end acks, or a "
                "broker ACL without %s, never acks: see delivery in docs/agent.md",
                self.gateway_id, self.delivery.ack_timeout_s, self.ack_topic)
        self.window.resend(due)

    def _drain_callbacks(self, now: float) -> None:
        for item in self.connection.callbacks():
            kind = item[0]
            if kind == "puback":
                self._on_puback(item[2], now)
            elif kind == "connect":
                if self.connection.accept_connack(item[2], now):
                    self.window.restart()
                    log.info(
                        "%s: connected to %s:%s (session %d, backlog %d)",
                        self.gateway_id,
                        self.connection.link.broker.host,
                        self.connection.link.broker.port,
                        self.session,
                        self.outbox.depth,
                    )
            elif kind == "disconnect":
                self.connection.lost(item[2], now, reconnect=not self.stopping)
            elif kind == "message":
                if item[2] == self.ack_topic:
                    self._on_ack(item[3])
                else:
                    self._on_config(item[2], item[3], now)

    def _finish_stop(self) -> None:
        # A clean DISCONNECT, so the broker discards the will.
        self.connection.drop()
        self.stopped = True

    # ---- publishing ------------------------------------------------------------------

    def pump(self) -> None:
        client = self.connection.client
        if not self.connection.connected or client is None or self.stopping:
            return
        vanished = self.window.pump(client)
        if vanished:
            self.ack_wait.gone(vanished)

    def _store(self, kind: str, topic: str, payload: bytes, msg_id: str) -> None:
        session, seq = self.session, self.seq
        row_id = self.outbox.add(kind, topic, payload, session, seq)
        self.stored_count += 1
        self.observed.append(msg_id)
        if self.connection.connected:
            self.window.offer(Row(row_id, topic, payload, session, seq))

    def _envelope(self) -> dict[str, Any]:
        seq = self.seq + 1
        return {
            "v": 1,
            "msg_id": f"{self.session}-{seq}",
            "session": self.session,
            "seq": seq,
            "ts": self.wall(),
            "replay": False,
        }

    def emit_event(self, device_id: str, kind: EventKind, detail: str | None = None) -> None:
        env = self._envelope()
        payload = encode(Event(**env, kind=kind, detail=detail))
        self.seq += 1
        self._store(
            "event", event_topic(self.gateway_id, device_id, self.root), payload, env["msg_id"]
        )

    def emit_telemetry(self, device_id: str, readings: dict[str, Any]) -> None:
        env = self._envelope()
        fields = {k: v for k, v in readings.items() if k != POWER}
        try:
            model = Telemetry(**env, **fields)
        except ValidationError as exc:
            # A sensor out of range must not cost the other readings: drop the bad ones.
            bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
            log.warning("%s/%s: dropping invalid readings %s", self.gateway_id, device_id, bad)
            model = Telemetry(**env, **{k: v for k, v in fields.items() if k not in bad})
        payload = encode(model)
        self.seq += 1
        self._store(
            "telemetry",
            telemetry_topic(self.gateway_id, device_id, self.root),
            payload,
            env["msg_id"],
        )

    def send_heartbeat(self, now: float) -> None:
        due = self.next_heartbeat <= now
        heartbeat_s = self.config.intervals.heartbeat_s
        self.next_heartbeat = (
            _next_slot(self.next_heartbeat, heartbeat_s, now)
            if due
            else now + heartbeat_s  # an extra one (config change) restarts
        )
        env = self._envelope()
        payload = encode(
            Heartbeat(
                **env,
                uptime_s=round(now - self.started, 3),
                outbox_depth=self.outbox.depth,
                config_version=self.config.version,
                evicted=self.outbox.evicted_total,
                config_error=self.config.error,
            )
        )
        self.seq += 1
        self._store("heartbeat", self.topic_heartbeat, payload, env["msg_id"])

    def _state_payload(self, state: GatewayState, at: datetime | None = None) -> bytes:
        return encode(
            StateMessage(
                state=state, session=self.session, ts=at or self.wall(),
                agent_version=__version__,
            )
        )

    # ---- observing -------------------------------------------------------------------

    def observe(self, now: float, scheduled: float | None = None) -> None:
        slot = now if scheduled is None else scheduled
        thresholds = self.config.thresholds
        report_s = self.config.intervals.report_s
        for device in self.devices.values():
            current: dict[str, Any] = {}
            for driver in device.drivers:
                try:
                    current.update(driver.read(now))
                except Exception as exc:
                    device.read_errors += 1
                    if device.read_errors in (1, 10, 100) or device.read_errors % 1000 == 0:
                        log.warning(
                            "%s/%s: %s read failed (%s, %d so far)",
                            self.gateway_id,
                            device.device_id,
                            driver.name,
                            exc,
                            device.read_errors,
                        )
            if not current:
                continue
            events = derive_events(device.last, current)
            crossed = crossed_thresholds(device.last, current, thresholds)
            device.last.update(current)
            for kind in events:
                self.emit_event(device.device_id, kind)
            if events or crossed or slot >= device.next_report - 1e-6:
                device.next_report = slot + report_s
                self.emit_telemetry(device.device_id, device.last)

    # ---- config sync -----------------------------------------------------------------

    def _on_config(self, topic: str, payload: bytes, now: float) -> None:
        outcome = self.config.receive(topic, payload)
        if outcome is None:
            return
        if outcome:
            self._reschedule()
        self.send_heartbeat(now)  # applied or refused, the server hears it at once

    def _reschedule(self) -> None:
        """A new config is in force: observe now, and heartbeat within its interval."""
        self.next_poll = min(self.next_poll, self.clock())
        self.next_heartbeat = min(
            self.next_heartbeat, self.clock() + self.config.intervals.heartbeat_s
        )


__all__ = ["Device", "GatewayRuntime", "Intervals"]
