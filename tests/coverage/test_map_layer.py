"""The coverage layer on /map: for coordinators and admins only, its config filled in
after rendering (never template source), its cells from /map/coverage."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.support.web_login import login


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    return {**app_config, "MAP_TILES": "none"}


def layer_config(html: str) -> dict[str, object] | None:
    found = re.search(r'<script type="application/json" id="aedcoverage-config-[0-9a-f]+">'
                      r"(.*?)</script>", html, re.S)
    return json.loads(found.group(1)) if found else None


def test_coordinators_get_the_layer_and_others_do_not(seeded: Flask,
                                                      client: FlaskClient) -> None:
    login(client, "volunteer")
    html = client.get("/map").get_data(as_text=True)
    assert layer_config(html) is None and "coverage.js" not in html
    assert client.get("/map/coverage").status_code == 403
    anonymous = seeded.test_client()
    public = anonymous.get("/map/public").get_data(as_text=True)
    assert layer_config(public) is None
    assert anonymous.get("/map/coverage").status_code in (302, 401)

    client = seeded.test_client()
    login(client, "coordinator")
    html = client.get("/map").get_data(as_text=True)
    config = layer_config(html)
    assert config is not None and config["url"] == "/map/coverage"
    assert "coverage.js?v=" in html
    assert 0 <= int(str(config["now_hour"])) < 168
    assert isinstance(config["text"], dict) and config["text"]["layer"] == "覆盖范围"
    cells = client.get("/map/coverage?at=2026-03-11T03:30:00").get_json()
    assert cells["cells"] > 1000 and 0 < cells["share"] < 1
    assert client.get("/map/coverage?at=nonsense").status_code == 400


def test_the_layer_shows_the_stored_week_once_the_job_ran(
        seeded: Flask, client: FlaskClient, runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["jobs", "run-once", "coverage"]).exit_code == 0
    login(client, "coordinator")
    config = layer_config(client.get("/map").get_data(as_text=True))
    assert config is not None
    hours = config["hours"]
    assert isinstance(hours, list) and len(hours) == 168
    assert str(config["week_starts_at"]).endswith("+00:00")
