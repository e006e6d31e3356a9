from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.support.browsers import live_flask, need_chromium
from tests.support.mosquitto import MosquittoBroker, running_mosquitto

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
DOC_IMAGES = REPO / "docs" / "img"


@pytest.fixture
def broker(tmp_path: Path, backend: str) -> Iterator[MosquittoBroker]:
    with running_mosquitto(tmp_path / "broker") as running:
        yield running


@pytest.fixture
def app_config(app_config: dict[str, object], broker: MosquittoBroker) -> dict[str, object]:
    return {**app_config, "MQTT_URL": broker.url}


@pytest.fixture
def live_server(app: Flask, backend: str) -> Iterator[str]:
    with live_flask(app) as base:
        yield base


@pytest.fixture
def chromium_path() -> str:
    return need_chromium()
