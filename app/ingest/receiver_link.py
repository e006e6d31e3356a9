"""The ingest side of the MQTT receiver process (app/ingest/receiver.py).

`ReceiverLink` looks to the writer like `MqttConsumer` (start, ack, stop_intake, stop,
`connected`/`subscribed` events) but runs the MQTT client in a child process, so that
paho's network loop and the database writer each get a core instead of sharing one GIL.
It starts the child, relays received messages into the bounded inbox, sends acks
back after each commit, mirrors the connection state, and starts a new child if one
dies (its unacknowledged messages are redelivered by the broker and stored once).
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.devices import RawMessage
from app.ingest.channel import Channel
from app.ingest.consumer import ConsumerSettings, LinkEvents
from app.ingest.inbox import Inbox
from app.ingest.receiver import ReceiverConfig
from app.ingest.stats import IngestStats
from app.ingest.writer import Inbound

log = logging.getLogger("aed.ingest.mqtt")

GENERATION_STRIDE = 1 << 32
_ROOT = Path(__file__).resolve().parents[2]


@dataclass(eq=False)  # eq=False: a running link is equal to itself only
class ReceiverLink(LinkEvents):
    settings: ConsumerSettings
    inbox: Inbox[Inbound]
    stats: IngestStats
    max_queue: int

    def __post_init__(self) -> None:
        super().__init__()
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._channel: Channel | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        # Linux ties the child's death signal to the thread that started it, so one
        # long-lived thread starts every child and relays its frames.
        self._thread = threading.Thread(target=self._supervise, name="ingest-receiver-link",
                                        daemon=True)

    @property
    def pid(self) -> int | None:
        """The receiver process, for operators and benchmarks (None before start)."""
        proc = self._proc
        return proc.pid if proc is not None else None

    def start(self) -> None:
        self._thread.start()

    def stop_intake(self) -> None:
        self._send(("intake_off",))

    def stop(self, timeout: float = 5.0) -> None:
        self._closing.set()
        self._send(("stop", timeout))
        self._thread.join(timeout + 5.0)
        proc = self._proc
        if proc is not None and proc.poll() is None:
            log.warning("MQTT receiver did not stop in time; killing it")
            proc.kill()
            proc.wait(5.0)
        with self._lock:
            if self._channel is not None:
                self._channel.close()
        self._dropped()

    def ack(self, items: Sequence[Inbound]) -> int:
        """Ask the receiver to PUBACK committed messages. It alone knows which connection
        is current, so it applies the generation rule (`MqttConsumer.ack_ids`) and
        counts `acked` / `ack_skipped`, relayed to our stats; this returns 0."""
        ids = [(i.generation, i.mid, i.qos) for i in items if i.qos]
        if ids:
            self._send(("ack", ids))
        return 0

    def publish(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """Have the receiver publish these (QoS 1): gateway acks, after a commit."""
        if messages:
            self._send(("publish", list(messages)))

    def _send(self, frame: tuple[object, ...]) -> bool:
        with self._lock:
            channel = self._channel
        if channel is None:
            return False
        try:
            channel.send(frame)
            return True
        except OSError:
            return False  # the receiver died; the supervisor starts another

    # -- the supervisor thread -------------------------------------------------------------

    def _spawn(self, generation_base: int) -> tuple[subprocess.Popen[bytes], Channel]:
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(_ROOT), env.get("PYTHONPATH", "")) if p)
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "app.ingest.receiver", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), env=env, cwd=_ROOT,
            )
        finally:
            theirs.close()
        channel = Channel(ours)
        channel.send(ReceiverConfig(
            settings=self.settings, max_queue=self.max_queue,
            generation_base=generation_base, parent_pid=os.getpid(),
            log_level=logging.getLogger().getEffectiveLevel(),
        ))
        return proc, channel

    def _supervise(self) -> None:
        incarnation = 0
        while not self._closing.is_set():
            incarnation += 1
            try:
                proc, channel = self._spawn(incarnation * GENERATION_STRIDE)
            except OSError as exc:
                log.error("cannot start the MQTT receiver process: %s", exc)
                self._closing.wait(min(30.0, 2.0 ** min(incarnation, 5)))
                continue
            with self._lock:
                self._proc, self._channel = proc, channel
            log.info("MQTT receiver process %d started", proc.pid)
            if self._closing.is_set():  # stop() came while it was starting
                self._send(("stop", 5.0))
            clean = self._relay(channel)
            with self._lock:
                self._channel = None
            channel.close()
            self._dropped()
            self.stats.connected = False
            if clean:
                proc.wait(10.0)
                return
            code = proc.wait(10.0)
            if self._closing.is_set():
                return
            self.stats.incr("receiver_restarts")
            log.error("MQTT receiver process %d exited (status %s); starting another; its "
                      "unacknowledged messages come back from the broker", proc.pid, code)
            self._closing.wait(min(10.0, 0.5 * self.stats.counts["receiver_restarts"]))

    def _relay(self, channel: Channel) -> bool:
        """Frames from one receiver until it stops (True) or dies (False)."""
        inbox, counts, stats = self.inbox, self.stats.counts, self.stats
        from_ts = datetime.fromtimestamp
        while True:
            try:
                frame = channel.recv()
            except (EOFError, OSError):
                return False
            kind = frame[0]
            if kind == "msgs":
                items = frame[1]
                counts["received"] += len(items)
                for topic, payload, ts, size, mid, qos, generation in items:
                    item = Inbound(RawMessage(topic, payload, from_ts(ts, UTC), size),
                                   mid, qos, generation)
                    if not inbox.offer(item):
                        stats.incr("backpressure_waits")
                        # Not reading the channel stalls the receiver, which stops
                        # reading the broker: memory stays bounded.
                        while not self._closing.is_set() and not inbox.put(item, 0.5):
                            continue
            elif kind == "state":
                _, connected, subscribed, deltas = frame
                (self.connected.set if connected else self.connected.clear)()
                stats.connected = subscribed
                (self.subscribed.set if subscribed else self.subscribed.clear)()
                for name, n in deltas.items():
                    stats.incr(name, n)
            elif kind == "counts":
                for name, n in frame[1].items():
                    stats.incr(name, n)
            elif kind == "stopped":
                for name, n in frame[1].items():
                    stats.incr(name, n)
                return True
