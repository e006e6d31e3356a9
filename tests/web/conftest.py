from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from tests.support.mosquitto import free_port


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    # No broker listens here unless a test starts one: nothing leaks to a local broker.
    return {**app_config, "MQTT_URL": f"mqtt://127.0.0.1:{free_port()}",
            "CONFIG_PUBLISH_TIMEOUT_S": 3.0}


@pytest.fixture
def seeded(app: Flask, runner: FlaskCliRunner) -> Flask:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return app
