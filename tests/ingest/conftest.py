"""Fixtures for ingest: a real Mosquitto, in-process ingest workers, a QoS 1 publisher."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from flask import Flask
from paho.mqtt.enums import CallbackAPIVersion

from app.extensions import get_settings
from app.ingest.service import IngestOptions, IngestService
from tests.support.mosquitto import MosquittoBroker, running_mosquitto

_ids = itertools.count(1)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    with running_mosquitto(tmp_path / "mosquitto") as running:
        yield running


class Publisher:
    """A QoS 1 publisher that waits for every PUBACK (the broker has accepted it)."""

    def __init__(self, broker: MosquittoBroker) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-pub-{next(_ids)}")
        self.client.max_inflight_messages_set(200)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def publish(self, *messages: tuple[str, bytes], timeout: float = 30.0) -> None:
        infos = [self.client.publish(topic, payload, qos=1) for topic, payload in messages]
        for info in infos:
            info.wait_for_publish(timeout)
            assert info.is_published(), "broker did not accept a message"

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def publisher(broker: MosquittoBroker) -> Iterator[Publisher]:
    pub = Publisher(broker)
    yield pub
    pub.close()


StartIngest = Callable[..., IngestService]


@pytest.fixture
def start_ingest(app: Flask, broker: MosquittoBroker) -> Iterator[StartIngest]:
    started: list[IngestService] = []

    def start(client_id: str = "ingest-test", **options: object) -> IngestService:
        opts = IngestOptions(client_id=client_id, **{"batch_ms": 20.0, **options})  # type: ignore[arg-type]
        service = IngestService(get_settings(app), opts, mqtt_url=broker.url)
        service.start()
        assert service.consumer.subscribed.wait(30), "ingest did not subscribe"
        started.append(service)
        return service

    yield start
    for service in started:
        with contextlib.suppress(Exception):
            service.stop()
