"""Fixtures for delivery tests: the shipped broker config, a fleet, an ingest process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.delivery.fleet import SimulatorProcess
from tests.ingest.processes import IngestProcess
from tests.support.mosquitto import MosquittoBroker


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """config/mosquitto.conf as shipped (persistence saved every 5 minutes), open mode."""
    with MosquittoBroker(tmp_path / "broker") as running:
        yield running


@pytest.fixture
def fleet(tmp_path: Path, broker: MosquittoBroker
          ) -> Iterator[Callable[..., SimulatorProcess]]:
    started: list[SimulatorProcess] = []

    def start(gateways: int, **options: object) -> SimulatorProcess:
        sim = SimulatorProcess(broker.url, tmp_path / f"fleet-{len(started) + 1}", gateways,
                               **options)  # type: ignore[arg-type]
        started.append(sim.start())
        return sim

    yield start
    for sim in started:
        sim.cleanup()


@pytest.fixture
def ingest(database_url: str, broker: MosquittoBroker, tmp_path: Path
           ) -> Iterator[IngestProcess]:
    proc = IngestProcess(database_url, broker, tmp_path / "ingest")
    try:
        yield proc
    finally:
        if proc.alive:
            proc.kill()
