"""Outbox unit tests: ordering, bounded size, eviction policy, persistence."""

from __future__ import annotations

from pathlib import Path

import pytest

from device_agent.outbox import OutboxStore


def test_rows_survive_reopen_in_order(tmp_path: Path) -> None:
    store = OutboxStore(tmp_path / "o.db")
    box = store.outbox("gw1", 100)
    ids = [box.add("telemetry", f"t/{i}", f"p{i}".encode()) for i in range(5)]
    store.commit()
    box.delete(ids[:2])
    store.commit()
    store.close()
    again = OutboxStore(tmp_path / "o.db").outbox("gw1", 100)
    rows = again.rows_after(0, 10)
    assert [r.id for r in rows] == ids[2:]
    assert [r.payload for r in rows] == [b"p2", b"p3", b"p4"]
    assert again.depth == 3
    assert again.rows_after(ids[3], 10)[0].id == ids[4]


def test_uncommitted_rows_are_lost_on_crash(tmp_path: Path) -> None:
    store = OutboxStore(tmp_path / "o.db")
    box = store.outbox("gw1", 100)
    box.add("event", "t", b"kept")
    store.commit()
    box.add("event", "t", b"never committed")
    store.conn.close()  # like a crash: no commit
    assert [
        r.payload for r in OutboxStore(tmp_path / "o.db").outbox("gw1", 9).rows_after(0, 9)
    ] == [b"kept"]


def test_eviction_takes_heartbeats_then_telemetry_never_events(tmp_path: Path) -> None:
    store = OutboxStore(tmp_path / "o.db")
    box = store.outbox("gw1", 4)
    box.add("event", "e", b"e1")
    box.add("telemetry", "t", b"t1")
    box.add("heartbeat", "h", b"h1")
    box.add("telemetry", "t", b"t2")
    box.add("telemetry", "t", b"t3")  # full: evicts h1
    assert [r.payload for r in box.rows_after(0, 10)] == [b"e1", b"t1", b"t2", b"t3"]
    box.add("telemetry", "t", b"t4")  # evicts t1, the oldest telemetry
    assert [r.payload for r in box.rows_after(0, 10)] == [b"e1", b"t2", b"t3", b"t4"]
    for i in range(6):
        box.add("event", "e", f"e{i + 2}".encode())  # events are never refused nor evicted
    payloads = [r.payload for r in box.rows_after(0, 20)]
    assert b"e1" in payloads and payloads.count(b"t2") == 0 and len(payloads) == 7
    assert box.evicted_total == 5
    assert box.depth == 7
    store.commit()
    assert store.outbox("gw1", 4).evicted_total == 5  # persisted for the heartbeat


def test_gateways_share_a_file_without_mixing(tmp_path: Path) -> None:
    store = OutboxStore(tmp_path / "o.db", synchronous="NORMAL")
    a, b = store.outbox("a", 10), store.outbox("b", 10)
    a.add("event", "x", b"a")
    b.add("event", "y", b"b")
    assert [r.payload for r in a.rows_after(0, 9)] == [b"a"]
    assert a.next_session() == 1 and a.next_session() == 2 and b.next_session() == 1


def test_bad_settings_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous"):
        OutboxStore(tmp_path / "o.db", synchronous="OFF")
    with pytest.raises(ValueError):
        OutboxStore(tmp_path / "p.db").outbox("g", 0)


def test_wal_mode(tmp_path: Path) -> None:
    store = OutboxStore(tmp_path / "o.db")
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
