"""The batching writer: one thread, one transaction per batch, acks only after commit.

After each commit the broker gets its PUBACKs and the gateways their end-to-end acks
(app/ingest/acks.py), in that order; neither leaves before the commit.

A batch closes when it holds `batch_size` messages or `batch_ms` after its first one.
A database that is down (PostgreSQL restarting, SQLite locked) is waited out with
backoff while the batch stays unacknowledged, so the broker keeps every message; a
batch that fails for any other reason is retried message by message and a message that
still cannot be stored is dead-lettered with the error, never dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError

from app.db import Database
from app.devices import (
    BatchOutcome,
    FactsConfig,
    PreparedBatch,
    RawMessage,
    apply_batch,
    dead_letter_row,
    prepare_batch,
    store_dead_letters,
)
from app.heap import cycle_collection_paused
from app.ingest.acks import AckPublisher
from app.ingest.inbox import Inbox
from app.ingest.stats import IngestStats
from app.models import utcnow

log = logging.getLogger("aed.ingest.writer")


@dataclass(frozen=True, slots=True)
class Inbound:
    """A received message with what is needed to acknowledge it later."""

    raw: RawMessage
    mid: int
    qos: int
    # Which broker connection delivered it: a packet id is only valid on its connection.
    generation: int


class Acker(Protocol):
    def ack(self, items: Sequence[Inbound]) -> int: ...


def is_transient(exc: BaseException) -> bool:
    """Errors that waiting can cure: connection lost, server restarting, database locked."""
    if isinstance(exc, OperationalError | InterfaceError | DisconnectionError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class BatchWriter:
    def __init__(
        self,
        database: Database,
        inbox: Inbox[Inbound],
        acker: Acker,
        stats: IngestStats,
        cfg: FactsConfig,
        batch_size: int = 500,
        batch_ms: float = 50.0,
        retry_max_s: float = 15.0,
        clock: Callable[[], datetime] = utcnow,
        on_commit: Callable[[Sequence[Inbound], float], None] | None = None,
        periodic: Callable[[], None] | None = None,
        on_alerts: Callable[[BatchOutcome], None] | None = None,
        acks: AckPublisher | None = None,
    ) -> None:
        self.db = database
        self.inbox = inbox
        self.acker = acker
        self.stats = stats
        self.cfg = cfg
        self.batch_size = max(1, batch_size)
        self.batch_s = max(0.0, batch_ms) / 1000.0
        self.retry_max_s = retry_max_s
        self.clock = clock
        self.on_commit = on_commit
        self.periodic = periodic
        # Told after a commit that opened or resolved alerts (wakes the notifier).
        self.on_alerts = on_alerts
        self.acks = acks
        self._stop = threading.Event()
        self._abort = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ingest-writer", daemon=True)
        self.failed: BaseException | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self, drain_timeout: float = 10.0) -> bool:
        """Commit and ack what is queued (up to `drain_timeout`), then end the thread.

        Whatever is left unacknowledged stays with the broker for the next start.
        Returns True when the queue was drained.
        """
        self._stop.set()
        self._thread.join(drain_timeout)
        drained = not self._thread.is_alive()
        self._abort.set()
        self._thread.join(5.0)
        return drained

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # -- the loop ------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not (self._stop.is_set() and self.inbox.empty()) and not self._abort.is_set():
                batch = self._collect()
                self.stats.queue_depth = self.inbox.qsize()
                if batch:
                    self._process(batch)
                if self.acks is not None:
                    # Acks held back by the per-gateway interval leave once it is over.
                    self.stats.incr("gateway_acks", self.acks.flush())
                if self.periodic is not None:
                    self.periodic()
        except BaseException as exc:  # the process supervisor restarts us; say why
            self.failed = exc
            log.exception("ingest writer stopped by an unexpected error")
            raise

    def _collect(self) -> list[Inbound]:
        return self.inbox.take(self.batch_size, 0.2, self.batch_s)

    def _process(self, batch: list[Inbound]) -> None:
        # A batch makes some 30 objects a message that reference counting frees: young
        # collections while it runs would rescan the whole batch dozens of times.
        with cycle_collection_paused():
            self._process_batch(batch)

    def _process_batch(self, batch: list[Inbound]) -> None:
        started = time.monotonic()
        raws = [item.raw for item in batch]
        prepared = self._prepare(raws)
        outcome = self._commit(raws, prepared)
        if outcome is None:
            return  # stopping while the database is down: the broker keeps them
        committed = time.monotonic()
        self.stats.record_batch(outcome, len(batch), committed - started)
        self.stats.incr("acked", self.acker.ack(batch))
        if self.acks is not None:
            self.stats.incr("gateway_acks", self.acks.committed(prepared, raws))
        wall = time.time()
        delay = self.stats.ingest_delay_seconds
        for item in batch:
            delay.observe(max(0.0, wall - item.raw.received_at.timestamp()))
        if self.on_commit is not None:
            self.on_commit(batch, wall)
        if self.on_alerts is not None and (outcome.alerts_opened or outcome.alerts_resolved):
            self.on_alerts(outcome)

    def _prepare(self, raws: list[RawMessage]) -> PreparedBatch | None:
        # Decoding needs no database: done before the transaction, it does not lengthen
        # the time this worker holds SQLite's write lock (or row locks) that other
        # workers wait for.
        try:
            return prepare_batch(raws, self.cfg.topic_root)
        except Exception:  # a bug in decoding: let the transaction path isolate it
            log.exception("preparing a batch of %d failed", len(raws))
            return None

    def _commit(self, raws: list[RawMessage], prepared: PreparedBatch | None
                ) -> BatchOutcome | None:
        attempt = 0
        while True:
            try:
                return self._apply(raws, prepared)
            except Exception as exc:
                if is_transient(exc):
                    if not self._wait_out(exc, len(raws), attempt):
                        return None
                    attempt += 1
                    continue
                # Two writers racing to create the same row surface as an IntegrityError
                # once; a second attempt sees the other's commit.
                if attempt == 0:
                    attempt += 1
                    log.warning("batch failed (%s); retrying once", exc.__class__.__name__)
                    continue
                log.exception("batch of %d failed twice; storing one by one", len(raws))
                return self._isolate(raws)

    def _apply(self, raws: list[RawMessage], prepared: PreparedBatch | None = None
               ) -> BatchOutcome:
        with self.db.session() as session:
            if prepared is None:
                return apply_batch(session, raws, self.clock(), self.cfg)
            return apply_batch(session, raws, self.clock(), self.cfg, prepared)

    def _wait_out(self, exc: BaseException, held: int, attempt: int) -> bool:
        self.stats.incr("db_errors")
        delay = min(self.retry_max_s, 0.25 * (2 ** min(attempt, 10)))
        log.warning(
            "database unavailable (%s: %s); %d messages held unacknowledged, retry in %.1fs",
            exc.__class__.__name__, str(exc).splitlines()[0][:200] if str(exc) else "", held,
            delay,
        )
        self.db.engine.dispose()  # drop pooled connections to the server that went away
        return not self._abort.wait(delay)

    def _isolate(self, raws: list[RawMessage]) -> BatchOutcome | None:
        total = BatchOutcome()
        for raw in raws:
            attempt = 0
            while True:
                try:
                    one = self._apply([raw])
                    break
                except Exception as exc:
                    if is_transient(exc):
                        if not self._wait_out(exc, 1, attempt):
                            return None
                        attempt += 1
                        continue
                    log.exception("message on %s cannot be stored; dead-lettering", raw.topic)
                    self.stats.incr("store_failures")
                    try:
                        with self.db.session() as session:
                            store_dead_letters(session, [dead_letter_row(
                                raw, "store_failed", f"{exc.__class__.__name__}: {exc}"
                            )])
                    except Exception as inner:
                        if is_transient(inner) and self._wait_out(inner, 1, attempt):
                            attempt += 1
                            continue
                        raise
                    one = BatchOutcome(dead_lettered=1, dead_reasons={"store_failed": 1})
                    break
            for name in ("stored", "duplicates", "superseded", "dead_lettered", "quarantined",
                         "ts_suspect", "assets_refreshed"):
                setattr(total, name, getattr(total, name) + getattr(one, name))
            for reason, n in one.dead_reasons.items():
                total.dead_reasons[reason] = total.dead_reasons.get(reason, 0) + n
        return total
