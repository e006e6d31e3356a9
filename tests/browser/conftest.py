from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import need_service
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
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


@pytest.fixture
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        need_service("chromium not installed (apt-get install chromium)")
    assert path is not None
    return path
