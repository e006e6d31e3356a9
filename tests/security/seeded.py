"""The demo loaded into this test's database (import the fixture into a test module)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner


@pytest.fixture
def seeded(app: Flask, runner: FlaskCliRunner) -> Flask:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return app
