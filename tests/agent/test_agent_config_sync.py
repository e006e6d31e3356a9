"""Desired config on the retained config topic: applied, reported, refused when bad."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import paho.mqtt.publish as publish
import pytest

from tests.agent.conftest import agent_config
from tests.support.mosquitto import MosquittoBroker

pytestmark = pytest.mark.mqtt

CONFIG_TOPIC = "aed/v1/gw/gw-test-1/config"


def push(broker: MosquittoBroker, body: dict[str, Any] | str) -> None:
    payload = body if isinstance(body, str) else json.dumps(body)
    publish.single(
        CONFIG_TOPIC, payload, qos=1, retain=True, hostname=broker.host, port=broker.port
    )


def test_config_round_trip_and_refusal(
    broker: MosquittoBroker, tmp_path: Path, agents: Any, recorders: Any
) -> None:
    rec = recorders(broker)
    # Retained before the agent starts: it must pick it up at connect.
    push(
        broker,
        {
            "config_version": 2,
            "heartbeat_interval_s": 1,
            "thresholds": {"temp_min_c": 2, "temp_max_c": 40},
            "devices": {"aed-01": {"pad_expiry": "2028-01-31"}},
        },
    )
    agent = agents(agent_config(tmp_path, broker.port, heartbeat_interval_s=30)).start()
    hb = rec.wait_for("heartbeat", lambda p: p["config_version"] == 2)
    assert "config_error" not in hb
    rec.wait_for("telemetry", lambda p: p.get("pad_expiry") == "2028-01-31")

    # Schema-valid JSON but inconsistent thresholds: refused, version 2 stays.
    push(broker, {"config_version": 3, "thresholds": {"temp_min_c": 45, "temp_max_c": 10}})
    refused = rec.wait_for("heartbeat", lambda p: "config_error" in p)
    assert refused["config_version"] == 2
    assert "thresholds" in refused["config_error"]
    # Not JSON at all: refused the same way.
    push(broker, "{oops")
    rec.wait_for("heartbeat", lambda p: p.get("config_error", "").startswith("bad_json"))
    # A device this gateway does not have: refused.
    push(broker, {"config_version": 4, "devices": {"aed-99": {"pad_expiry": "2030-01-01"}}})
    rec.wait_for("heartbeat", lambda p: "aed-99" in p.get("config_error", ""))

    # The applied config is persisted: a restart reports it before any new config arrives.
    assert agent.terminate() == 0
    push(broker, "")  # clear the retained config
    start = len(rec.payloads("heartbeat"))
    agent.start()
    hb = rec.wait_for("heartbeat", lambda p: p["session"] >= 2)
    assert hb["config_version"] == 2
    assert len(rec.payloads("heartbeat")) > start
    rec.wait_for("telemetry", lambda p: p["session"] >= 2 and p.get("pad_expiry") == "2028-01-31")

    # A good new version replaces it.
    push(broker, {"config_version": 5, "report_interval_s": 5})
    hb = rec.wait_for("heartbeat", lambda p: p["config_version"] == 5)
    assert "config_error" not in hb
