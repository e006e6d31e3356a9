"""One ingest worker: consumer + bounded queue + writer + heartbeat row + summary log."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event

from app.aeds.refresh import AedContext
from app.alerts.policy import AlertPolicy
from app.config import Settings
from app.db import Database
from app.devices import BatchOutcome, FactsConfig
from app.ingest.acks import AckCoalescer, AckPublisher
from app.ingest.consumer import ConsumerSettings, MqttConsumer
from app.ingest.inbox import Inbox
from app.ingest.receiver_link import ReceiverLink
from app.ingest.stats import IngestStats
from app.ingest.writer import BatchWriter, Inbound
from app.models import IngestWorker, utcnow
from app.notify.now import Notifier

log = logging.getLogger("aed.ingest")


@dataclass(frozen=True)
class IngestOptions:
    client_id: str = "aed-ingest-1"
    shared: bool = True
    batch_size: int = 1000
    batch_ms: float = 50.0
    # Upper bound of the in-memory queue; normally the broker's in-flight window
    # (2000 in config/mosquitto.conf) keeps it far below this.
    max_queue: int = 5000
    heartbeat_s: float = 5.0
    summary_s: float = 30.0
    protocol: int = 4
    # MQTT 5 only: how many unacknowledged messages the broker may send us.
    receive_maximum: int = 2000
    max_clock_skew_s: float = 300.0
    drain_timeout_s: float = 10.0
    # "process": the MQTT client runs in a child process, so receiving and writing each
    # get a core; "thread": both in this process (one GIL; fewer processes to watch).
    receiver: str = "process"
    # End-to-end acks to gateways (docs/protocol.md), at most one message per gateway
    # per interval.
    gateway_acks: bool = True
    gateway_ack_interval_s: float = 1.0


def _driver_autocommit(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None


def _begin_immediate(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def writer_database(url: str) -> Database:
    """For SQLite, transactions start with BEGIN IMMEDIATE: a writer takes the write lock
    up front and waits on busy_timeout, instead of failing when a read-then-write
    transaction finds another writer got there first."""
    db = Database(url)
    if db.is_sqlite:
        event.listen(db.engine, "connect", _driver_autocommit)
        event.listen(db.engine, "begin", _begin_immediate)
    return db


class IngestService:
    def __init__(
        self,
        settings: Settings,
        options: IngestOptions,
        on_commit: Callable[[Sequence[Inbound], float], None] | None = None,
        alerts: AlertPolicy | None = None,
        mqtt_url: str | None = None,
    ) -> None:
        self.settings = settings
        self.options = options
        self.stats = IngestStats()
        self.db = writer_database(settings.database_url)
        self.inbox: Inbox[Inbound] = Inbox(options.max_queue)
        consumer_settings = ConsumerSettings.from_url(
            mqtt_url or settings.mqtt_url, options.client_id,
            topic_root=settings.mqtt_topic_root, shared=options.shared,
            protocol=options.protocol, receive_maximum=options.receive_maximum,
        )
        self.consumer: MqttConsumer[Inbound] | ReceiverLink
        if options.receiver == "process":
            self.consumer = ReceiverLink(consumer_settings, self.inbox, self.stats,
                                         options.max_queue)
        elif options.receiver == "thread":
            self.consumer = MqttConsumer(consumer_settings, self.inbox, self.stats)
        else:
            raise ValueError(f"receiver must be 'process' or 'thread', not {options.receiver!r}")
        policy = alerts or AlertPolicy()
        # Urgent alerts leave from here, seconds after their commit; a plain database
        # (not the writer's BEGIN IMMEDIATE one): the notifier must not take the lock.
        self.notify_db = Database(settings.database_url)
        self.notifier = Notifier(self.notify_db, settings, policy)
        self.acks = (
            AckPublisher(AckCoalescer(settings.mqtt_topic_root, options.gateway_ack_interval_s),
                         self.consumer.publish)
            if options.gateway_acks else None
        )
        self.writer = BatchWriter(
            self.db, self.inbox, self.consumer, self.stats,
            FactsConfig(
                aeds=AedContext.of(settings, policy),
                topic_root=settings.mqtt_topic_root,
                max_clock_skew=timedelta(seconds=options.max_clock_skew_s),
            ),
            batch_size=options.batch_size, batch_ms=options.batch_ms, on_commit=on_commit,
            periodic=self._periodic, on_alerts=self._tell, acks=self.acks,
        )
        self.started_at = utcnow()
        self._next_heartbeat = 0.0
        self._reported_connected = False
        self._next_summary = time.monotonic() + options.summary_s
        self._last_summary: tuple[float, dict[str, int]] = (time.monotonic(), {})
        self._stopped = threading.Event()

    def start(self) -> None:
        log.info("ingest %s starting: batch %d / %.0f ms, %s subscription, receiver in a %s",
                 self.options.client_id, self.options.batch_size, self.options.batch_ms,
                 "shared" if self.options.shared else "plain", self.options.receiver)
        self.notifier.start()
        self.writer.start()
        self.consumer.start()

    def stop(self) -> None:
        """Finish what was received, ack it, write a last heartbeat, disconnect."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self.consumer.stop_intake()
        drained = self.writer.stop(self.options.drain_timeout_s)
        if not drained:
            log.warning("stopping with %d messages unacknowledged; the broker redelivers them",
                        self.inbox.qsize())
        self.consumer.stop()
        self.stats.connected = False
        self.save_heartbeat()
        log.info(self.stats.summary_line({}, 0.0))
        self.notifier.stop()
        self.notify_db.dispose()
        self.db.dispose()

    def _tell(self, outcome: BatchOutcome) -> None:
        """Called by the writer after a commit: urgent alerts and resolutions go out now
        (everything else waits for the scheduler's notify job)."""
        if outcome.urgent_opened or outcome.alerts_resolved:
            self.notifier.wake()

    @property
    def healthy(self) -> bool:
        return self.writer.alive

    def wait(self, stop: threading.Event) -> int:
        """Block until `stop` is set or the writer dies; returns an exit status."""
        while not stop.wait(0.5):
            if not self.writer.alive:
                log.error("ingest writer died: %r", self.writer.failed)
                self.stop()
                return 1
        self.stop()
        return 0

    # -- periodic duties, run in the writer thread between batches ------------------------

    def _periodic(self) -> None:
        now = time.monotonic()
        # A change of connection shows in /healthz at once, not a heartbeat later.
        if now >= self._next_heartbeat or self.stats.connected != self._reported_connected:
            self._next_heartbeat = now + self.options.heartbeat_s
            self.save_heartbeat()
        if now >= self._next_summary:
            self._next_summary = now + self.options.summary_s
            then, previous = self._last_summary
            log.info(self.stats.summary_line(previous, now - then))
            self._last_summary = (now, dict(self.stats.counts))

    def save_heartbeat(self, now: datetime | None = None) -> bool:
        self.stats.queue_depth = self.inbox.qsize()
        self._reported_connected = connected = self.stats.connected
        snap = self.stats.snapshot()
        try:
            with self.db.session() as session:
                session.merge(IngestWorker(
                    client_id=self.options.client_id, hostname=socket.gethostname()[:200],
                    pid=os.getpid(), started_at=self.started_at,
                    heartbeat_at=now or utcnow(), connected=connected,
                    queue_depth=self.stats.queue_depth, counters=snap["counters"],
                    histograms=snap["histograms"],
                ))
            return True
        except Exception as exc:  # a heartbeat must never stop ingest
            log.warning("could not write the ingest heartbeat: %s", exc.__class__.__name__)
            return False
