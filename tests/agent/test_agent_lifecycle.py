"""Birth, last will and clean stop of the agent against a real Mosquitto."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.agent.conftest import agent_config
from tests.support.mosquitto import MosquittoBroker

pytestmark = pytest.mark.mqtt

STATE = "gw/gw-test-1/state"


def test_online_killed_stopped_and_next_session(
    broker: MosquittoBroker, tmp_path: Path, agents: Any, recorders: Any
) -> None:
    rec = recorders(broker)
    agent = agents(agent_config(tmp_path, broker.port)).start("-X", "importtime")
    first = rec.wait_for(STATE, lambda p: p["state"] == "online")
    session = first["session"]
    assert session >= 1 and first["agent_version"]

    agent.kill9()
    will = rec.wait_for(STATE, lambda p: p["state"] == "offline" and p["session"] == session)
    # The will carries its connection's stamp, the one its birth carried: so the server
    # can tell it follows that birth (and is not a late will of an earlier connection).
    assert will["ts"] == first["ts"]
    # The last will is retained: a subscriber arriving later still sees it.
    late = recorders(broker, "aed/v1/gw/gw-test-1/state")
    late.wait_for(STATE, lambda p: p["state"] == "offline")

    agent.start()
    rec.wait_for(STATE, lambda p: p["state"] == "online" and p["session"] == session + 1)

    assert agent.terminate() == 0
    rec.wait_for(STATE, lambda p: p["state"] == "stopped" and p["session"] == session + 1)
    # A clean stop must not also fire the will.
    states = [p["state"] for p in rec.payloads(STATE) if p["session"] == session + 1]
    assert "offline" not in states
    later = recorders(broker, "aed/v1/gw/gw-test-1/state")
    later.wait_for(STATE, lambda p: p["state"] == "stopped")

    # The agent process never imported the web stack (-X importtime lists every import).
    imported = {
        line.split("|")[-1].strip().split(".")[0]
        for line in agent.log().splitlines()
        if line.startswith("import time:")
    }
    assert "device_agent" in imported
    assert not imported & {"flask", "sqlalchemy", "werkzeug", "app"}


def test_messages_carry_contiguous_envelopes(
    broker: MosquittoBroker, tmp_path: Path, agents: Any, recorders: Any
) -> None:
    from device_agent.protocol import decode

    rec = recorders(broker)
    agent = agents(agent_config(tmp_path, broker.port)).start()
    rec.wait_for("heartbeat", lambda p: p["seq"] >= 5)
    assert agent.terminate() == 0
    with rec.lock:
        msgs = [(t, p) for t, p, _ in rec.messages if not t.endswith("/state")]
    decoded = [decode(t, p).message for t, p in msgs]
    seqs = sorted(m.seq for m in decoded)  # type: ignore[union-attr]
    assert seqs == list(range(1, len(seqs) + 1))
    telemetry = [m for (t, _), m in zip(msgs, decoded, strict=True) if t.endswith("telemetry")]
    assert telemetry and all(str(m.pad_expiry) == "2027-05-01" for m in telemetry)  # type: ignore[union-attr]
