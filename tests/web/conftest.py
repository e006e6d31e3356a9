from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from tests.support.no_broker import without_broker


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    return without_broker(app_config)


@pytest.fixture
def seeded(app: Flask, runner: FlaskCliRunner) -> Flask:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return app
