"""One gateway's runtime: drivers -> outbox -> MQTT, driven by a Reactor (no threads).

Everything happens on the reactor's thread. paho callbacks only record what happened;
`tick()` acts on it, so no callback can raise into paho's loop or block it, and the
SQLite connection is used by one thread only.

Ordering per reactor iteration: IO -> tick (observe, store, ack-deletes) -> commit ->
after_commit (publish). A message is published only after its row is committed.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import paho.mqtt.client as mqtt
from pydantic import ValidationError

from device_agent import __version__
from device_agent.backoff import Backoff
from device_agent.drivers.base import POWER, Driver
from device_agent.events import crossed_thresholds, derive_events
from device_agent.link import LinkSettings, is_auth_failure, new_client, safe_callback
from device_agent.outbox import Outbox, Row
from device_agent.protocol import (
    ConfigMessage,
    Event,
    EventKind,
    GatewayState,
    Heartbeat,
    ProtocolError,
    Reason,
    StateMessage,
    Telemetry,
    Thresholds,
    config_topic,
    decode,
    encode,
    event_topic,
    heartbeat_topic,
    state_topic,
    telemetry_topic,
    utc_now,
)

log = logging.getLogger("device_agent.gateway")

MISC_INTERVAL_S = 1.0  # paho keepalive bookkeeping
STOP_TIMEOUT_S = 5.0
MAX_PENDING_IN_MEMORY = 2000
BACKLOG_CHUNK = 500


@dataclass
class Device:
    device_id: str
    drivers: list[Driver]
    last: dict[str, Any] = field(default_factory=dict)
    next_report: float = 0.0
    read_errors: int = 0


@dataclass
class Intervals:
    poll_s: float
    report_s: float
    heartbeat_s: float


def _next_slot(previous: float, period: float, now: float) -> float:
    nxt = previous + period
    return nxt if nxt > now else now + period  # far behind (suspended): do not burst


def _replayed(payload: bytes) -> bytes:
    # Our encoder writes compact JSON; inside a JSON string a quote is escaped, so this
    # byte sequence can only be the envelope key itself.
    return payload.replace(b'"replay":false', b'"replay":true', 1)


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
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = utc_now,
    ) -> None:
        self.gateway_id = gateway_id
        self.outbox = outbox
        self.devices = {d.device_id: d for d in devices}
        self.link = link
        self.defaults = intervals
        self.intervals = Intervals(intervals.poll_s, intervals.report_s, intervals.heartbeat_s)
        self.default_thresholds = thresholds
        self.thresholds = thresholds
        self.root = root
        self.clock = clock
        self.wall = wall
        self.backoff = Backoff(link.reconnect_min_s, link.reconnect_max_s)
        self.session = outbox.next_session()
        self.seq = 0
        self.started = clock()
        self.topic_state = state_topic(gateway_id, root)
        self.topic_config = config_topic(gateway_id, root)
        self.topic_heartbeat = heartbeat_topic(gateway_id, root)

        self.client: mqtt.Client | None = None
        self.generation = 0
        self.connected = False
        self.next_connect_at = self.started
        self.inflight: dict[int, int] = {}
        self.pending: deque[Row] = deque()
        self.db_cursor: int | None = None
        self.backlog_mark = 0
        self.last_published_id = 0
        self.acked: list[int] = []
        self.callbacks: deque[tuple[Any, ...]] = deque()
        self.fatal: str | None = None
        self.stopping = False
        self.stopped = False
        self.stop_deadline = math.inf
        self.stop_mid: int | None = None
        self.stop_acked = False
        self.next_misc = self.started
        self.connack_deadline = math.inf
        self.next_poll = self.started
        self.next_heartbeat = self.started
        self.config_version = 0
        self.config_error: str | None = None
        self.observed: list[str] = []
        self.stored_count = 0
        self.acked_count = 0
        self._observed_file: TextIO | None = (
            observed_log.open("a", encoding="utf-8") if observed_log else None
        )
        self._load_applied_config()

    # ---- paho callbacks: record only -------------------------------------------------

    @safe_callback
    def _on_connect(self, client: Any, gen: int, flags: Any, rc: Any, props: Any) -> None:
        self.callbacks.append(("connect", gen, rc))

    @safe_callback
    def _on_disconnect(self, client: Any, gen: int, flags: Any, rc: Any, props: Any) -> None:
        self.callbacks.append(("disconnect", gen, rc))

    @safe_callback
    def _on_publish(self, client: Any, gen: int, mid: int, rc: Any, props: Any) -> None:
        self.callbacks.append(("puback", gen, mid))

    @safe_callback
    def _on_message(self, client: Any, gen: int, msg: mqtt.MQTTMessage) -> None:
        self.callbacks.append(("message", gen, msg.topic, bytes(msg.payload)))

    # ---- reactor interface -----------------------------------------------------------

    def socket(self) -> Any:
        return self.client.socket() if self.client is not None else None

    def want_write(self) -> bool:
        return self.client is not None and self.client.want_write()

    def on_readable(self) -> None:
        if self.client is not None:
            self.client.loop_read(64)

    def on_writable(self) -> None:
        if self.client is not None:
            self.client.loop_write()

    @property
    def done(self) -> bool:
        return self.stopped or self.fatal is not None

    def deadline(self) -> float:
        if self.done:
            return math.inf
        if self.callbacks or self.acked:
            return 0.0
        candidates = [self.next_poll, self.next_heartbeat]
        if self.client is None:
            candidates.append(self.next_connect_at)
        else:
            candidates.append(self.next_misc)
        if self.stopping:
            candidates.append(self.stop_deadline)
        return min(candidates)

    def tick(self, now: float) -> None:
        """Act on callbacks, connect if due, observe, store. Writes are left uncommitted."""
        self._drain_callbacks(now)
        if self.acked:
            self.outbox.delete(self.acked)
            self.acked_count += len(self.acked)
            self.acked = []
        if self.done:
            return
        if self.stopping:
            if self.stop_acked or now >= self.stop_deadline or not self.connected:
                self._finish_stop()
            return
        if self.client is None and now >= self.next_connect_at:
            self._connect(now)
        elif self.client is not None and not self.connected and now >= self.connack_deadline:
            # TCP accepted but no CONNACK: a hung broker or a middlebox; start over.
            log.warning("%s: no CONNACK in time; reconnecting", self.gateway_id)
            self._drop_client()
            self.next_connect_at = now + self.backoff.next_delay()
        elif self.client is not None and now >= self.next_misc:
            self.next_misc = now + MISC_INTERVAL_S
            self.client.loop_misc()
        if now >= self.next_poll:
            scheduled = self.next_poll
            # Phase-locked to the schedule, so processing lag does not stretch the period.
            self.next_poll = _next_slot(scheduled, self.intervals.poll_s, now)
            self.observe(now, scheduled)
        if now >= self.next_heartbeat:
            self.send_heartbeat(now)

    def after_commit(self) -> None:
        """Rows written in this iteration are durable now: log them, publish what fits."""
        if self.observed and self._observed_file is not None:
            self._observed_file.write("".join(f"{m}\n" for m in self.observed))
            self._observed_file.flush()
        self.observed.clear()
        self.pump()

    def begin_stop(self, now: float) -> None:
        if self.stopping or self.done:
            return
        self.stopping = True
        self.stop_deadline = now + STOP_TIMEOUT_S
        if self.connected and self.client is not None:
            info = self.client.publish(
                self.topic_state, self._state_payload(GatewayState.STOPPED), qos=1, retain=True
            )
            self.stop_mid = info.mid

    def close(self) -> None:
        if self.client is not None:
            self._drop_client()
        if self._observed_file is not None:
            self._observed_file.close()
            self._observed_file = None

    # ---- connection ------------------------------------------------------------------

    def _connect(self, now: float) -> None:
        self.generation += 1
        client = new_client(self.link, self.generation)
        client.will_set(
            self.topic_state, self._state_payload(GatewayState.OFFLINE), qos=1, retain=True
        )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        try:
            client.connect(self.link.host, self.link.port, self.link.keepalive_s)
        except (OSError, ValueError) as exc:
            delay = self.backoff.next_delay()
            # Long outages would flood the log: say it at the 1st, 2nd, 4th, 8th... try.
            attempts = self.backoff.attempts
            level = logging.WARNING if attempts & (attempts - 1) == 0 else logging.DEBUG
            log.log(
                level,
                "%s: cannot reach broker %s:%s (%s, attempt %d); retry in %.1fs",
                self.gateway_id,
                self.link.host,
                self.link.port,
                exc,
                attempts,
                delay,
            )
            self.next_connect_at = now + delay
            return
        self.client = client
        self.next_misc = now + MISC_INTERVAL_S
        self.connack_deadline = now + self.link.connect_timeout_s

    def _drop_client(self) -> None:
        client, self.client = self.client, None
        self.generation += 1  # whatever this client still reports is stale
        self.connected = False
        self.inflight.clear()
        self.pending.clear()
        self.db_cursor = None
        if client is not None:
            with contextlib.suppress(Exception):  # the socket may be gone already
                client.disconnect()
            sock = client.socket()
            if sock is not None:
                sock.close()

    def _drain_callbacks(self, now: float) -> None:
        while self.callbacks:
            item = self.callbacks.popleft()
            if item[1] != self.generation:
                continue  # from a client we already dropped
            kind = item[0]
            if kind == "puback":
                row_id = self.inflight.pop(item[2], None)
                if row_id is not None:
                    self.acked.append(row_id)
                elif item[2] == self.stop_mid:
                    self.stop_acked = True
            elif kind == "connect":
                self._handle_connack(item[2], now)
            elif kind == "disconnect":
                self._handle_disconnect(item[2], now)
            elif kind == "message":
                self._handle_message(item[2], item[3], now)

    def _handle_connack(self, rc: Any, now: float) -> None:
        if rc.is_failure:
            if is_auth_failure(rc):
                self.fatal = f"broker refused credentials ({rc}); not retrying"
                log.error("%s: %s", self.gateway_id, self.fatal)
                self._drop_client()
                return
            delay = self.backoff.next_delay()
            log.warning("%s: connection refused (%s); retry in %.1fs", self.gateway_id, rc, delay)
            self._drop_client()
            self.next_connect_at = now + delay
            return
        assert self.client is not None
        self.connected = True
        self.backoff.reset()
        self.client.publish(
            self.topic_state, self._state_payload(GatewayState.ONLINE), qos=1, retain=True
        )
        self.client.subscribe(self.topic_config, qos=1)
        # Everything stored before this moment waited through an outage: replay it.
        self.backlog_mark = self.outbox.max_id()
        self.db_cursor = 0
        self.pending.clear()
        self.inflight.clear()
        log.info(
            "%s: connected to %s:%s (session %d, backlog %d)",
            self.gateway_id,
            self.link.host,
            self.link.port,
            self.session,
            self.outbox.depth,
        )

    def _handle_disconnect(self, rc: Any, now: float) -> None:
        was_connected = self.connected
        self._drop_client()
        if self.stopping:
            return
        delay = self.backoff.next_delay()
        self.next_connect_at = now + delay
        if was_connected:
            log.warning("%s: connection lost (%s); retry in %.1fs", self.gateway_id, rc, delay)

    # ---- publishing ------------------------------------------------------------------

    def pump(self) -> None:
        client = self.client
        if not self.connected or client is None or self.stopping:
            return
        room = self.link.max_inflight - len(self.inflight)
        while room > 0:
            if self.db_cursor is not None:
                want = min(room, BACKLOG_CHUNK)
                rows = self.outbox.rows_after(self.db_cursor, want)
                # A short read means caught up: rows stored from now on queue in memory.
                self.db_cursor = rows[-1].id if len(rows) == want else None
            elif self.pending:
                rows = [self.pending.popleft()]
            else:
                return
            for row in rows:
                payload = row.payload if row.id > self.backlog_mark else _replayed(row.payload)
                info = client.publish(row.topic, payload, qos=1)
                if info.rc != mqtt.MQTT_ERR_SUCCESS:
                    return  # connection is going; the outbox still holds the row
                self.inflight[info.mid] = row.id
                self.last_published_id = row.id
                room -= 1
            if not rows:
                return

    def _store(self, kind: str, topic: str, payload: bytes, msg_id: str) -> None:
        row_id = self.outbox.add(kind, topic, payload)
        self.stored_count += 1
        self.observed.append(msg_id)
        if self.connected and self.db_cursor is None:
            if len(self.pending) >= MAX_PENDING_IN_MEMORY:
                # Broker slower than we observe: fall back to reading from disk.
                self.pending.clear()
                self.db_cursor = self.last_published_id
            else:
                self.pending.append(Row(row_id, topic, payload))

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
        self.next_heartbeat = (
            _next_slot(self.next_heartbeat, self.intervals.heartbeat_s, now)
            if due
            else now + self.intervals.heartbeat_s  # an extra one (config change) restarts
        )
        env = self._envelope()
        payload = encode(
            Heartbeat(
                **env,
                uptime_s=round(now - self.started, 3),
                outbox_depth=self.outbox.depth,
                config_version=self.config_version,
                evicted=self.outbox.evicted_total,
                config_error=self.config_error,
            )
        )
        self.seq += 1
        self._store("heartbeat", self.topic_heartbeat, payload, env["msg_id"])

    def _state_payload(self, state: GatewayState) -> bytes:
        return encode(
            StateMessage(
                state=state, session=self.session, ts=self.wall(), agent_version=__version__
            )
        )

    def _finish_stop(self) -> None:
        # _drop_client sends a clean DISCONNECT, so the broker discards the will.
        self._drop_client()
        self.stopped = True

    # ---- observing -------------------------------------------------------------------

    def observe(self, now: float, scheduled: float | None = None) -> None:
        slot = now if scheduled is None else scheduled
        t = self.thresholds
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
            crossed = crossed_thresholds(
                device.last, current, t.temp_min_c, t.temp_max_c, t.battery_low_pct
            )
            device.last.update(current)
            for kind in events:
                self.emit_event(device.device_id, kind)
            if events or crossed or slot >= device.next_report - 1e-6:
                device.next_report = slot + self.intervals.report_s
                self.emit_telemetry(device.device_id, device.last)

    # ---- config sync -----------------------------------------------------------------

    def _handle_message(self, topic: str, payload: bytes, now: float) -> None:
        if topic != self.topic_config or not payload:
            return  # an empty retained payload only clears the topic
        try:
            _, message = decode(topic, payload, self.root)
            assert isinstance(message, ConfigMessage)
            if message.config_version == self.config_version:
                return  # the retained copy, redelivered at each connect
            self._check_config(message)
        except ProtocolError as exc:
            self.config_error = f"{exc.reason.value}: {exc.message}"[:1024]
            log.error(
                "%s: refused config (%s); keeping version %d",
                self.gateway_id,
                self.config_error,
                self.config_version,
            )
            self.send_heartbeat(now)
            return
        self._apply_config(message)
        self.outbox.set_meta("config", payload.decode())
        self.config_error = None
        log.info("%s: applied config version %d", self.gateway_id, self.config_version)
        self.send_heartbeat(now)

    def _check_config(self, message: ConfigMessage) -> None:
        unknown = sorted(set(message.devices) - set(self.devices))
        if unknown:
            raise ProtocolError(
                Reason.INVALID_VALUE,
                f"config names devices not on this gateway: {', '.join(unknown)}",
                field="devices",
            )

    def _apply_config(self, message: ConfigMessage) -> None:
        self.config_version = message.config_version
        self.intervals.report_s = message.report_interval_s or self.defaults.report_s
        self.intervals.heartbeat_s = message.heartbeat_interval_s or self.defaults.heartbeat_s
        self.thresholds = message.thresholds or self.default_thresholds
        for device_id, settings in message.devices.items():
            device = self.devices[device_id]
            for driver in device.drivers:
                driver.apply_settings(settings)
            device.next_report = 0.0  # report the new facts now
        self.next_poll = min(self.next_poll, self.clock())
        self.next_heartbeat = min(self.next_heartbeat, self.clock() + self.intervals.heartbeat_s)

    def _load_applied_config(self) -> None:
        stored = self.outbox.get_meta("config")
        if not stored:
            return
        try:
            _, message = decode(self.topic_config, stored.encode(), self.root)
            assert isinstance(message, ConfigMessage)
            self._check_config(message)
        except ProtocolError as exc:
            log.warning("%s: stored config no longer valid (%s)", self.gateway_id, exc)
            return
        self._apply_config(message)
