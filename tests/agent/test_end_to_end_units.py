"""End-to-end delivery without a broker: the outbox by ranges, the ack wait, resends."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from device_agent.config import ConfigError, parse_config
from device_agent.end_to_end import AckWait, DeliveryMode
from device_agent.outbox import OutboxStore
from device_agent.protocol import AckMessage, ProtocolError, ack_topic, decode, encode, utc_now
from device_agent.publish_window import PublishWindow


def test_acknowledge_deletes_the_ranges_and_tolerates_overlaps_and_strangers(
    tmp_path: Path,
) -> None:
    box = OutboxStore(tmp_path / "o.db").outbox("gw1", 100)
    other = box.store.outbox("gw2", 100)
    for seq in range(1, 11):
        box.add("telemetry", "t", b"{}", 3, seq)
    other.add("telemetry", "t", b"{}", 3, 5)
    gone = box.acknowledge([(3, 2, 4), (3, 3, 6), (2, 1, 100), (3, 50, 60)])
    assert sorted(r.seq for r in gone if r.seq is not None) == [2, 3, 4, 5, 6]
    assert [r.seq for r in box.rows_after(0, 100)] == [1, 7, 8, 9, 10]
    assert box.depth == 5
    assert box.acknowledge([(3, 1, 6)])[0].msg_id == "3-1"  # applied twice: only 3-1 new
    assert other.depth == 1 and other.rows_after(0, 9)[0].seq == 5  # another gateway's


def test_an_outbox_from_an_older_agent_gets_its_rows_numbered(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, gateway_id TEXT NOT NULL,"
        " kind TEXT NOT NULL, topic TEXT NOT NULL, payload BLOB NOT NULL);"
        "CREATE TABLE meta (gateway_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
        " PRIMARY KEY (gateway_id, key));"
    )
    conn.execute("INSERT INTO outbox (gateway_id, kind, topic, payload) VALUES (?, ?, ?, ?)",
                 ("gw1", "telemetry", "t", json.dumps({"session": 4, "seq": 9}).encode()))
    conn.execute("INSERT INTO outbox (gateway_id, kind, topic, payload) VALUES (?, ?, ?, ?)",
                 ("gw1", "telemetry", "t", b"not json"))
    conn.commit()
    conn.close()
    box = OutboxStore(path).outbox("gw1", 100)
    rows = box.rows_after(0, 10)
    assert [(r.session, r.seq) for r in rows] == [(4, 9), (None, None)]
    assert [r.msg_id for r in box.acknowledge([(4, 9, 9)])] == ["4-9"]
    assert box.depth == 1  # the unreadable row stays (sent, evicted like any other)


def test_ack_wait_doubles_each_wait_up_to_the_cap() -> None:
    wait = AckWait(10.0, 35.0)
    wait.pubacked(1, now=0.0)
    assert wait.next_deadline() == 10.0 and wait.due(9.9) == []
    assert wait.due(10.0) == [1]
    deadlines = []
    now = 10.0
    for _ in range(3):  # PUBACKed again after each resend: 20, 35 (cap), 35
        wait.pubacked(1, now)
        deadlines.append(wait.next_deadline() - now)
        now = wait.next_deadline()
        assert wait.due(now) == [1]
    assert deadlines == [20.0, 35.0, 35.0]


def test_ack_wait_forgets_acknowledged_rows_and_a_dropped_connection() -> None:
    wait = AckWait(5.0, 60.0)
    for row in (1, 2, 3):
        wait.pubacked(row, now=0.0)
    wait.acknowledged([2])
    assert len(wait) == 2 and wait.due(100.0) == [1, 3]
    wait.pubacked(4, now=0.0)
    wait.pause()
    assert len(wait) == 0 and wait.due(100.0) == [] and wait.next_deadline() == float("inf")
    with pytest.raises(ValueError):
        AckWait(10.0, 5.0)


class FakeClient:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    def publish(self, topic: str, payload: bytes, qos: int) -> Any:
        self.sent.append((topic, payload))
        info = mqtt.MQTTMessageInfo(len(self.sent))
        info.rc = mqtt.MQTT_ERR_SUCCESS
        return info


def test_resends_go_out_as_replays_and_skip_acknowledged_rows(tmp_path: Path) -> None:
    box = OutboxStore(tmp_path / "o.db").outbox("gw1", 100)
    ids = [box.add("telemetry", f"t/{s}", json.dumps(
        {"seq": s, "replay": False}, separators=(",", ":")).encode(), 1, s) for s in (1, 2, 3)]
    window = PublishWindow(box, max_inflight=10)
    window.restart()
    client = FakeClient()
    window.pump(client)  # type: ignore[arg-type]
    assert [json.loads(p)["replay"] for _, p in client.sent] == [True, True, True]
    window.db_cursor = None
    box.acknowledge([(1, 2, 2)])
    window.resend([ids[0], ids[1]])
    client.sent.clear()
    vanished = window.pump(client)  # type: ignore[arg-type]
    assert vanished == [ids[1]]
    assert [(t, json.loads(p)["replay"]) for t, p in client.sent] == [("t/1", True)]
    assert window.resent == 1


def test_config_names_the_delivery_mode_and_checks_the_timeouts(tmp_path: Path) -> None:
    base: dict[str, Any] = {"gateway_id": "gw-1", "state_dir": str(tmp_path)}
    cfg = parse_config(base)
    assert cfg.outbox.delivery_settings().mode is DeliveryMode.END_TO_END
    assert cfg.outbox.delivery_settings().ack_timeout_s == 60.0
    puback = parse_config({**base, "outbox": {"delivery": "puback"}})
    assert puback.outbox.delivery_settings().mode is DeliveryMode.PUBACK
    with pytest.raises(ConfigError, match=r"outbox\.delivery"):
        parse_config({**base, "outbox": {"delivery": "broker"}})
    with pytest.raises(ConfigError, match="ack_timeout_s must not exceed"):
        parse_config({**base, "outbox": {"ack_timeout_s": 100, "ack_timeout_max_s": 10}})


def test_the_ack_message_is_part_of_the_contract() -> None:
    topic = ack_topic("gw-yp-001")
    assert topic == "aed/v1/gw/gw-yp-001/ack"
    payload = encode(AckMessage(v=1, ranges=[(3, 1, 40), (4, 1, 2)], ts=utc_now()))
    _, message = decode(topic, payload)
    assert isinstance(message, AckMessage) and message.ranges == [(3, 1, 40), (4, 1, 2)]
    for bad in (b'{"v": 1, "ranges": [[3, 9, 2]], "ts": "2026-11-29T10:00:00Z"}',
                b'{"v": 1, "ranges": [], "ts": "2026-11-29T10:00:00Z"}',
                b'{"v": 1, "ranges": [[3, true, 2]], "ts": "2026-11-29T10:00:00Z"}',
                b'{"v": 2, "ranges": [[3, 1, 2]], "ts": "2026-11-29T10:00:00Z"}'):
        with pytest.raises(ProtocolError):
            decode(topic, bad)
