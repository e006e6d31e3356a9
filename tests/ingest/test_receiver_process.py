"""The MQTT receiver child process of an ingest worker: replaced when it dies, gone when
ingest dies, and the in-thread receiver still works (real Mosquitto, both databases)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import psutil
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.ingest.receiver_link import ReceiverLink
from app.models import Telemetry
from tests.ingest.conftest import Publisher, StartIngest
from tests.ingest.factory import register, telemetry
from tests.ingest.processes import IngestProcess, wait_subscribed
from tests.support.mosquitto import MosquittoBroker
from tests.support.wait import wait_for

pytestmark = pytest.mark.mqtt


def stored(db: Session) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(Telemetry.msg_id)))


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_killed_receiver_is_replaced_and_nothing_is_lost(
    db: Session, start_ingest: StartIngest, publisher: Publisher
) -> None:
    register(db)
    service = start_ingest("ingest-respawn")
    link = service.consumer
    assert isinstance(link, ReceiverLink)
    first = link.pid
    assert first is not None and first != os.getpid()
    publisher.publish(*[telemetry(seq=n, temp_c=20.0) for n in range(1, 41)])
    wait_for(lambda: len(stored(db)) == 40, 15)
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: service.stats.counts["receiver_restarts"] == 1
             and link.subscribed.is_set(), 30,
             message="a new receiver process to subscribe")
    assert link.pid not in (None, first)
    publisher.publish(*[telemetry(seq=n, temp_c=20.0) for n in range(41, 81)])
    wait_for(lambda: len(stored(db)) == 80, 15, message=lambda: f"{len(stored(db))}/80")
    assert sorted(stored(db)) == sorted(f"1-{n}" for n in range(1, 81))
    assert service.writer.alive
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Telemetry)) == 80


def test_a_backlog_larger_than_both_queues_is_held_back_and_drained(
    db: Session, start_ingest: StartIngest, publisher: Publisher
) -> None:
    """Tiny queues in both processes: backpressure reaches the broker, nothing is lost."""
    register(db)
    start_ingest("ingest-flood").stop()  # the session now exists at the broker
    n = 3000
    publisher.publish(*[telemetry(seq=k, temp_c=20.0) for k in range(1, n + 1)])
    # The backlog arrives at once, far more than the queues and the socket buffers hold.
    service = start_ingest("ingest-flood", max_queue=5, batch_size=5)
    wait_for(lambda: len(stored(db)) == n, 120, message=lambda: f"{len(stored(db))}/{n}")
    wait_for(lambda: service.stats.counts["acked"] == n, 15,
             message=lambda: f"{service.stats.counts}")
    assert service.stats.counts["backpressure_waits"] > 0, "the queues never filled"


def test_thread_receiver_stores_and_acks_in_one_process(
    db: Session, start_ingest: StartIngest, publisher: Publisher
) -> None:
    register(db)
    service = start_ingest("ingest-thread", receiver="thread")
    assert not isinstance(service.consumer, ReceiverLink)
    publisher.publish(*[telemetry(seq=n, temp_c=20.0) for n in range(1, 31)])
    publisher.publish(telemetry(seq=1, temp_c=20.0))  # a duplicate, acked again
    wait_for(lambda: service.stats.counts["acked"] >= 31, 15,
             message=lambda: f"{service.stats.counts}")
    assert len(stored(db)) == 30
    assert service.stats.counts["duplicates"] == 1


@pytest.mark.slow
def test_kill_9_ingest_takes_its_receiver_process_with_it(
    db: Session, database_url: str, broker: MosquittoBroker, tmp_path: Path
) -> None:
    """An orphaned receiver would keep the client id's session and fight the next ingest
    process for it."""
    register(db)
    ingest = IngestProcess(database_url, broker, tmp_path, "ingest-orphan").start()
    try:
        wait_subscribed(db, ingest)
        assert ingest.proc is not None
        children = psutil.Process(ingest.proc.pid).children()
        assert len(children) == 1 and "app.ingest.receiver" in " ".join(children[0].cmdline())
        ingest.kill()
        wait_for(lambda: gone(children[0].pid), 10, message="the receiver to exit")
    finally:
        if ingest.alive:
            ingest.kill()
