"""The fleet simulator: explicit gateway/device ids, real clients, nothing left behind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from device_agent.simulate import fleet_layout, parse_broker
from tests.agent.conftest import REPO
from tests.support.mosquitto import MosquittoBroker

pytestmark = pytest.mark.mqtt


def test_layout_and_url_parsing(tmp_path: Path) -> None:
    assert list(fleet_layout(3, 1, None)) == ["sim-gw-0001", "sim-gw-0002", "sim-gw-0003"]
    assert fleet_layout(0, 2, "gw-a, gw-b") == {
        "gw-a": ["aed-01", "aed-02"],
        "gw-b": ["aed-01", "aed-02"],
    }
    f = tmp_path / "ids.json"
    f.write_text(json.dumps({"gw-yp-001": ["aed-01"], "gw-yp-002": ["aed-01", "kit-01"]}))
    assert fleet_layout(0, 0, str(f))["gw-yp-002"] == ["aed-01", "kit-01"]
    with pytest.raises(ValueError):
        fleet_layout(0, 1, "bad id!")
    assert parse_broker("mqtt://127.0.0.1:1884") == ("127.0.0.1", 1884, False)
    with pytest.raises(ValueError):
        parse_broker("http://x")


def test_simulated_fleet_publishes_as_real_gateways(
    broker: MosquittoBroker, tmp_path: Path, recorders: Any
) -> None:
    rec = recorders(broker)
    ids = tmp_path / "ids.json"
    ids.write_text(json.dumps({"gw-yp-001": ["aed-01", "aed-02"], "gw-yp-002": ["kit-01"]}))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "device_agent.simulate",
            "--broker",
            broker.url,
            "--gateway-ids",
            str(ids),
            "--interval",
            "0.2",
            "--heartbeat",
            "0.5",
            "--duration",
            "2",
            "--faults",
            "0.2",
            "--state-dir",
            str(tmp_path / "sim"),
            "--threads",
            "2",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["gateways"] == 2 and summary["stored"] > 10
    assert summary["pubacked"] == summary["stored"]  # every stored message got its PUBACK
    # No server here, so no end-to-end ack: nothing left the outboxes.
    assert summary["acked"] == 0 and summary["pending"] == summary["stored"]
    for gw in ("gw-yp-001", "gw-yp-002"):
        rec.wait_for(f"gw/{gw}/state", lambda p: p["state"] == "stopped")
    with rec.lock:
        topics = {t for t, _, _ in rec.messages}
    assert "aed/v1/gw/gw-yp-001/dev/aed-02/telemetry" in topics
    assert "aed/v1/gw/gw-yp-002/dev/kit-01/telemetry" in topics
    assert not any("gw-yp-002/dev/aed-01" in t for t in topics)
    assert any(t.endswith("/event") for t in topics)  # random faults happen at rate 0.2
    assert (
        len(rec.payloads("telemetry")) + len(rec.payloads("heartbeat")) + len(rec.payloads("event"))
        >= summary["stored"]
    )
