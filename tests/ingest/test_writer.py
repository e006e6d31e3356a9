"""The batching writer on its own: batching, ack after commit, retry, poison isolation."""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import app.ingest.writer as writer_module
from app.aeds.refresh import AedContext
from app.alerts.policy import AlertPolicy
from app.devices import FactsConfig, RawMessage
from app.extensions import get_settings
from app.ingest.inbox import Inbox
from app.ingest.service import writer_database
from app.ingest.stats import IngestStats
from app.ingest.writer import BatchWriter, Inbound
from app.models import DeadLetter, Telemetry
from tests.ingest.factory import NOW, register, telemetry
from tests.support.wait import wait_for


class RecordingAcker:
    def __init__(self) -> None:
        self.acked: list[int] = []

    def ack(self, items: Sequence[Inbound]) -> int:
        self.acked.extend(i.mid for i in items)
        return len(items)


def inbound(mid: int, message: tuple[str, bytes]) -> Inbound:
    return Inbound(RawMessage(message[0], message[1], NOW), mid, 1, 1)


@pytest.fixture
def make_writer(app: Flask) -> Any:
    settings = get_settings(app)
    made: list[BatchWriter] = []

    def make(**kwargs: Any) -> tuple[BatchWriter, Inbox[Inbound], RecordingAcker]:
        inbox: Inbox[Inbound] = Inbox(10_000)
        acker = RecordingAcker()
        writer = BatchWriter(
            writer_database(settings.database_url), inbox, acker, IngestStats(),
            FactsConfig(aeds=AedContext.of(settings, AlertPolicy())), **kwargs,
        )
        made.append(writer)
        return writer, inbox, acker

    yield make
    for w in made:
        w.stop(2.0)
        w.db.dispose()


def rows(db: Session, model: type) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def fail_first_applies(monkeypatch: pytest.MonkeyPatch, times: int,
                       on_call: Callable[[], None] = lambda: None) -> dict[str, int]:
    """The writer's apply_batch, losing the database connection on its first `times`
    calls; the returned dict counts the failures still to come."""
    real = writer_module.apply_batch
    left = {"left": times}

    def flaky(*args: Any, **kwargs: Any) -> Any:
        on_call()
        if left["left"]:
            left["left"] -= 1
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))
        return real(*args, **kwargs)

    monkeypatch.setattr(writer_module, "apply_batch", flaky)
    return left


def test_batches_are_bounded_by_size_and_acked_after_commit(
    db: Session, make_writer: Any
) -> None:
    register(db)
    writer, inbox, acker = make_writer(batch_size=10, batch_ms=200)
    for n in range(1, 26):
        inbox.offer(inbound(n, telemetry(seq=n, temp_c=20.0)))
    writer.start()
    wait_for(lambda: len(acker.acked) == 25, 10)
    assert rows(db, Telemetry) == 25
    assert sorted(acker.acked) == list(range(1, 26))
    hist = writer.stats.batch_size
    assert hist.count == 3 and hist.sum == 25  # 10 + 10 + 5


def test_database_outage_holds_the_batch_unacked_and_retries(
    db: Session, make_writer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    register(db)
    failures = fail_first_applies(monkeypatch, 3)
    writer, inbox, acker = make_writer(retry_max_s=0.05)
    inbox.offer(inbound(1, telemetry(seq=1, temp_c=20.0)))
    writer.start()
    wait_for(lambda: acker.acked == [1], 10)
    assert failures["left"] == 0 and writer.stats.counts["db_errors"] == 3
    assert rows(db, Telemetry) == 1


def test_stopping_during_an_outage_leaves_the_batch_unacked(
    db: Session, make_writer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr(writer_module, "apply_batch", down)
    writer, inbox, acker = make_writer(retry_max_s=0.05)
    inbox.offer(inbound(1, telemetry(seq=1, temp_c=20.0)))
    writer.start()
    wait_for(lambda: writer.stats.counts["db_errors"] >= 2, 10)
    assert writer.stop(drain_timeout=0.2) is False
    assert acker.acked == [] and not writer.alive


def test_a_message_that_breaks_storage_is_dead_lettered_alone(
    db: Session, make_writer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    register(db)
    real = writer_module.apply_batch

    def poisoned(session: Any, raws: Sequence[RawMessage], *args: Any) -> Any:
        if any(b'"seq": 3' in r.payload for r in raws):
            raise ValueError("a bug meets an odd message")
        return real(session, raws, *args)

    monkeypatch.setattr(writer_module, "apply_batch", poisoned)
    writer, inbox, acker = make_writer(batch_size=10, batch_ms=100)
    for n in range(1, 6):
        inbox.offer(inbound(n, telemetry(seq=n, temp_c=20.0, ts=NOW + timedelta(seconds=n))))
    writer.start()
    wait_for(lambda: len(acker.acked) == 5, 10)
    assert rows(db, Telemetry) == 4
    dead = db.scalars(select(DeadLetter)).one()
    assert dead.reason == "store_failed" and "odd message" in dead.detail
    assert writer.stats.counts["store_failures"] == 1 and writer.alive


def test_a_batch_runs_without_the_cycle_collector_and_turns_it_back_on(
    db: Session, make_writer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Young collections during a batch rescan its thousands of live objects; the switch
    must come back on after every batch, one that failed included."""
    register(db)
    seen: list[bool] = []
    fail_first_applies(monkeypatch, 1, on_call=lambda: seen.append(gc.isenabled()))
    writer, inbox, acker = make_writer(retry_max_s=0.05)
    inbox.offer(inbound(1, telemetry(seq=1, temp_c=20.0)))
    writer.start()
    wait_for(lambda: acker.acked == [1], 10)
    assert seen == [False, False]
    writer.stop(2.0)
    assert gc.isenabled()
