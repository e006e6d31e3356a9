"""Nothing observed is lost across a broker outage and an agent kill -9 during it."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.agent.conftest import agent_config
from tests.support.mosquitto import MosquittoBroker
from tests.support.wait import wait_for

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]


def observed_ids(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_outage_and_crash_lose_nothing(
    broker: MosquittoBroker, tmp_path: Path, agents: Any, recorders: Any
) -> None:
    # A persistent session: the broker queues for the subscriber while it is away too.
    rec = recorders(broker, "aed/v1/gw/gw-test-1/#", client_id="outage-rec", persistent=True)
    cfg = agent_config(
        tmp_path, broker.port, poll_interval_s=0.05, report_interval_s=0.1, heartbeat_interval_s=0.5
    )
    cfg["devices"][0]["options"]["faults"] = [
        {"fault": "door_open", "at_s": 0.5, "duration_s": 1.0},
        {"fault": "aed_removed", "at_s": 3.0, "duration_s": 2.0},
    ]
    log_path = Path(cfg["observed_log"])
    agent = agents(cfg).start()
    rec.wait_for("telemetry", lambda p: p["seq"] >= 10)

    broker.stop()
    at_stop = len(observed_ids(log_path))
    wait_for(lambda: len(observed_ids(log_path)) >= at_stop + 15, 10, message="observing")
    agent.kill9()
    crashed_session = int(observed_ids(log_path)[-1].split("-")[0])
    agent.start()
    wait_for(
        lambda: sum(i.startswith(f"{crashed_session + 1}-") for i in observed_ids(log_path)) >= 15,
        10,
        message="the restarted agent observing",
    )
    during_outage = set(observed_ids(log_path)[at_stop:])
    broker.start()

    rec.wait_for("state", lambda p: p["state"] == "online" and p["session"] == crashed_session + 1)
    assert agent.terminate() == 0
    observed = observed_ids(log_path)
    assert len(observed) == len(set(observed))

    def received() -> dict[str, list[dict[str, Any]]]:
        by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
        with rec.lock:
            for topic, payload, _ in rec.messages:
                if not topic.endswith("/state") and payload:
                    body = json.loads(payload)
                    by_id[body["msg_id"]].append(body)
        return by_id

    wait_for(
        lambda: set(observed) <= set(received()),
        20,
        message=lambda: f"missing {sorted(set(observed) - set(received()))[:10]}",
    )
    got = received()
    # (session, seq) has no gaps in any session.
    seqs: dict[int, set[int]] = defaultdict(set)
    for copies in got.values():
        seqs[copies[0]["session"]].add(copies[0]["seq"])
    for session, numbers in seqs.items():
        assert numbers == set(range(1, max(numbers) + 1)), f"gap in session {session}"
    assert {crashed_session, crashed_session + 1} <= set(seqs)
    # Everything observed while the broker was away arrived flagged as a replay.
    assert during_outage
    for msg_id in during_outage:
        assert all(copy["replay"] is True for copy in got[msg_id]), msg_id
    # Events observed during the outage are among them (door/AED faults were scripted).
    kinds = {c["kind"] for i in during_outage for c in got[i] if "kind" in c}
    assert kinds & {"aed_removed", "aed_returned", "door_opened", "door_closed"}
