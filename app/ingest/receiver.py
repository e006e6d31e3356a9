"""The MQTT receiver process: paho's network loop on its own core.

Started by `ReceiverLink` (app/ingest/receiver_link.py) as `python -m app.ingest.receiver
FD`. paho's per-packet work costs about as much CPU as storing the message, so in one
process the network thread and the writer take turns on one GIL; in two processes they
run side by side. The contract does not change: this process only receives and relays,
and it sends a PUBACK only when the ingest process says the message is committed.

Frames to the ingest process: ("msgs", [(topic, payload, received_ts, size, mid, qos,
generation), ...]), ("state", connected, subscribed, counters) (sent only by paho's
thread, so states arrive in the order they happened), ("counts", counters) and
("stopped", counters). Frames from it: the ReceiverConfig first, then ("ack",
[(generation, mid, qos), ...]), ("publish", [(topic, payload), ...]) (gateway acks),
("intake_off",) and ("stop", timeout_s).
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from app.heap import settle_long_lived
from app.ingest.channel import Channel
from app.ingest.consumer import ConsumerSettings, MqttConsumer
from app.ingest.inbox import Inbox
from app.ingest.stats import IngestStats

log = logging.getLogger("aed.ingest.receiver")

# Relayed as deltas; `received` is counted by the ingest process itself. Acks are
# counted here because only this process knows which connection is current.
RELAYED_COUNTERS = ("acked", "ack_skipped", "reconnects", "backpressure_waits")
Item = tuple[str, bytes, float, int, int, int, int]
COUNTS_EVERY_S = 0.25


@dataclass(frozen=True)
class ReceiverConfig:
    settings: ConsumerSettings
    max_queue: int
    # Generations of this receiver's connections start above it, so a packet id from
    # an earlier receiver process is never mistaken for one of the current connection.
    generation_base: int
    parent_pid: int
    log_level: int = logging.INFO
    # How long a first message waits for company before it is relayed.
    flush_s: float = 0.002
    chunk: int = 1000


def _item(topic: str, payload: bytes, size: int, mid: int, qos: int, generation: int
          ) -> Item:
    return (topic, payload, time.time(), size, mid, qos, generation)


class Receiver:
    def __init__(self, cfg: ReceiverConfig, channel: Channel) -> None:
        self.cfg = cfg
        self.channel = channel
        self.stats = IngestStats()
        self.inbox: Inbox[Item] = Inbox(cfg.max_queue)
        self.consumer: MqttConsumer[Item] = MqttConsumer(
            cfg.settings, self.inbox, self.stats, make_item=_item,
            on_state=self._send_state, generation_base=cfg.generation_base,
        )
        self._sent: dict[str, int] = dict.fromkeys(RELAYED_COUNTERS, 0)
        self._counter_lock = threading.Lock()
        self._done = threading.Event()
        self._forwarder = threading.Thread(target=self._forward, name="receiver-forward",
                                           daemon=True)

    def _deltas(self) -> dict[str, int]:
        with self._counter_lock:
            out = {}
            for name in RELAYED_COUNTERS:
                now = self.stats.counts[name]
                if now != self._sent[name]:
                    out[name] = now - self._sent[name]
                    self._sent[name] = now
            return out

    def _send_state(self) -> None:
        c = self.consumer
        self.channel.send(("state", c.connected.is_set(), c.subscribed.is_set(),
                           self._deltas()))

    def _send_counts(self) -> None:
        deltas = self._deltas()
        if deltas:
            self.channel.send(("counts", deltas))

    def _forward(self) -> None:
        next_counters = time.monotonic() + COUNTS_EVERY_S
        try:
            while not self._done.is_set():
                batch = self.inbox.take(self.cfg.chunk, 0.2, self.cfg.flush_s)
                if batch:
                    self.channel.send(("msgs", batch))
                if time.monotonic() >= next_counters:
                    next_counters = time.monotonic() + COUNTS_EVERY_S
                    self._send_counts()
        except OSError:
            _parent_gone()

    def run(self) -> int:
        # Imports and set-up live as long as this process; each in-flight message is a
        # handful of objects, held until its ack, that young collections would rescan.
        settle_long_lived()
        self._forwarder.start()
        self.consumer.start()
        while True:
            try:
                frame = self.channel.recv()
            except (EOFError, OSError):
                _parent_gone()
            kind = frame[0]
            if kind == "ack":
                # Never send from this thread: it is what reads the acks. If it waited
                # for the ingest process to read, and that waited for room its writer
                # makes only after acking, both would wait forever.
                self.stats.incr("acked", self.consumer.ack_ids(frame[1]))
            elif kind == "publish":
                self.consumer.publish(frame[1])
            elif kind == "intake_off":
                self.consumer.stop_intake()
            elif kind == "stop":
                # Acks sent before "stop" were handled above, in order, so their PUBACKs
                # are queued ahead of the disconnect.
                self.consumer.stop_intake()
                self._done.set()
                self._forwarder.join(1.0)
                self.consumer.stop(float(frame[1]))
                self.channel.send(("stopped", self._deltas()))
                return 0
            else:
                log.error("unknown frame from the ingest process: %r", kind)


def _parent_gone() -> None:
    # Exit at once: whatever was not acknowledged stays with the broker, and the next
    # ingest process must not find this one still holding the client id.
    os._exit(3)


def _die_with_parent(parent_pid: int) -> None:
    """Linux sends us SIGKILL if the ingest process dies, even by kill -9."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the closed channel still ends us, a moment later
    if os.getppid() != parent_pid:
        _parent_gone()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    channel = Channel(socket.socket(fileno=int(args[0])))
    cfg: Any = channel.recv()
    if not isinstance(cfg, ReceiverConfig):
        raise SystemExit(f"expected a ReceiverConfig first, got {type(cfg).__name__}")
    _die_with_parent(cfg.parent_pid)
    logging.basicConfig(level=cfg.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # SIGTERM/SIGINT go to the whole process group; the ingest process decides when
    # this one stops (after its last acks), so ignore them here.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    return Receiver(cfg, channel).run()


if __name__ == "__main__":
    # Run the imported module, not this __main__ copy, so the ReceiverConfig class the
    # ingest process pickled is the one isinstance() checks against.
    from app.ingest import receiver

    raise SystemExit(receiver.main())
